// RFC 3161: TSA certificates, queries, responses, token verification and the HTTP round trip.
#include <openssl/ts.h>
#include <openssl/x509v3.h>

#include <catch2/catch.hpp>
#include <set>
#include <thread>

#include "net/http.hpp"
#include "tests/pki/pki_test_support.hpp"
#include "tsa/http.hpp"

using namespace saphan;
using saphan::pki::test::load_certificate;
using saphan::pki::test::temp_dir;
namespace http = saphan::net::http;

namespace {

// A CA and a TSA certificate issued by it, in a scratch directory.
struct test_tsa {
  temp_dir dir;
  std::string ca_dir = dir / "ca";
  std::string prefix = dir / "tsa";
  tsa::signer_config config;

  explicit test_tsa(const std::string& name = "Test TSA") {
    SAPHAN_REQUIRE_OK(pki::create_ca(ca_dir, "Test TSA Root", 365));
    SAPHAN_REQUIRE_OK(pki::issue_tsa_certificate(ca_dir, name, prefix, 30));
    config.certificate_path = prefix + ".crt";
    config.key_path = prefix + ".key";
  }
  std::string ca_certificate() const { return ca_dir + "/ca.crt"; }
  tsa::trust_config trust(bool pin = true) const {
    return {ca_certificate(), pin ? config.certificate_path : std::string()};
  }
  tsa::tsa_signer signer() const {
    auto s = tsa::tsa_signer::create(config);
    SAPHAN_REQUIRE_OK(s);
    return *s;
  }
};

// 2026-11-21T09:30:15.250Z: the token keeps whole seconds (clock precision 0 digits).
const timestamp fixed_now = std::chrono::sys_days{std::chrono::year{2026} / 11 / 21} +
                            std::chrono::hours{9} + std::chrono::minutes{30} +
                            std::chrono::seconds{15} + std::chrono::milliseconds{250};

// Serials 1, 2, 3, ... so tests can name them.
tsa::serial_source counting_serials() {
  auto next = std::make_shared<std::uint8_t>(0);
  return [next]() -> result<tsa::serial_number> {
    tsa::serial_number serial{};
    serial.back() = ++*next;
    return serial;
  };
}

std::string respond_ok(const tsa::tsa_signer& signer, const crypto::sha256_digest& digest,
                       std::optional<std::uint64_t> nonce = 42) {
  auto request = tsa::make_request(digest, nonce);
  SAPHAN_REQUIRE_OK(request);
  auto response = signer.respond(*request, counting_serials(), fixed_now);
  SAPHAN_REQUIRE_OK(response);
  return *response;
}

tsa::reply_info reply_of(const std::string& der) {
  auto info = tsa::read_reply(der);
  SAPHAN_REQUIRE_OK(info);
  return *info;
}

bool has_failure(const tsa::reply_info& info, const std::string& name) {
  return std::find(info.failures.begin(), info.failures.end(), name) != info.failures.end();
}

const crypto::sha256_digest tree_head = crypto::sha256("signed tree head 1");

}  // namespace

// ---- the TSA certificate ---------------------------------------------------------------------

TEST_CASE("TSA certificates carry a critical timeStamping extendedKeyUsage", "[tsa][pki]") {
  test_tsa t;
  auto certificate = load_certificate(t.config.certificate_path);
  CHECK(X509_check_purpose(certificate.get(), X509_PURPOSE_TIMESTAMP_SIGN, 0) == 1);
  int index = X509_get_ext_by_NID(certificate.get(), NID_ext_key_usage, -1);
  REQUIRE(index >= 0);
  CHECK(X509_EXTENSION_get_critical(X509_get_ext(certificate.get(), index)) == 1);
  CHECK(X509_get_extended_key_usage(certificate.get()) == XKU_TIMESTAMP);
  CHECK(X509_check_ca(certificate.get()) == 0);
  CHECK(pki::test::file_mode(t.config.key_path) == 0600);
  // A member certificate is not a TSA certificate.
  CHECK(X509_check_purpose(certificate.get(), X509_PURPOSE_SSL_SERVER, 0) != 1);
}

