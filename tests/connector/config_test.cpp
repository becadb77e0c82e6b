#include <catch2/catch.hpp>

#include "connector/config.hpp"
#include "test_support.hpp"

using namespace saphan;
using namespace saphan::connector;

namespace {

const std::string valid_config = R"({
 "member": "TH/GOV/JFO/legal-aid",
 "hub": "https://127.0.0.1:8443",
 "tls": {"certificate": "pki/jfo.crt", "key": "pki/jfo.key", "ca": "/etc/saphan/ca.crt"},
 "signingKey": "keys/signing.jwk",
 "signingCertificate": "keys/signing.crt",
 "hubMember": "TH/GOV/SAPHAN/hub",
 "freshnessSeconds": 120, "timeoutMs": 5000, "threads": 4,
 "consumer": {"listen": "127.0.0.1:8080"},
 "provider": {"listen": "0.0.0.0:0",
              "pseudonymKey": "keys/pseudonym.key",
              "datasets": {"TH/GOV/DOPA/civil-registry/person@1.0":
                           {"schema": "schemas/dopa-person.schema.json",
                            "subjectField": "citizenId",
                            "adapter": {"type": "sqlite", "path": "data/dopa.db", "table": "person",
                                        "keyColumn": "citizen_id", "recordColumn": "record"}}}}
})";

// Replaces the first occurrence of `from` in the valid config.
std::string with(const std::string& from, const std::string& to) {
  auto text = valid_config;
  auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

std::string without(std::string text, const std::string& part) {
  auto at = text.find(part);
  REQUIRE(at != std::string::npos);
  return text.erase(at, part.size());
}

}  // namespace

TEST_CASE("connector config parses and resolves paths", "[connector]") {
  auto c = parse_connector_config(valid_config, "/srv/jfo");
  REQUIRE(c);
  CHECK(to_string(c->member) == "TH/GOV/JFO/legal-aid");
  CHECK(to_string(c->hub_member) == "TH/GOV/SAPHAN/hub");
  REQUIRE(c->hub);
  CHECK(c->hub->host == "127.0.0.1");
  CHECK(c->hub->port == 8443);
  CHECK(c->tls.certificate == "/srv/jfo/pki/jfo.crt");
  CHECK(c->tls.ca == "/etc/saphan/ca.crt");
  CHECK(c->signing_key_path == "/srv/jfo/keys/signing.jwk");
  CHECK(c->freshness == std::chrono::seconds(120));
  CHECK(c->timeout == std::chrono::milliseconds(5000));
  CHECK(c->threads == 4);
  REQUIRE(c->consumer);
  CHECK(c->consumer->listen.port == 8080);
  CHECK(c->consumer->token_file.empty());  // none: the local API asks no token
  REQUIRE(c->provider);
  CHECK(c->provider->listen.host == "0.0.0.0");
  CHECK(c->provider->listen.port == 0);
  REQUIRE(c->provider->datasets.size() == 1);
  CHECK(c->provider->datasets[0].schema_path == "/srv/jfo/schemas/dopa-person.schema.json");
  CHECK(c->provider->datasets[0].subject_field == "citizenId");
  CHECK(c->provider->datasets[0].adapter_json.find("\"sqlite\"") != std::string::npos);
}

TEST_CASE("connector config: the consumer API's token file", "[connector]") {
  auto c =
      parse_connector_config(with(R"("listen": "127.0.0.1:8080")",
                                  R"("listen": "127.0.0.1:8080", "tokenFile": "keys/api.token")"),
                             "/srv/jfo");
  REQUIRE(c);
  REQUIRE(c->consumer);
  CHECK(c->consumer->token_file == "/srv/jfo/keys/api.token");
  auto absolute = parse_connector_config(
      with(R"("listen": "127.0.0.1:8080")",
           R"("listen": "127.0.0.1:8080", "tokenFile": "/etc/saphan/jfo.token")"),
      "/srv/jfo");
  REQUIRE(absolute);
  CHECK(absolute->consumer->token_file == "/etc/saphan/jfo.token");
  for (const auto& bad : std::vector<std::string>{R"("")", "5", "null"}) {
    INFO(bad);
    auto r = parse_connector_config(
        with(R"("listen": "127.0.0.1:8080")", R"("listen": "127.0.0.1:8080", "tokenFile": )" + bad),
        "/srv/jfo");
    REQUIRE_FALSE(r);
    CHECK(r.error().detail.rfind("config.consumer.tokenFile: ", 0) == 0);
  }
}

TEST_CASE("connector config defaults", "[connector]") {
  auto text = with(R"("freshnessSeconds": 120, "timeoutMs": 5000, "threads": 4,)", "");
  auto c = parse_connector_config(text, ".");
  REQUIRE(c);
  CHECK(c->freshness == std::chrono::seconds(300));
  CHECK(c->timeout == std::chrono::milliseconds(10000));
  CHECK(c->threads == 2);
}

