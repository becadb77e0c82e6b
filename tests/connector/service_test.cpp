// The running connector over real sockets and real TLS: the provider side answers the hub (and
// only the hub), the consumer side's local API checks its caller, ports 0 bind, stop() ends run().
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <thread>

#include "connector/config.hpp"
#include "connector/consumer.hpp"
#include "connector/consumer_auth.hpp"
#include "connector/service.hpp"
#include "core/citizen_id.hpp"
#include "crypto/encoding.hpp"
#include "crypto/hash.hpp"
#include "crypto/jwe.hpp"
#include "crypto/jws.hpp"
#include "exchange/envelope.hpp"
#include "net/http.hpp"
#include "net/problem.hpp"
#include "pki/member_signature.hpp"
#include "pki/pki.hpp"
#include "test_support.hpp"

using namespace saphan;
using namespace saphan::connector;
namespace http = saphan::net::http;

namespace {

const std::string dataset = "TH/GOV/DOPA/civil-registry/person@1.0";

std::string subject() {
  return complete_thai_id("110170020345");
}

struct connector_setup {
  testing::temp_dir dir;
  crypto::signing_key_pair hub_keys = crypto::generate_signing_key();
  crypto::signing_key_pair consumer_keys = crypto::generate_signing_key();
  crypto::signing_key_pair provider_keys = crypto::generate_signing_key();
  crypto::encryption_key_pair reply_keys = crypto::generate_encryption_key();
  std::optional<pki::member_signer> hub_signer;
  std::optional<pki::member_signer> consumer_signer;
  std::unique_ptr<connector_service> service;
  std::thread runner;
  std::string config_path;
  // The consumer API's bearer token (consumer.tokenFile, mode 0600).
  std::string token = crypto::base64url_encode(crypto::random_bytes(32));

  pki::member_signer certify(const std::string& member, const crypto::signing_key_pair& keys,
                             const std::string& kid, const std::string& stem) {
    REQUIRE(crypto::write_private_key_file(dir.file(stem + ".jwk"), keys, kid));
    REQUIRE(pki::issue_signing_certificate(dir.file("ca"), *parse_member_id(member),
                                           keys.public_key.view(), dir.file(stem + ".crt"), 30));
    auto signer = pki::member_signer::load(dir.file(stem + ".jwk"), dir.file(stem + ".crt"));
    REQUIRE(signer);
    return std::move(*signer);
  }

  // The hub's signature over `body`, as the real hub makes it (with its certificate).
  std::string hub_sign(std::string_view body) const { return *hub_signer->sign(body); }