TEST_CASE("issue_tsa_certificate checks its inputs", "[tsa][pki]") {
  test_tsa t;
  auto again = [&](const std::string& name, int days, const std::string& prefix) {
    return pki::issue_tsa_certificate(t.ca_dir, name, prefix, days);
  };
  CHECK(again("TSA", 1, t.dir / "one-day").has_value());
  CHECK(again("TSA", 0, t.dir / "zero").code() == errc::invalid_argument);
  CHECK(again("TSA", pki::max_tsa_certificate_validity_days + 1, t.dir / "long").code() ==
        errc::invalid_argument);
  // Within the limit but past the CA (365 days).
  CHECK(again("TSA", 400, t.dir / "outlives").code() == errc::invalid_argument);
  CHECK(again(std::string(64, 'n'), 10, t.dir / "name64").has_value());
  CHECK(again(std::string(65, 'n'), 10, t.dir / "name65").code() == errc::invalid_argument);
  CHECK(again("", 10, t.dir / "empty").code() == errc::invalid_argument);
  CHECK(again("bad\nname", 10, t.dir / "ctl").code() == errc::invalid_argument);
  CHECK(again("TSA", 10, t.prefix).code() == errc::already_exists);
  CHECK(pki::issue_tsa_certificate(t.dir / "no-ca", "TSA", t.dir / "x", 10).code() ==
        errc::not_found);
  CHECK(pki::issue_tsa_certificate(t.ca_dir, "TSA", t.prefix, 10, true).has_value());
}

// ---- queries -----------------------------------------------------------------------------

TEST_CASE("make_request builds a SHA-256 query asking for the certificate", "[tsa]") {
  auto der = tsa::make_request(tree_head, 0x1122334455667788ULL);
  SAPHAN_REQUIRE_OK(der);
  const auto* cursor = reinterpret_cast<const unsigned char*>(der->data());
  TS_REQ* request = d2i_TS_REQ(nullptr, &cursor, static_cast<long>(der->size()));
  REQUIRE(request != nullptr);
  CHECK(TS_REQ_get_version(request) == 1);
  CHECK(TS_REQ_get_cert_req(request) == 1);
  TS_MSG_IMPRINT* imprint = TS_REQ_get_msg_imprint(request);
  const ASN1_OBJECT* oid = nullptr;
  X509_ALGOR_get0(&oid, nullptr, nullptr, TS_MSG_IMPRINT_get_algo(imprint));
  CHECK(OBJ_obj2nid(oid) == NID_sha256);
  const ASN1_OCTET_STRING* hashed = TS_MSG_IMPRINT_get_msg(imprint);
  CHECK(std::string_view(reinterpret_cast<const char*>(ASN1_STRING_get0_data(hashed)),
                         static_cast<std::size_t>(ASN1_STRING_length(hashed))) == tree_head.view());
  std::uint64_t nonce = 0;
  REQUIRE(ASN1_INTEGER_get_uint64(&nonce, TS_REQ_get_nonce(request)) == 1);
  CHECK(nonce == 0x1122334455667788ULL);
  TS_REQ_free(request);

  auto without = tsa::make_request(tree_head);
  SAPHAN_REQUIRE_OK(without);
  CHECK(without->size() < der->size());
}

// ---- responding and verifying --------------------------------------------------------------

