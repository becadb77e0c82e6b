#include <catch2/catch.hpp>

#include "crypto/encoding.hpp"
#include "crypto/jws.hpp"

using namespace saphan;
using namespace saphan::crypto;

namespace {

// RFC 8037 Appendix A.4: Ed25519 signing of "Example of Ed25519 signing" with the A.1 key.
constexpr std::string_view rfc8037_d = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A";
constexpr std::string_view rfc8037_payload = "Example of Ed25519 signing";
constexpr std::string_view rfc8037_header = "eyJhbGciOiJFZERTQSJ9";  // {"alg":"EdDSA"}
constexpr std::string_view rfc8037_encoded_payload = "RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc";
constexpr std::string_view rfc8037_signature =
    "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";

signing_key_pair rfc8037_keys() {
  return signing_key_from_seed(base64url_decode(rfc8037_d).value()).value();
}

// A detached JWS with an arbitrary header, signed with Ed25519 whatever "alg" says, so that
// only the header rules can be what refuses it.
std::string forge(std::string_view header_json, std::string_view payload,
                  const ed25519_secret_key& key) {
  std::string header = base64url_encode(header_json);
  std::string signature = sign_ed25519(header + "." + base64url_encode(payload), key);
  return header + ".." + base64url_encode(signature);
}

std::string sign_ok(std::string_view payload, const signing_key_pair& keys, std::string_view kid,
                    const header_members& extra = {}) {
  auto jws = sign_detached(payload, keys.secret_key, kid, extra);
  REQUIRE(jws);
  return *jws;
}

template <class T>
void require_refused(const result<T>& r, std::string_view detail_part = {}) {
  REQUIRE_FALSE(r);
  CHECK(r.code() == errc::bad_signature);
  if (!detail_part.empty())
    CHECK(r.error().detail.find(detail_part) != std::string::npos);
}

}  // namespace

TEST_CASE("detached JWS reproduces the RFC 8037 A.4 signature", "[crypto][jws]") {
  auto keys = rfc8037_keys();
  auto jws = sign_ok(rfc8037_payload, keys, "");
  CHECK(jws == std::string(rfc8037_header) + ".." + std::string(rfc8037_signature));
  // A.5: verification, with the payload supplied separately.
  auto info = verify_detached(jws, rfc8037_payload, keys.public_key);
  REQUIRE(info);
  CHECK(info->kid.empty());
  CHECK(info->members.empty());
  CHECK(info->x5c.empty());
}

TEST_CASE("the attached RFC 8037 form is refused: the payload part must be empty",
          "[crypto][jws]") {
  auto keys = rfc8037_keys();
  std::string attached = std::string(rfc8037_header) + "." + std::string(rfc8037_encoded_payload) +
                         "." + std::string(rfc8037_signature);
  require_refused(verify_detached(attached, rfc8037_payload, keys.public_key), "payload part");
}

TEST_CASE("detached JWS round trip carries kid and extra members", "[crypto][jws]") {
  auto keys = generate_signing_key();
  std::string payload = R"({"request_id":"abc","subject":"1101700203451"})";
  header_members extra{{"rid", "req-0001"}, {"typ", "saphan-request+json"}};
  auto jws = sign_ok(payload, keys, "TH/GOV/JFO/legal-aid#sig-1", extra);
  auto parts_dots = std::count(jws.begin(), jws.end(), '.');
  CHECK(parts_dots == 2);
  CHECK(jws.find("..") != std::string::npos);

  auto info = verify_detached(jws, payload, keys.public_key);
  REQUIRE(info);
  CHECK(info->kid == "TH/GOV/JFO/legal-aid#sig-1");
  CHECK(info->members == extra);

  auto peeked = peek_jws_header(jws);
  REQUIRE(peeked);
  CHECK(peeked->kid == info->kid);

  // Empty and binary payloads are signed as well.
  CHECK(verify_detached(sign_ok("", keys, "k"), "", keys.public_key));
  std::string binary("\x00\xff\x10", 3);
  CHECK(verify_detached(sign_ok(binary, keys, "k"), binary, keys.public_key));
}