  explicit connector_setup(bool start = true) {
    REQUIRE(pki::create_ca(dir.file("ca"), "Test CA", 365));
    REQUIRE(pki::issue_certificate(dir.file("ca"), *parse_member_id("TH/GOV/SAPHAN/hub"),
                                   dir.file("hub"), 30));
    REQUIRE(pki::issue_certificate(dir.file("ca"), *parse_member_id("TH/GOV/DOPA/civil-registry"),
                                   dir.file("dopa"), 30));
    REQUIRE(crypto::write_private_key_file(dir.file("signing.jwk"), provider_keys, "dopa-1"));
    // Each party's signing key, certified by the CA: the connector checks every signature with
    // the key of its signer's certificate.
    hub_signer = certify("TH/GOV/SAPHAN/hub", hub_keys, "hub-1", "hub-signing");
    consumer_signer = certify("TH/GOV/JFO/legal-aid", consumer_keys, "jfo-1", "jfo-signing");
    certify("TH/GOV/DOPA/civil-registry", provider_keys, "dopa-1", "signing");
    dir.write("pseudonym.key", crypto::base64url_encode(std::string(32, '\x05')) + "\n");
    dir.write("person.schema.json",
              R"({"type":"object","properties":{"citizenId":{"type":"string","format":"thai-id"},
                  "firstNameTh":{"type":"string"},"moo":{"type":"integer"}},"required":["citizenId"]})");
    dir.write("person.csv", "citizen_id,first_name_th,moo\n" + subject() + ",สมชาย,5\n");
    std::filesystem::permissions(
        dir.write("api.token", token + "\n"),
        std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
        std::filesystem::perm_options::replace);
    config_path = dir.write("connector.json",
                            R"({
      "member": "TH/GOV/DOPA/civil-registry", "hub": "https://127.0.0.1:1",
      "tls": {"certificate": "dopa.crt", "key": "dopa.key", "ca": "ca/ca.crt"},
      "signingKey": "signing.jwk", "signingCertificate": "signing.crt",
      "hubMember": "TH/GOV/SAPHAN/hub", "threads": 2, "timeoutMs": 2000,
      "consumer": {"listen": "127.0.0.1:0", "tokenFile": "api.token"},
      "provider": {"listen": "127.0.0.1:0", "pseudonymKey": "pseudonym.key",
        "datasets": {")" + dataset +
                                R"(": {"schema": "person.schema.json", "subjectField": "citizenId",
          "adapter": {"type": "csv", "path": "person.csv", "keyColumn": "citizen_id",
                      "fields": {"citizenId": "citizen_id", "firstNameTh": "first_name_th", "moo": "moo"},
                      "types": {"moo": "integer"}}}}}})");
    if (!start)
      return;
    auto config = read_connector_config(config_path);
    REQUIRE(config);
    auto created = connector_service::create(*config);
    REQUIRE(created);
    service = std::move(*created);
    REQUIRE(service->start());
    runner = std::thread([this] { service->run(); });
  }

  ~connector_setup() {
    if (!service)
      return;
    service->stop();
    runner.join();
  }

  // The forwarded request the hub would send for a fresh, signed envelope.
  std::string forwarded_body(timestamp issued) const {
    request_envelope r;
    r.request_id = "req-" + crypto::random_id();
    r.issued_at = issued;
    r.consumer = *parse_member_id("TH/GOV/JFO/legal-aid");
    r.dataset = *parse_dataset_id(dataset);
    r.purpose = "legal-aid-eligibility";
    r.subject = subject();
    r.reply_key = crypto::to_public_jwk(reply_keys.public_key, "jfo-enc-1");
    forwarded_request f;
    f.request = serialize(r);
    f.consumer_signature = *consumer_signer->sign(f.request);
    f.grant = {r.request_id,
               crypto::sha256(f.request).to_hex(),
               {"firstNameTh", "moo"},
               false,
               r.purpose,
               3,
               issued};
    return serialize(f);
  }
};

// Sends one request on a private io_context and returns the answer.
result<net::http_response> send(const net::endpoint& to, net::http_request request,
                                std::shared_ptr<net::tls_context> tls) {
  net::asio::io_context io;
  net::http_client client(io.get_executor(), std::move(tls), net::http_limits{});
  std::optional<result<net::http_response>> out;
  net::asio::co_spawn(
      io,
      [&]() -> net::asio::awaitable<void> {
        out.emplace(co_await client.send(to, std::move(request), std::chrono::milliseconds(5000)));
      },
      net::asio::detached);
  io.run();
  REQUIRE(out);
  return std::move(*out);
}

std::shared_ptr<net::tls_context> client_tls(const testing::temp_dir& dir, const std::string& who) {
  auto tls =
      net::make_client_tls({dir.file(who + ".crt"), dir.file(who + ".key"), dir.file("ca/ca.crt")});
  REQUIRE(tls);
  return *tls;
}

net::http_request provide_request(const std::string& body, const std::string& signature) {
  net::http_request request{http::verb::post, std::string(provide_path), 11};
  request.set(http::field::content_type, "application/json");
  request.set(signature_header, signature);
  request.body() = body;
  return request;
}

}  // namespace

TEST_CASE("connector service binds port 0 and describes itself", "[connector]") {
  connector_setup s;
  REQUIRE(s.service->consumer_port());
  REQUIRE(s.service->provider_port());
  CHECK(*s.service->consumer_port() != 0);
  CHECK(s.service->describe() ==
        "connector TH/GOV/DOPA/civil-registry consumer http://127.0.0.1:" +
            std::to_string(*s.service->consumer_port()) +
            " provider https://127.0.0.1:" + std::to_string(*s.service->provider_port()));
}