TEST_CASE("a response verifies against the TSA's CA and says when and what", "[tsa]") {
  test_tsa t;
  auto signer = t.signer();
  auto response = respond_ok(signer, tree_head, 7);
  auto info = reply_of(response);
  CHECK(info.status == tsa::reply_status::granted);
  CHECK(info.has_token);
  SAPHAN_REQUIRE_OK(tsa::check_reply(response, tree_head, 7));

  auto verified = tsa::verify_token(response, tree_head, t.trust(), 7);
  SAPHAN_REQUIRE_OK(verified);
  CHECK(verified->time == std::chrono::floor<std::chrono::seconds>(fixed_now));
  CHECK(verified->policy_oid == tsa::placeholder_policy_oid);
  CHECK(verified->serial_hex == "01");
  // Unpinned: any TSA certificate under the CA will do.
  SAPHAN_REQUIRE_OK(tsa::verify_token(response, tree_head, t.trust(false)));

  // The bare token verifies the same way.
  auto token = tsa::extract_token(response);
  SAPHAN_REQUIRE_OK(token);
  CHECK(token->size() < response.size());
  SAPHAN_REQUIRE_OK(tsa::verify_token(*token, tree_head, t.trust(), 7));
}

TEST_CASE("verify_token rejects another digest, nonce, TSA, and garbage", "[tsa]") {
  test_tsa t;
  auto response = respond_ok(t.signer(), tree_head, 7);

  SECTION("another digest") {
    auto r = tsa::verify_token(response, crypto::sha256("signed tree head 2"), t.trust());
    CHECK(r.code() == errc::timestamp_invalid);
    CHECK(tsa::check_reply(response, crypto::sha256("other"), 7).code() == errc::timestamp_invalid);
  }
  SECTION("another nonce") {
    CHECK(tsa::verify_token(response, tree_head, t.trust(), 8).code() == errc::timestamp_invalid);
    CHECK(tsa::check_reply(response, tree_head, 8).code() == errc::timestamp_invalid);
    auto no_nonce = respond_ok(t.signer(), tree_head, std::nullopt);
    CHECK(tsa::verify_token(no_nonce, tree_head, t.trust(), 7).code() == errc::timestamp_invalid);
  }
  SECTION("a token from a TSA under another CA") {
    test_tsa other("Other TSA");
    auto foreign = respond_ok(other.signer(), tree_head, 7);
    SAPHAN_REQUIRE_OK(tsa::verify_token(foreign, tree_head, other.trust(), 7));
    CHECK(tsa::verify_token(foreign, tree_head, t.trust(false), 7).code() ==
          errc::timestamp_invalid);
  }
  SECTION("a token from another TSA certificate under the same CA, when pinned") {
    tsa::signer_config second = t.config;
    second.certificate_path = t.dir / "second.crt";
    second.key_path = t.dir / "second.key";
    SAPHAN_REQUIRE_OK(pki::issue_tsa_certificate(t.ca_dir, "Second TSA", t.dir / "second", 30));
    auto signer = tsa::tsa_signer::create(second);
    SAPHAN_REQUIRE_OK(signer);
    auto other = respond_ok(*signer, tree_head, 7);
    SAPHAN_REQUIRE_OK(tsa::verify_token(other, tree_head, t.trust(false), 7));
    CHECK(tsa::verify_token(other, tree_head, t.trust(true), 7).code() == errc::timestamp_invalid);
  }
  SECTION("tampered bytes") {
    // The last byte belongs to the ECDSA signature; the imprint bytes to the signed TSTInfo.
    auto flipped_signature = response;
    flipped_signature.back() = static_cast<char>(flipped_signature.back() ^ 0x01);
    CHECK(tsa::verify_token(flipped_signature, tree_head, t.trust()).code() ==
          errc::timestamp_invalid);
    auto at = response.find(std::string(tree_head.view()));
    REQUIRE(at != std::string::npos);
    auto flipped_imprint = response;
    flipped_imprint[at + 5] = static_cast<char>(flipped_imprint[at + 5] ^ 0x80);
    auto tampered_digest = tree_head;
    tampered_digest.bytes[5] ^= 0x80;
    // Even told the tampered digest, the signature no longer covers it.
    CHECK(tsa::verify_token(flipped_imprint, tampered_digest, t.trust()).code() ==
          errc::timestamp_invalid);
    auto time_at = response.find("20261121093015Z");
    REQUIRE(time_at != std::string::npos);
    auto flipped_time = response;
    flipped_time[time_at + 3] = '7';  // 2027
    CHECK(tsa::verify_token(flipped_time, tree_head, t.trust()).code() == errc::timestamp_invalid);
  }
  SECTION("garbage, trailing bytes, and size") {
    CHECK(tsa::verify_token("", tree_head, t.trust()).code() == errc::timestamp_invalid);
    CHECK(tsa::verify_token("not DER at all", tree_head, t.trust()).code() ==
          errc::timestamp_invalid);
    CHECK(tsa::verify_token(response + '\0', tree_head, t.trust()).code() ==
          errc::timestamp_invalid);
    CHECK(tsa::verify_token(response.substr(0, response.size() - 1), tree_head, t.trust()).code() ==
          errc::timestamp_invalid);
    std::string at_limit(tsa::max_response_bytes, '\x30');
    CHECK(tsa::verify_token(at_limit, tree_head, t.trust()).code() == errc::timestamp_invalid);
    CHECK(tsa::verify_token(at_limit + "0", tree_head, t.trust()).code() ==
          errc::payload_too_large);
    CHECK(tsa::read_reply(at_limit + "0").code() == errc::payload_too_large);
  }
  SECTION("a rejection is not a token") {
    auto rejection = t.signer().respond("garbage", counting_serials(), fixed_now);
    SAPHAN_REQUIRE_OK(rejection);
    CHECK(tsa::verify_token(*rejection, tree_head, t.trust()).code() == errc::timestamp_invalid);
    CHECK(tsa::extract_token(*rejection).code() == errc::timestamp_invalid);
  }
  SECTION("bad trust configuration") {
    CHECK(tsa::verify_token(response, tree_head, {"", ""}).code() == errc::invalid_argument);
    CHECK(tsa::verify_token(response, tree_head, {t.dir / "missing.crt", ""}).code() ==
          errc::io_error);
  }
}