TEST_CASE("sign_detached refuses a kid cut inside a UTF-8 sequence, reading nothing past it",
          "[crypto][jws]") {
  // RapidJSON's validating writer took a truncated sequence's missing bytes from past the end
  // of the view (found by the pattern fuzz target, whose JSON writer was the same): here "ab"
  // and the lead byte of "é" were written as "abé", with a byte that was never the kid's.
  auto keys = generate_signing_key();
  const std::string text = "ab\xc3\xa9";
  auto jws = sign_detached("payload", keys.secret_key, std::string_view(text).substr(0, 3));
  REQUIRE_FALSE(jws);
  CHECK(jws.code() == errc::invalid_argument);
  CHECK(sign_detached("payload", keys.secret_key, text));
}

TEST_CASE("verify_detached refuses a wrong key or a changed payload", "[crypto][jws]") {
  auto keys = generate_signing_key();
  auto jws = sign_ok("payload", keys, "k");
  require_refused(verify_detached(jws, "payload", generate_signing_key().public_key),
                  "does not verify");
  require_refused(verify_detached(jws, "payloaD", keys.public_key));
  require_refused(verify_detached(jws, "payload ", keys.public_key));
  require_refused(verify_detached(jws, "", keys.public_key));
}

TEST_CASE("parse_jws reads once what verify_parsed then checks", "[crypto][jws]") {
  auto keys = generate_signing_key();
  auto jws = sign_ok("payload", keys, "k", {{"rid", "r1"}});
  auto parsed = parse_jws(jws);
  REQUIRE(parsed);
  CHECK(parsed->header.kid == "k");
  CHECK(parsed->header.members.at("rid") == "r1");
  CHECK(parsed->encoded_header == jws.substr(0, jws.find('.')));
  CHECK(parsed->signature.size() == 64);
  CHECK(verify_parsed(*parsed, "payload", keys.public_key));
  require_refused(verify_parsed(*parsed, "payloaD", keys.public_key));
  require_refused(verify_parsed(*parsed, "payload", generate_signing_key().public_key));
  // What verify_detached refuses before the signature, parse_jws refuses too.
  require_refused(
      parse_jws(jws.substr(0, jws.find('.')) + ".cGF5bG9hZA." + jws.substr(jws.rfind('.') + 1)));
  require_refused(parse_jws(jws.substr(0, jws.rfind('.') + 1) + "AAAA"));
}

TEST_CASE("verify_detached refuses every single-character change", "[crypto][jws]") {
  auto keys = generate_signing_key();
  auto jws = sign_ok("payload", keys, "k", {{"rid", "r1"}});
  for (std::size_t i = 0; i < jws.size(); ++i) {
    if (jws[i] == '.')
      continue;
    std::string tampered = jws;
    tampered[i] = tampered[i] == 'A' ? 'B' : 'A';
    INFO("position " << i);
    require_refused(verify_detached(tampered, "payload", keys.public_key));
  }
}

TEST_CASE("verify_detached refuses a flipped signature bit", "[crypto][jws]") {
  auto keys = generate_signing_key();
  auto jws = sign_ok("payload", keys, "k");
  auto dot = jws.rfind('.');
  std::string signature = base64url_decode(jws.substr(dot + 1)).value();
  for (std::size_t bit = 0; bit < signature.size() * 8; bit += 61) {
    std::string flipped = signature;
    flipped[bit / 8] = static_cast<char>(flipped[bit / 8] ^ (1 << (bit % 8)));
    require_refused(verify_detached(jws.substr(0, dot + 1) + base64url_encode(flipped), "payload",
                                    keys.public_key));
  }
}