TEST_CASE("provider side answers the hub with a signed, encrypted record", "[connector]") {
  connector_setup s;
  net::endpoint provider{"127.0.0.1", *s.service->provider_port(), true};
  auto body = s.forwarded_body(now_utc());
  auto signature = s.hub_sign(body);
  auto answer = send(provider, provide_request(body, signature), client_tls(s.dir, "hub"));
  REQUIRE(answer);
  INFO(answer->body());
  REQUIRE(answer->result() == http::status::ok);
  auto provider_signature = std::string((*answer)[signature_header]);
  CHECK(crypto::verify_detached(provider_signature, answer->body(), s.provider_keys.public_key));
  auto response = parse_provider_response(answer->body());
  REQUIRE(response);
  auto opened = crypto::decrypt(response->ciphertext, s.reply_keys.secret_key, {});
  REQUIRE(opened);
  CHECK(opened->plaintext == R"({"firstNameTh":"สมชาย","moo":5})");
}

TEST_CASE("provider side refuses what the hub did not send", "[connector]") {
  connector_setup s;
  net::endpoint provider{"127.0.0.1", *s.service->provider_port(), true};
  auto body = s.forwarded_body(now_utc());
  auto signature = s.hub_sign(body);

  SECTION("another member's certificate") {
    auto answer = send(provider, provide_request(body, signature), client_tls(s.dir, "dopa"));
    REQUIRE(answer);
    CHECK(answer->result_int() == 403);
    CHECK(net::parse_problem(answer->body(), 403).code == errc::certificate_mismatch);
  }
  SECTION("a signature by another key") {
    auto forged = *crypto::sign_detached(body, s.consumer_keys.secret_key, "hub-1", {},
                                         {s.hub_signer->certificate_der});
    auto answer = send(provider, provide_request(body, forged), client_tls(s.dir, "hub"));
    REQUIRE(answer);
    CHECK(net::parse_problem(answer->body(), answer->result_int()).code == errc::bad_signature);
  }
  SECTION("a signature by another member") {
    auto forged = *s.consumer_signer->sign(body);
    auto answer = send(provider, provide_request(body, forged), client_tls(s.dir, "hub"));
    REQUIRE(answer);
    CHECK(net::parse_problem(answer->body(), answer->result_int()).code ==
          errc::certificate_mismatch);
  }
  SECTION("a replay of a request already served") {
    auto first = send(provider, provide_request(body, signature), client_tls(s.dir, "hub"));
    REQUIRE(first);
    CHECK(first->result_int() == 200);
    auto again = send(provider, provide_request(body, signature), client_tls(s.dir, "hub"));
    REQUIRE(again);
    INFO(again->body());
    CHECK(net::parse_problem(again->body(), again->result_int()).code == errc::replay);
  }
  SECTION("a stale request") {
    auto old = s.forwarded_body(now_utc() - std::chrono::seconds(301));
    auto old_signature = s.hub_sign(old);
    auto answer = send(provider, provide_request(old, old_signature), client_tls(s.dir, "hub"));
    REQUIRE(answer);
    CHECK(net::parse_problem(answer->body(), answer->result_int()).code == errc::stale_request);
  }
  SECTION("GET is not allowed, /healthz is") {
    net::http_request get{http::verb::get, std::string(provide_path), 11};
    auto answer = send(provider, get, client_tls(s.dir, "hub"));
    REQUIRE(answer);
    CHECK(answer->result_int() == 405);
    net::http_request health{http::verb::get, "/healthz", 11};
    auto ok = send(provider, health, client_tls(s.dir, "hub"));
    REQUIRE(ok);
    CHECK(ok->result_int() == 200);
  }
}