TEST_CASE("the TSA answers bad queries with a rejection, never a crash", "[tsa]") {
  test_tsa t;
  auto signer = t.signer();
  auto good = tsa::make_request(tree_head, 1);
  SAPHAN_REQUIRE_OK(good);
  auto rejected_as = [&](std::string_view body, const std::string& failure) {
    auto response = signer.respond(body, counting_serials(), fixed_now);
    SAPHAN_REQUIRE_OK(response);
    auto info = reply_of(*response);
    CHECK(info.status == tsa::reply_status::rejection);
    CHECK_FALSE(info.has_token);
    INFO("failures: " << info.failures.size() << " text: " << info.text);
    CHECK(has_failure(info, failure));
  };
  rejected_as("", "badDataFormat");
  rejected_as("garbage", "badDataFormat");
  rejected_as(*good + "x", "badDataFormat");
  rejected_as(good->substr(0, good->size() - 1), "badDataFormat");
  rejected_as(std::string(tsa::max_request_bytes + 1, '\x30'), "badDataFormat");

  // SHA-1 imprints are refused: badAlg.
  TS_REQ* request = TS_REQ_new();
  TS_MSG_IMPRINT* imprint = TS_MSG_IMPRINT_new();
  X509_ALGOR* algorithm = X509_ALGOR_new();
  unsigned char sha1[20] = {1};
  REQUIRE(X509_ALGOR_set0(algorithm, OBJ_nid2obj(NID_sha1), V_ASN1_NULL, nullptr) == 1);
  REQUIRE(TS_MSG_IMPRINT_set_algo(imprint, algorithm) == 1);
  REQUIRE(TS_MSG_IMPRINT_set_msg(imprint, sha1, sizeof sha1) == 1);
  REQUIRE(TS_REQ_set_version(request, 1) == 1);
  REQUIRE(TS_REQ_set_msg_imprint(request, imprint) == 1);
  unsigned char* der = nullptr;
  int size = i2d_TS_REQ(request, &der);
  REQUIRE(size > 0);
  std::string sha1_request(reinterpret_cast<char*>(der), static_cast<std::size_t>(size));
  OPENSSL_free(der);
  X509_ALGOR_free(algorithm);
  TS_MSG_IMPRINT_free(imprint);
  TS_REQ_free(request);
  rejected_as(sha1_request, "badAlg");

  // And it still answers good queries afterwards.
  auto response = signer.respond(*good, counting_serials(), fixed_now);
  SAPHAN_REQUIRE_OK(response);
  CHECK(reply_of(*response).status == tsa::reply_status::granted);
}