TEST_CASE("connector config: provider only needs no hub URL", "[connector]") {
  auto text = without(valid_config, R"("consumer": {"listen": "127.0.0.1:8080"},)");
  text = without(text, R"("hub": "https://127.0.0.1:8443",)");
  auto c = parse_connector_config(text, ".");
  INFO(text);
  REQUIRE(c);
  CHECK_FALSE(c->consumer);
  CHECK_FALSE(c->hub);
}

TEST_CASE("connector config errors name the member", "[connector]") {
  struct bad_case {
    std::string text;
    std::string prefix;
  };
  const std::vector<bad_case> cases = {
      {"not json", "config: "},
      {"[]", "config: "},
      {with(R"("member": "TH/GOV/JFO/legal-aid")", R"("member": "jfo")"), "config.member: "},
      {with(R"("hub": "https://127.0.0.1:8443")", R"("hub": "http://127.0.0.1:8443")"),
       "config.hub: "},
      {with(R"("hub": "https://127.0.0.1:8443")", R"("hub": "127.0.0.1")"), "config.hub: "},
      {with(R"("hubMember": "TH/GOV/SAPHAN/hub")", R"("hubMember": 5)"), "config.hubMember: "},
      {with(R"("ca": "/etc/saphan/ca.crt")", R"("ca": "")"), "config.tls.ca: "},
      {with(R"("ca": "/etc/saphan/ca.crt")", R"("ca": "x", "ocsp": "y")"), "config.tls.ocsp: "},
      {with(R"("signingKey")", R"("signingkey")"), "config.signingkey: "},
      {with(R"("freshnessSeconds": 120)", R"("freshnessSeconds": 0)"), "config.freshnessSeconds: "},
      {with(R"("freshnessSeconds": 120)", R"("freshnessSeconds": 3601)"),
       "config.freshnessSeconds: "},
      {with(R"("timeoutMs": 5000)", R"("timeoutMs": 99)"), "config.timeoutMs: "},
      {with(R"("threads": 4)", R"("threads": 65)"), "config.threads: "},
      {with(R"("threads": 4)", R"("threads": "4")"), "config.threads: "},
      {with(R"("listen": "127.0.0.1:8080")", R"("listen": "0.0.0.0:8080")"),
       "config.consumer.listen: "},
      {with(R"("listen": "127.0.0.1:8080")", R"("listen": "127.0.0.1")"),
       "config.consumer.listen: "},
      {with(R"("listen": "0.0.0.0:0")", R"("listen": "0.0.0.0:65536")"),
       "config.provider.listen: "},
      {with(R"("listen": "0.0.0.0:0")", R"("listen": "localhost:9443")"),
       "config.provider.listen: "},
      {with(R"("pseudonymKey": "keys/pseudonym.key",)", ""), "config.provider.pseudonymKey: "},
      {with(R"("TH/GOV/DOPA/civil-registry/person@1.0")", R"("person")"),
       "config.provider.datasets.person: "},
      {with(R"("subjectField": "citizenId")", R"("subjectField": "")"),
       "config.provider.datasets.TH/GOV/DOPA/civil-registry/person@1.0.subjectField: "},
      {with(R"("subjectField": "citizenId",)", R"("subjectField": "citizenId", "cache": true,)"),
       "config.provider.datasets.TH/GOV/DOPA/civil-registry/person@1.0.cache: "},
      {with(R"("adapter": {)", R"("adapter": 1, "x": {)"),
       "config.provider.datasets.TH/GOV/DOPA/civil-registry/person@1.0."},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    auto r = parse_connector_config(c.text, ".");
    REQUIRE_FALSE(r);
    CHECK(r.error().code == errc::invalid_argument);
    CHECK(r.error().detail.substr(0, c.prefix.size()) == c.prefix);
  }
}

TEST_CASE("connector config needs a side", "[connector]") {
  auto text = without(valid_config, R"("consumer": {"listen": "127.0.0.1:8080"},)");
  text = text.substr(0, text.find(R"("provider")"));
  text = text.substr(0, text.rfind(',')) + "}";
  auto r = parse_connector_config(text, ".");
  INFO(text);
  REQUIRE_FALSE(r);
  CHECK(r.error().detail.find("needs \"consumer\"") != std::string::npos);
}

TEST_CASE("connector config: the consumer side needs the hub URL", "[connector]") {
  auto no_hub =
      parse_connector_config(without(valid_config, R"("hub": "https://127.0.0.1:8443",)"), ".");
  REQUIRE_FALSE(no_hub);
  CHECK(no_hub.error().detail.rfind("config.hub: ", 0) == 0);
}

TEST_CASE(
    "connector config: a signing certificate is required, keys of other parties are not "
    "configured",
    "[connector]") {
  auto no_certificate = parse_connector_config(
      without(valid_config, R"("signingCertificate": "keys/signing.crt",)"), ".");
  REQUIRE_FALSE(no_certificate);
  CHECK(no_certificate.error().detail.rfind("config.signingCertificate: ", 0) == 0);
  // The hub's key comes from its certificate, the reply key is made per request: neither is a
  // file a connector is given any more.
  for (const auto* old : {R"("hubKey": "keys/hub.pub.jwk",)", R"("encryptionKey": "e.jwk",)"}) {
    auto refused =
        parse_connector_config(with(R"("signingKey": "keys/signing.jwk",)",
                                    std::string(R"("signingKey": "keys/signing.jwk",)") + old),
                               ".");
    REQUIRE_FALSE(refused);
    CHECK(refused.error().detail.find("unknown member") != std::string::npos);
  }
  auto crl = parse_connector_config(
      with(R"("ca": "/etc/saphan/ca.crt"})", R"("ca": "/etc/saphan/ca.crt", "crl": "ca.crl"})"),
      "/base");
  REQUIRE(crl);
  CHECK(crl->tls.crl == "/base/ca.crl");
}

TEST_CASE("listen addresses", "[connector]") {
  auto v4 = parse_listen_address("127.0.0.1:0");
  REQUIRE(v4);
  CHECK(v4->port == 0);
  auto v6 = parse_listen_address("[::1]:65535");
  REQUIRE(v6);
  CHECK(v6->host == "::1");
  CHECK(v6->port == 65535);
  CHECK_FALSE(parse_listen_address("127.0.0.1:65536"));
  CHECK_FALSE(parse_listen_address(":80"));
  CHECK_FALSE(parse_listen_address("127.0.0.1:-1"));
  CHECK_FALSE(parse_listen_address("127.0.0.1:"));
  CHECK(is_loopback("127.0.0.1"));
  CHECK(is_loopback("127.5.0.1"));
  CHECK(is_loopback("::1"));
  CHECK_FALSE(is_loopback("0.0.0.0"));
  CHECK_FALSE(is_loopback("10.0.0.1"));
}

TEST_CASE("read_connector_config reads the file relative to its folder", "[connector]") {
  saphan::connector::testing::temp_dir dir;
  auto path = dir.write("connector.json", valid_config);
  auto c = read_connector_config(path);
  REQUIRE(c);
  CHECK(c->signing_key_path == dir.path() + "/keys/signing.jwk");
  auto missing = read_connector_config(dir.file("none.json"));
  REQUIRE_FALSE(missing);
  CHECK(missing.error().detail.rfind("config: ", 0) == 0);
}

TEST_CASE("connector config: the consumer side's notification listener and webhook",
          "[connector]") {
  auto c = parse_connector_config(
      with(R"("consumer": {"listen": "127.0.0.1:8080"})",
           R"("consumer": {"listen": "127.0.0.1:8080", "notifications": {"listen": "127.0.0.1:8015",
               "webhook": "http://127.0.0.1:9000/agency/consents?"}})"),
      "/srv/jfo");
  CHECK(c.code() == errc::invalid_argument);  // '?' is not a path character: no query
  c = parse_connector_config(
      with(R"("consumer": {"listen": "127.0.0.1:8080"})",
           R"("consumer": {"listen": "127.0.0.1:8080", "notifications": {"listen": "127.0.0.1:8015",
               "webhook": "http://127.0.0.1:9000/agency/consents"}})"),
      "/srv/jfo");
  REQUIRE(c);
  REQUIRE(c->consumer->notifications);
  CHECK(c->consumer->notifications->listen.port == 8015);
  REQUIRE(c->consumer->notifications->webhook);
  CHECK(c->consumer->notifications->webhook->endpoint.port == 9000);
  CHECK_FALSE(c->consumer->notifications->webhook->endpoint.tls);
  CHECK(c->consumer->notifications->webhook->path == "/agency/consents");

  auto none = parse_connector_config(valid_config, "/srv/jfo");
  REQUIRE(none);
  CHECK_FALSE(none->consumer->notifications);
  auto unknown = parse_connector_config(
      with(
          R"("consumer": {"listen": "127.0.0.1:8080"})",
          R"("consumer": {"listen": "127.0.0.1:8080", "notifications": {"listen": "127.0.0.1:8015", "url": "x"}})"),
      "/srv/jfo");
  CHECK(unknown.code() == errc::invalid_argument);

  CHECK(parse_webhook_url("http://127.0.0.1:9000"));
  CHECK(parse_webhook_url("http://127.0.0.1:9000")->path == "/");
  CHECK(parse_webhook_url("https://127.0.0.1:9000/x").code() == errc::invalid_argument);
  CHECK(parse_webhook_url("http://127.0.0.1:9000/a b").code() == errc::invalid_argument);
  CHECK(parse_webhook_url("http://127.0.0.1:9000/" + std::string(1100, 'a')).code() ==
        errc::invalid_argument);
}