TEST_CASE("consumer side checks its caller before calling the hub", "[connector]") {
  connector_setup s;
  net::endpoint local{"127.0.0.1", *s.service->consumer_port(), false};
  net::http_request health{http::verb::get, "/healthz", 11};
  auto ok = send(local, health, nullptr);
  REQUIRE(ok);
  CHECK(ok->result_int() == 200);
  CHECK(ok->body() == "ok\n");

  net::http_request call{http::verb::post, "/r1/" + dataset, 11};
  call.set(std::string(authorization_header), "Bearer " + s.token);
  call.set(client_header, "TH/GOV/JFO/legal-aid");
  call.body() = R"({"subject":")" + subject() + R"(","purpose":"p","lawfulBasis":"consent"})";
  auto refused = send(local, call, nullptr);
  REQUIRE(refused);
  CHECK(refused->result_int() == 403);
  CHECK(net::parse_problem(refused->body(), 403).code == errc::unknown_member);

  // The right caller gets as far as the hub, which is not there.
  call.set(client_header, "TH/GOV/DOPA/civil-registry");
  call.set(std::string(traceparent_header),
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  auto unreachable = send(local, call, nullptr);
  REQUIRE(unreachable);
  CHECK(net::parse_problem(unreachable->body(), unreachable->result_int()).code ==
        errc::provider_unreachable);
  CHECK((*unreachable)[std::string(traceparent_header)] ==
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
}

TEST_CASE("consumer side refuses a call without its bearer token", "[connector]") {
  connector_setup s;
  net::endpoint local{"127.0.0.1", *s.service->consumer_port(), false};
  auto call_with = [&](std::optional<std::string> authorization, std::string target) {
    net::http_request call{http::verb::post, std::move(target), 11};
    if (authorization)
      call.set(std::string(authorization_header), *authorization);
    call.set(client_header, "TH/GOV/DOPA/civil-registry");
    call.body() = R"({"subject":")" + subject() + R"(","purpose":"p","lawfulBasis":"consent"})";
    auto answer = send(local, call, nullptr);
    REQUIRE(answer);
    return std::move(*answer);
  };
  auto wrong = s.token;
  wrong.back() = wrong.back() == 'A' ? 'B' : 'A';
  struct refusal {
    std::optional<std::string> authorization;
    std::string challenge;
  };
  const std::string realm = R"(Bearer realm="saphan-consumer")";
  for (const auto& [authorization, challenge] :
       std::vector<refusal>{{std::nullopt, realm},
                            {"", realm},
                            {"Bearer", realm},
                            {"Bearer ", realm},
                            {"Basic " + s.token, realm},
                            {s.token, realm},
                            {"Bearer " + wrong, realm + R"(, error="invalid_token")"},
                            {"Bearer " + s.token + "x", realm + R"(, error="invalid_token")"},
                            {"Bearer " + s.token.substr(1), realm + R"(, error="invalid_token")"},
                            {"Bearer  " + s.token, realm + R"(, error="invalid_token")"}}) {
    INFO((authorization ? *authorization : std::string("(no header)")));
    // Any path but /healthz: an unknown one says nothing about what exists.
    for (const auto& target :
         std::vector<std::string>{"/r1/" + dataset, std::string("/nothing-here")}) {
      auto answer = call_with(authorization, target);
      CHECK(answer.result_int() == 401);
      CHECK(answer[http::field::content_type] == "application/problem+json");
      auto problem = net::parse_problem(answer.body(), 401);
      CHECK(problem.code == errc::unauthenticated);
      CHECK(problem.detail.rfind("Authorization: ", 0) == 0);
      CHECK(answer[std::string(www_authenticate_header)] == challenge);
      CHECK(answer.body().find(s.token) == std::string::npos);
    }
  }
  // The scheme is case-insensitive (RFC 7235); the right token gets as far as the hub.
  for (const auto& scheme : std::vector<std::string>{"Bearer ", "bearer ", "BEARER "}) {
    auto answer = call_with(scheme + s.token, "/r1/" + dataset);
    CHECK(net::parse_problem(answer.body(), answer.result_int()).code ==
          errc::provider_unreachable);
  }
}

TEST_CASE("connector service refuses a token file that protects nothing", "[connector]") {
  connector_setup s(false);
  auto config = read_connector_config(s.config_path);
  REQUIRE(config);
  REQUIRE(config->consumer);
  auto refused = [&](const std::string& content, std::filesystem::perms perms) {
    std::filesystem::permissions(s.dir.write("api.token", content), perms,
                                 std::filesystem::perm_options::replace);
    auto created = connector_service::create(*config);
    REQUIRE_FALSE(created);
    CHECK(created.error().code == errc::invalid_argument);
    CHECK(created.error().detail.rfind("config.consumer.tokenFile: ", 0) == 0);
    return created.error().detail;
  };
  const auto owner = std::filesystem::perms::owner_read | std::filesystem::perms::owner_write;
  CHECK_THAT(refused("", owner), Catch::Matchers::Contains("empty"));
  CHECK_THAT(refused("\n", owner), Catch::Matchers::Contains("empty"));
  CHECK_THAT(refused(std::string(31, 'a') + "\n", owner), Catch::Matchers::Contains("at least 32"));
  CHECK_THAT(refused(std::string(16, 'a') + " " + std::string(16, 'a'), owner),
             Catch::Matchers::Contains("one line"));
  CHECK_THAT(refused(s.token, owner | std::filesystem::perms::group_read),
             Catch::Matchers::Contains("0640"));
  CHECK_THAT(refused(s.token, owner | std::filesystem::perms::others_read),
             Catch::Matchers::Contains("0604"));
  std::filesystem::remove(s.dir.file("api.token"));
  auto missing = connector_service::create(*config);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().detail.rfind("config.consumer.tokenFile: ", 0) == 0);
  // 32 characters in a file of its owner's is enough.
  std::filesystem::permissions(s.dir.write("api.token", std::string(32, 'a')),
                               std::filesystem::perms::owner_read,
                               std::filesystem::perm_options::replace);
  CHECK(connector_service::create(*config));
}

TEST_CASE("connector service reports bad files naming the config member", "[connector]") {
  testing::temp_dir dir;
  auto config = parse_connector_config(R"({"member":"TH/GOV/DOPA/civil-registry",
      "tls":{"certificate":"a.crt","key":"a.key","ca":"ca.crt"},"signingKey":"missing.jwk",
      "signingCertificate":"missing.crt","hubMember":"TH/GOV/SAPHAN/hub",
      "provider":{"listen":"127.0.0.1:0","pseudonymKey":"p.key","datasets":{")" +
                                           dataset + R"(":
        {"schema":"s.json","subjectField":"citizenId","adapter":{"type":"csv","path":"x.csv","keyColumn":"id"}}}}})",
                                       dir.path());
  REQUIRE(config);
  auto created = connector_service::create(*config);
  REQUIRE_FALSE(created);
  CHECK(created.error().code == errc::invalid_argument);
  CHECK(created.error().detail.rfind("config.signingKey: ", 0) == 0);
}