// A query whose DER is exactly `total` bytes, padded with a (non-critical, private) extension.
static std::string padded_request(std::size_t total) {
  auto build = [](std::size_t pad) {
    TS_REQ* request = TS_REQ_new();
    TS_MSG_IMPRINT* imprint = TS_MSG_IMPRINT_new();
    X509_ALGOR* algorithm = X509_ALGOR_new();
    auto digest = tree_head.bytes;
    ASN1_OCTET_STRING* value = ASN1_OCTET_STRING_new();
    std::string padding(pad, 'p');
    ASN1_OBJECT* oid = OBJ_txt2obj("1.3.6.1.4.1.55555.9.9", 1);
    REQUIRE((request && imprint && algorithm && value && oid));
    REQUIRE(X509_ALGOR_set0(algorithm, OBJ_nid2obj(NID_sha256), V_ASN1_NULL, nullptr) == 1);
    REQUIRE(TS_MSG_IMPRINT_set_algo(imprint, algorithm) == 1);
    REQUIRE(TS_MSG_IMPRINT_set_msg(imprint, digest.data(), static_cast<int>(digest.size())) == 1);
    REQUIRE(TS_REQ_set_version(request, 1) == 1);
    REQUIRE(TS_REQ_set_msg_imprint(request, imprint) == 1);
    REQUIRE(ASN1_OCTET_STRING_set(value, reinterpret_cast<const unsigned char*>(padding.data()),
                                  static_cast<int>(padding.size())) == 1);
    X509_EXTENSION* extension = X509_EXTENSION_create_by_OBJ(nullptr, oid, 0, value);
    REQUIRE(extension != nullptr);
    REQUIRE(TS_REQ_add_ext(request, extension, -1) == 1);
    unsigned char* der = nullptr;
    int size = i2d_TS_REQ(request, &der);
    REQUIRE(size > 0);
    std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(size));
    OPENSSL_free(der);
    X509_EXTENSION_free(extension);
    ASN1_OBJECT_free(oid);
    ASN1_OCTET_STRING_free(value);
    X509_ALGOR_free(algorithm);
    TS_MSG_IMPRINT_free(imprint);
    TS_REQ_free(request);
    return out;
  };
  // Lengths between 256 and 65535 all take the same number of length octets, so the size grows
  // one for one with the padding.
  std::size_t base = build(1000).size();
  auto out = build(1000 + total - base);
  REQUIRE(out.size() == total);
  return out;
}

TEST_CASE("requests up to max_request_bytes are read, larger ones are not", "[tsa]") {
  test_tsa t;
  auto signer = t.signer();
  // At the limit the query is read, and refused for its extension (unacceptedExtension); one
  // byte over, it is not read at all (badDataFormat).
  auto at_limit =
      signer.respond(padded_request(tsa::max_request_bytes), counting_serials(), fixed_now);
  SAPHAN_REQUIRE_OK(at_limit);
  CHECK(has_failure(reply_of(*at_limit), "unacceptedExtension"));
  auto over =
      signer.respond(padded_request(tsa::max_request_bytes + 1), counting_serials(), fixed_now);
  SAPHAN_REQUIRE_OK(over);
  CHECK(has_failure(reply_of(*over), "badDataFormat"));
  CHECK_FALSE(has_failure(reply_of(*over), "unacceptedExtension"));
}