TEST_CASE("verify_detached accepts only alg EdDSA", "[crypto][jws]") {
  auto keys = generate_signing_key();
  CHECK(verify_detached(forge(R"({"alg":"EdDSA"})", "p", keys.secret_key), "p", keys.public_key));
  for (std::string_view header : {R"({"alg":"none"})", R"({"alg":"HS256"})", R"({"alg":"RS256"})",
                                  R"({"alg":"eddsa"})", R"({"alg":"Ed25519"})", R"({"alg":""})"}) {
    INFO(header);
    require_refused(verify_detached(forge(header, "p", keys.secret_key), "p", keys.public_key),
                    "not accepted");
  }
  require_refused(
      verify_detached(forge(R"({"kid":"k"})", "p", keys.secret_key), "p", keys.public_key), "alg");
  require_refused(
      verify_detached(forge(R"({"alg":["EdDSA"]})", "p", keys.secret_key), "p", keys.public_key),
      "alg");
  // The classic "none" token: no signature at all.
  std::string none = base64url_encode(R"({"alg":"none"})") + "..";
  require_refused(verify_detached(none, "p", keys.public_key));
  // HS256 with the public key as the HMAC secret must not be tried either.
  std::string hs =
      base64url_encode(R"({"alg":"HS256"})") + ".." + base64url_encode(std::string(32, 'x'));
  require_refused(verify_detached(hs, "p", keys.public_key));
}

TEST_CASE("verify_detached refuses headers it cannot trust", "[crypto][jws]") {
  auto keys = generate_signing_key();
  auto refused = [&](std::string_view header, std::string_view why) {
    INFO(header);
    require_refused(verify_detached(forge(header, "p", keys.secret_key), "p", keys.public_key),
                    why);
  };
  refused(R"({"alg":"EdDSA","crit":["exp"],"exp":1})", "crit");
  refused(R"({"alg":"EdDSA","b64":false,"crit":["b64"]})", "crit");
  refused(R"({"alg":"EdDSA","b64":true})", "b64");
  refused(R"({"alg":"EdDSA","alg":"none"})", "twice");
  refused(R"({"alg":"none","alg":"EdDSA"})", "twice");
  refused(R"({"alg":"EdDSA","kid":7})", "kid");
  refused(R"(["alg","EdDSA"])", "object");
  refused(R"({"alg":"EdDSA"} )"
          "x",
          "protected header");
  refused(R"({"alg":"EdDSA","a":{"b":{"c":{"d":{}}}}})", "nested");
}

TEST_CASE("verify_detached refuses malformed compact forms", "[crypto][jws]") {
  auto keys = generate_signing_key();
  auto jws = sign_ok("p", keys, "k");
  auto dot = jws.find('.');
  std::string header = jws.substr(0, dot);
  std::string signature = jws.substr(dot + 2);
  require_refused(verify_detached("", "p", keys.public_key), "parts");
  require_refused(verify_detached(header + "." + signature, "p", keys.public_key), "parts");
  require_refused(verify_detached(header + "..." + signature, "p", keys.public_key), "parts");
  require_refused(verify_detached(".." + signature, "p", keys.public_key), "empty");
  require_refused(verify_detached(header + "..", "p", keys.public_key), "64 bytes");
  require_refused(verify_detached(header + ".." + signature + "AA", "p", keys.public_key));
  require_refused(verify_detached(header + ".." + signature.substr(2), "p", keys.public_key));
  require_refused(verify_detached(header + "==.." + signature, "p", keys.public_key));
  require_refused(verify_detached(header + ".." + signature + "=", "p", keys.public_key));
  require_refused(peek_jws_header(header + "." + signature));
}

TEST_CASE("protected headers are limited to 8 KiB on both sides", "[crypto][jws][limits]") {
  auto keys = generate_signing_key();
  // {"alg":"EdDSA","kid":"k","pad":"<n characters>"} is 35 + n bytes.
  auto header_size = [](std::size_t pad) {
    return std::string_view(R"({"alg":"EdDSA","kid":"k","pad":""})").size() + pad;
  };
  std::size_t fitting_pad = max_protected_header_bytes - header_size(0);
  auto at_limit =
      sign_detached("p", keys.secret_key, "k", {{"pad", std::string(fitting_pad, 'a')}});
  REQUIRE(at_limit);
  auto info = verify_detached(*at_limit, "p", keys.public_key);
  REQUIRE(info);
  CHECK(info->members.at("pad").size() == fitting_pad);
  auto over =
      sign_detached("p", keys.secret_key, "k", {{"pad", std::string(fitting_pad + 1, 'a')}});
  REQUIRE_FALSE(over);
  CHECK(over.code() == errc::invalid_argument);

  // The verifier enforces the same limit on headers it did not make.
  std::string big =
      R"({"alg":"EdDSA","kid":"k","pad":")" + std::string(fitting_pad + 1, 'a') + "\"}";
  REQUIRE(big.size() == max_protected_header_bytes + 1);
  require_refused(verify_detached(forge(big, "p", keys.secret_key), "p", keys.public_key),
                  "larger");
  require_refused(peek_jws_header(forge(big, "p", keys.secret_key)), "larger");
}