TEST_CASE("saphan connector prints its addresses and stops on SIGTERM", "[connector][binary]") {
  connector_setup s(false);
  int out[2];
  REQUIRE(pipe(out) == 0);
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    dup2(out[1], STDOUT_FILENO);
    close(out[0]);
    execl(SAPHAN_BINARY, "saphan", "connector", "--config", s.config_path.c_str(), nullptr);
    _exit(127);
  }
  close(out[1]);
  std::string line;
  pollfd p{out[0], POLLIN, 0};
  while (line.find('\n') == std::string::npos && poll(&p, 1, 10000) == 1) {
    char buffer[256];
    auto n = read(out[0], buffer, sizeof buffer);
    if (n <= 0)
      break;
    line.append(buffer, static_cast<std::size_t>(n));
  }
  close(out[0]);
  kill(pid, SIGTERM);
  int status = -1;
  for (int i = 0; i < 100 && waitpid(pid, &status, WNOHANG) == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (!WIFEXITED(status)) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
  }
  INFO(line);
  CHECK(line.rfind("connector TH/GOV/DOPA/civil-registry consumer http://127.0.0.1:", 0) == 0);
  CHECK(line.find(" provider https://127.0.0.1:") != std::string::npos);
  CHECK(line.find(":0 ") == std::string::npos);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("saphan connector exits 1 naming the bad config member", "[connector][binary]") {
  testing::temp_dir dir;
  auto path =
      dir.write("bad.json", R"({"member":"TH/GOV/JFO/legal-aid","provider":{"listen":"nowhere"}})");
  auto command = std::string(SAPHAN_BINARY) + " connector --config " + path + " 2>&1";
  auto* pipe_in = popen(command.c_str(), "r");
  REQUIRE(pipe_in != nullptr);
  char buffer[512] = {};
  auto n = fread(buffer, 1, sizeof buffer - 1, pipe_in);
  auto status = pclose(pipe_in);
  std::string text(buffer, n);
  INFO(text);
  CHECK(text.rfind("saphan connector: invalid_argument: config.", 0) == 0);
  CHECK(std::count(text.begin(), text.end(), '\n') == 1);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 1);
}