TEST_CASE("serials come from the serial source and random ones differ", "[tsa]") {
  test_tsa t;
  auto signer = t.signer();
  auto request = tsa::make_request(tree_head, 1);
  SAPHAN_REQUIRE_OK(request);
  std::set<std::string> serials;
  auto source = tsa::random_serials();
  for (int i = 0; i < 8; ++i) {
    auto response = signer.respond(*request, source, fixed_now);
    SAPHAN_REQUIRE_OK(response);
    auto verified = tsa::verify_token(*response, tree_head, t.trust());
    SAPHAN_REQUIRE_OK(verified);
    CHECK(verified->serial_hex.size() == 32);  // 128 bits, top bit set
    serials.insert(verified->serial_hex);
  }
  CHECK(serials.size() == 8);

  tsa::serial_source failing = []() -> result<tsa::serial_number> {
    return make_error(errc::storage_failure, "serial counter unavailable");
  };
  CHECK(signer.respond(*request, failing, fixed_now).code() == errc::storage_failure);
}

TEST_CASE("tsa_signer::create refuses certificates that are not for time-stamping", "[tsa]") {
  test_tsa t;
  SAPHAN_REQUIRE_OK(pki::issue_certificate(t.ca_dir, pki::test::make_member("DOPA", "civil"),
                                           t.dir / "member", 30));
  tsa::signer_config member = t.config;
  member.certificate_path = t.dir / "member.crt";
  member.key_path = t.dir / "member.key";
  CHECK(tsa::tsa_signer::create(member).code() == errc::invalid_argument);

  tsa::signer_config mismatched = t.config;
  mismatched.key_path = t.dir / "member.key";
  CHECK(tsa::tsa_signer::create(mismatched).code() == errc::invalid_argument);

  tsa::signer_config bad_policy = t.config;
  bad_policy.policy_oid = "sha256";
  CHECK(tsa::tsa_signer::create(bad_policy).code() == errc::invalid_argument);
  bad_policy.policy_oid = "";
  CHECK(tsa::tsa_signer::create(bad_policy).code() == errc::invalid_argument);

  tsa::signer_config missing = t.config;
  missing.key_path = t.dir / "nope.key";
  CHECK(tsa::tsa_signer::create(missing).code() == errc::io_error);

  tsa::signer_config chained = t.config;
  chained.chain_paths = std::vector<std::string>(8, t.ca_certificate());
  CHECK(tsa::tsa_signer::create(chained).has_value());
  chained.chain_paths.push_back(t.ca_certificate());
  CHECK(tsa::tsa_signer::create(chained).code() == errc::invalid_argument);
}

// ---- HTTP ----------------------------------------------------------------------------------

TEST_CASE("answer_http serves POST / with application/timestamp-query only", "[tsa]") {
  test_tsa t;
  auto signer = t.signer();
  auto query = tsa::make_request(tree_head, 3);
  SAPHAN_REQUIRE_OK(query);
  auto make = [&](http::verb verb, const std::string& target, const std::string& type) {
    net::http_request request{verb, target, 11};
    if (!type.empty())
      request.set(http::field::content_type, type);
    request.body() = *query;
    return tsa::answer_http(signer, counting_serials(), request, fixed_now);
  };
  auto good = make(http::verb::post, "/", "application/timestamp-query");
  REQUIRE(good.result() == http::status::ok);
  CHECK(std::string(good[http::field::content_type]) == "application/timestamp-reply");
  SAPHAN_REQUIRE_OK(tsa::verify_token(good.body(), tree_head, t.trust(), 3));
  CHECK(make(http::verb::post, "/", "Application/TimeStamp-Query; x=y").result() ==
        http::status::ok);
  CHECK(make(http::verb::get, "/", "application/timestamp-query").result() ==
        http::status::method_not_allowed);
  CHECK(make(http::verb::post, "/other", "application/timestamp-query").result() ==
        http::status::not_found);
  CHECK(make(http::verb::post, "/", "application/octet-stream").result() ==
        http::status::bad_request);
  CHECK(make(http::verb::post, "/", "").result() == http::status::bad_request);
}