TEST_CASE("payloads are limited to 16 MiB", "[crypto][jws][limits]") {
  auto keys = generate_signing_key();
  std::string payload(max_jose_input_bytes, 'x');
  auto jws = sign_detached(payload, keys.secret_key, "k");
  REQUIRE(jws);
  CHECK(verify_detached(*jws, payload, keys.public_key));
  payload.push_back('x');
  CHECK(sign_detached(payload, keys.secret_key, "k").code() == errc::payload_too_large);
  CHECK(verify_detached(*jws, payload, keys.public_key).code() == errc::payload_too_large);
}

TEST_CASE("sign_detached refuses reserved or malformed extra members", "[crypto][jws]") {
  auto keys = generate_signing_key();
  for (std::string name :
       {"alg", "kid", "crit", "b64", "jwk", "jku", "x5c", "x5u", "x5t", "x5t#S256"}) {
    INFO(name);
    auto r = sign_detached("p", keys.secret_key, "k", {{name, "v"}});
    REQUIRE_FALSE(r);
    CHECK(r.code() == errc::invalid_argument);
  }
  CHECK_FALSE(sign_detached("p", keys.secret_key, "k", {{"", "v"}}));
  CHECK(sign_detached("p", keys.secret_key, "k", {{std::string(64, 'n'), "v"}}));
  CHECK_FALSE(sign_detached("p", keys.secret_key, "k", {{std::string(65, 'n'), "v"}}));
  CHECK(sign_detached("p", keys.secret_key, "k", {{"rid", "\xff"}}).code() ==
        errc::invalid_argument);
  CHECK(sign_detached("p", keys.secret_key, "\xc3", {}).code() == errc::invalid_argument);
  // Values are escaped, not spliced: quotes stay inside the member.
  auto jws = sign_detached("p", keys.secret_key, "k\"x", {{"rid", "a\",\"alg\":\"none"}});
  REQUIRE(jws);
  auto info = verify_detached(*jws, "p", keys.public_key);
  REQUIRE(info);
  CHECK(info->kid == "k\"x");
  CHECK(info->members.at("rid") == "a\",\"alg\":\"none");
}

TEST_CASE("a header encoded once signs as sign_detached does; a split JWS verifies as parsed",
          "[crypto][jws]") {
  const auto keys = rfc8037_keys();
  auto header = encode_jws_header("k1", {{"typ", "x"}}, {"certificate bytes"});
  REQUIRE(header);
  auto once = sign_with_header(*header, "payload", keys.secret_key);
  REQUIRE(once);
  CHECK(*once ==
        sign_detached("payload", keys.secret_key, "k1", {{"typ", "x"}}, {"certificate bytes"})
            .value());
  CHECK(encode_jws_header("k1", {{"x5c", "[]"}}).code() == errc::invalid_argument);

  auto split = split_detached_jws(*once);
  REQUIRE(split);
  CHECK(split->encoded_header == *header);
  CHECK(verify_split(*split, "payload", keys.public_key));
  CHECK(verify_split(*split, "other", keys.public_key).code() == errc::bad_signature);
  auto read = read_jws_header(split->encoded_header);
  REQUIRE(read);
  CHECK(read->kid == "k1");
  CHECK(read->x5c == std::vector<std::string>{"certificate bytes"});
  CHECK(
      split_detached_jws(std::string(*header) + ".cGF5bG9hZA." + once->substr(once->rfind('.') + 1))
          .code() == errc::bad_signature);
  CHECK(split_detached_jws(std::string(*header) + "..AAAA").code() == errc::bad_signature);
  CHECK(read_jws_header(base64url_encode("{\"alg\":\"none\"}")).code() == errc::bad_signature);
}