TEST_CASE("request_timestamp gets a verifiable token over loopback HTTP", "[tsa]") {
  test_tsa t;
  net::asio::io_context io;
  net::http_server server(io, nullptr, tsa::server_limits(),
                          tsa::make_handler(t.signer(), tsa::random_serials()));
  auto port = server.listen("127.0.0.1", 0);
  SAPHAN_REQUIRE_OK(port);
  std::thread runner([&io] { io.run(); });
  std::string url = "http://127.0.0.1:" + std::to_string(*port);

  auto response = tsa::request_timestamp_blocking(url, tree_head, std::chrono::seconds(5));
  auto token_ok = response.has_value();
  std::optional<result<tsa::verified_timestamp>> verified;
  if (token_ok)
    verified.emplace(tsa::verify_token(*response, tree_head, t.trust()));
  // A second request on the same server still works (the server keeps serving).
  auto second =
      tsa::request_timestamp_blocking(url, crypto::sha256("head 2"), std::chrono::seconds(5));

  server.stop();
  io.stop();
  runner.join();

  SAPHAN_REQUIRE_OK(response);
  REQUIRE(verified);
  SAPHAN_REQUIRE_OK(*verified);
  auto age = now_utc() - (*verified)->time;
  CHECK(age >= std::chrono::seconds(-2));
  CHECK(age <= std::chrono::seconds(60));
  SAPHAN_REQUIRE_OK(second);
  CHECK(tsa::verify_token(*second, tree_head, t.trust()).code() == errc::timestamp_invalid);
}

TEST_CASE("request_timestamp reports an unreachable TSA and bad URLs", "[tsa]") {
  // Bind a port, then close it: nothing listens there any more.
  std::uint16_t port = 0;
  {
    net::asio::io_context io;
    net::tcp::acceptor acceptor(io,
                                net::tcp::endpoint(net::asio::ip::make_address("127.0.0.1"), 0));
    port = acceptor.local_endpoint().port();
  }
  auto r = tsa::request_timestamp_blocking("http://127.0.0.1:" + std::to_string(port), tree_head,
                                           std::chrono::seconds(2));
  CHECK(r.code() == errc::provider_unreachable);
  CHECK(tsa::request_timestamp_blocking("https://127.0.0.1:1", tree_head, std::chrono::seconds(1))
            .code() == errc::invalid_argument);
  CHECK(tsa::request_timestamp_blocking("ftp://x", tree_head, std::chrono::seconds(1)).code() ==
        errc::invalid_argument);
}

TEST_CASE("request_timestamp refuses answers that are not time-stamp replies", "[tsa]") {
  net::asio::io_context io;
  auto handler = [](net::http_request& request,
                    const net::peer_info&) -> net::asio::awaitable<net::http_response> {
    co_return net::make_response(request.version(), request.keep_alive(), http::status::ok,
                                 "not a reply", "application/timestamp-reply");
  };
  net::http_server server(io, nullptr, net::http_limits{}, handler);
  auto port = server.listen("127.0.0.1", 0);
  SAPHAN_REQUIRE_OK(port);
  std::thread runner([&io] { io.run(); });
  auto r = tsa::request_timestamp_blocking("http://127.0.0.1:" + std::to_string(*port), tree_head,
                                           std::chrono::seconds(5));
  server.stop();
  io.stop();
  runner.join();
  CHECK(r.code() == errc::timestamp_invalid);
}
