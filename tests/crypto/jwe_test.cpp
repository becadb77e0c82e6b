#include <catch2/catch.hpp>

#include "core/json.hpp"
#include "crypto/encoding.hpp"
#include "crypto/jwe.hpp"

using namespace saphan;
using namespace saphan::crypto;

namespace {

const header_members binding{{"rid", "req-7f3a"},
                             {"cns", "TH/GOV/JFO/legal-aid"},
                             {"prv", "TH/GOV/DOPA/civil-registry"},
                             {"dst", "TH/GOV/DOPA/civil-registry/person@1.0"}};
constexpr std::string_view record = R"({"citizen_id":"1101700203451","name":"สมชาย ใจดี"})";

std::string encrypt_ok(const x25519_public_key& to, std::string_view plaintext,
                       const header_members& members = binding, std::string_view kid = "enc-1") {
  auto jwe = encrypt_to(to, plaintext, kid, members);
  REQUIRE(jwe);
  return *jwe;
}

std::vector<std::string> split(const std::string& jwe) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (auto dot = jwe.find('.'); dot != std::string::npos; dot = jwe.find('.', start)) {
    parts.push_back(jwe.substr(start, dot - start));
    start = dot + 1;
  }
  parts.push_back(jwe.substr(start));
  return parts;
}

std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i)
    out += (i ? "." : "") + parts[i];
  return out;
}

std::string flip_bit(const std::string& encoded, std::size_t bit) {
  std::string raw = base64url_decode(encoded).value();
  raw[bit / 8] = static_cast<char>(raw[bit / 8] ^ (1 << (bit % 8)));
  return base64url_encode(raw);
}

// Replaces one member of the protected header (re-encoding it), keeping everything else.
std::string with_header_member(const std::string& jwe, const std::string& name,
                               rapidjson::Value value) {
  auto parts = split(jwe);
  auto header = parse_json(base64url_decode(parts[0]).value()).value();
  header.RemoveMember(name.c_str());
  header.AddMember(rapidjson::Value(name.c_str(), header.GetAllocator()), value,
                   header.GetAllocator());
  parts[0] = base64url_encode(write_json(header));
  return join(parts);
}

rapidjson::Value string_value(const std::string& text, rapidjson::Document& owner) {
  return rapidjson::Value(text.c_str(), owner.GetAllocator());
}

void require_refused(const result<jwe_opened>& r, std::string_view detail_part = {}) {
  REQUIRE_FALSE(r);
  CHECK(r.code() == errc::bad_encryption);
  if (!detail_part.empty())
    CHECK(r.error().detail.find(detail_part) != std::string::npos);
}

}  // namespace

TEST_CASE("Concat KDF matches RFC 7518 Appendix C", "[crypto][jwe]") {
  const unsigned char z[] = {158, 86,  217, 29,  129, 113, 53,  211, 114, 131, 66,
                             131, 191, 132, 38,  156, 251, 49,  110, 163, 218, 128,
                             106, 72,  246, 218, 167, 121, 140, 254, 144, 196};
  std::string_view z_bytes(reinterpret_cast<const char*>(z), sizeof z);
  CHECK(base64url_encode(concat_kdf_sha256(z_bytes, "A128GCM", "Alice", "Bob", 128)) ==
        "VqqN6vgjbSBcIijNcacQGg");
  CHECK(concat_kdf_sha256(z_bytes, "A256GCM", "", "", 256).size() == 32);
  CHECK(concat_kdf_sha256(z_bytes, "A256GCM", "", "", 512).size() == 64);
  CHECK(concat_kdf_sha256(z_bytes, "A256GCM", "", "", 0).empty());
  CHECK(concat_kdf_sha256(z_bytes, "A256GCM", "", "", 12).empty());
  CHECK(concat_kdf_sha256(z_bytes, "A256GCM", "", "", 1032).empty());
}

TEST_CASE("X25519 agreement matches RFC 8037 A.6 / RFC 7748", "[crypto][jwe]") {
  auto ephemeral = encryption_key_from_secret(
      hex_decode("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a").value());
  REQUIRE(ephemeral);
  CHECK(to_base64url(ephemeral->public_key) == "hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo");
  auto bob = parse_x25519_public_key("3p7bfXt9wbTTW2HC7OQ1Nz-DQ8hbeGdNrfx-FG-IK08");
  REQUIRE(bob);
  auto z = derive_x25519_shared_secret(ephemeral->secret_key, *bob);
  REQUIRE(z);
  CHECK(hex_encode(*z) == "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
  // A low-order point gives an all-zero secret, which is refused.
  auto zero_point = x25519_public_key::from_bytes(std::string(32, '\0')).value();
  CHECK(derive_x25519_shared_secret(ephemeral->secret_key, zero_point).code() ==
        errc::bad_encryption);
}

TEST_CASE("JWE round trip returns the plaintext, kid and binding", "[crypto][jwe]") {
  auto consumer = generate_encryption_key();
  auto jwe = encrypt_ok(consumer.public_key, record);
  auto parts = split(jwe);
  REQUIRE(parts.size() == 5);
  CHECK(parts[1].empty());                          // direct agreement: no wrapped key
  CHECK(base64url_decode(parts[2])->size() == 12);  // 96-bit IV
  CHECK(base64url_decode(parts[4])->size() == 16);  // 128-bit tag
  auto header = parse_json(base64url_decode(parts[0]).value()).value();
  CHECK(std::string(header["alg"].GetString()) == "ECDH-ES");
  CHECK(std::string(header["enc"].GetString()) == "A256GCM");
  CHECK(std::string(header["epk"]["crv"].GetString()) == "X25519");
  CHECK_FALSE(header["epk"].HasMember("d"));

  auto opened = decrypt(jwe, consumer.secret_key, binding);
  REQUIRE(opened);
  CHECK(opened->plaintext == record);
  CHECK(opened->kid == "enc-1");
  CHECK(opened->members == binding);

  auto peeked = peek_jwe_header(jwe);
  REQUIRE(peeked);
  CHECK(peeked->kid == "enc-1");

  // An empty expectation checks nothing beyond authenticity; empty plaintexts work too.
  CHECK(decrypt(jwe, consumer.secret_key, {}));
  auto empty = encrypt_ok(consumer.public_key, "", {}, "");
  auto opened_empty = decrypt(empty, consumer.secret_key, {});
  REQUIRE(opened_empty);
  CHECK(opened_empty->plaintext.empty());
  CHECK(opened_empty->kid.empty());
}

TEST_CASE("two encryptions of the same plaintext differ", "[crypto][jwe]") {
  auto consumer = generate_encryption_key();
  auto a = split(encrypt_ok(consumer.public_key, record));
  auto b = split(encrypt_ok(consumer.public_key, record));
  CHECK(a[0] != b[0]);  // fresh ephemeral key
  CHECK(a[2] != b[2]);  // fresh IV
  CHECK(a[3] != b[3]);
  CHECK(a[4] != b[4]);
}

TEST_CASE("decrypt refuses the wrong key", "[crypto][jwe]") {
  auto consumer = generate_encryption_key();
  auto jwe = encrypt_ok(consumer.public_key, record);
  require_refused(decrypt(jwe, generate_encryption_key().secret_key, binding), "authentication");
}

TEST_CASE("decrypt refuses a flipped bit in IV, ciphertext or tag", "[crypto][jwe]") {
  auto consumer = generate_encryption_key();
  auto parts = split(encrypt_ok(consumer.public_key, record));
  for (std::size_t part : {2u, 3u, 4u}) {
    for (std::size_t bit = 0; bit < base64url_decode(parts[part])->size() * 8; bit += 13) {
      auto tampered = parts;
      tampered[part] = flip_bit(parts[part], bit);
      INFO("part " << part << " bit " << bit);
      require_refused(decrypt(join(tampered), consumer.secret_key, binding), "authentication");
    }
  }
}

TEST_CASE("decrypt refuses every single-character change", "[crypto][jwe]") {
  auto consumer = generate_encryption_key();
  auto jwe = encrypt_ok(consumer.public_key, "short", {{"rid", "r"}}, "k");
  for (std::size_t i = 0; i < jwe.size(); ++i) {
    if (jwe[i] == '.')
      continue;
    std::string tampered = jwe;
    tampered[i] = tampered[i] == 'A' ? 'B' : 'A';
    INFO("position " << i);
    require_refused(decrypt(tampered, consumer.secret_key, {}));
  }
}

TEST_CASE("decrypt refuses a changed protected header", "[crypto][jwe]") {
  auto consumer = generate_encryption_key();
  auto jwe = encrypt_ok(consumer.public_key, record);
  rapidjson::Document scratch;

  SECTION("a binding member rewritten to what the recipient expects") {
    auto forged = with_header_member(jwe, "rid", string_value("req-other", scratch));
    auto expected = binding;
    expected["rid"] = "req-other";
    require_refused(decrypt(forged, consumer.secret_key, expected), "authentication");
  }
  SECTION("another valid ephemeral key") {
    auto other = to_public_jwk(generate_encryption_key().public_key, "");
    auto epk = parse_json(other).value();
    rapidjson::Value value;
    value.CopyFrom(epk, scratch.GetAllocator());
    require_refused(
        decrypt(with_header_member(jwe, "epk", std::move(value)), consumer.secret_key, binding),
        "authentication");
  }
  SECTION("a flipped bit in the ephemeral key") {
    auto header = parse_json(base64url_decode(split(jwe)[0]).value()).value();
    std::string x(header["epk"]["x"].GetString());
    auto epk = parse_json(R"({"kty":"OKP","crv":"X25519","x":")" + flip_bit(x, 9) + "\"}").value();
    rapidjson::Value value;
    value.CopyFrom(epk, scratch.GetAllocator());
    require_refused(
        decrypt(with_header_member(jwe, "epk", std::move(value)), consumer.secret_key, binding));
  }
  SECTION("a low-order ephemeral key") {
    auto epk = parse_json(R"({"kty":"OKP","crv":"X25519","x":")" +
                          base64url_encode(std::string(32, '\0')) + "\"}")
                   .value();
    rapidjson::Value value;
    value.CopyFrom(epk, scratch.GetAllocator());
    require_refused(
        decrypt(with_header_member(jwe, "epk", std::move(value)), consumer.secret_key, binding),
        "all zero");
  }
  SECTION("an ephemeral key that is not an X25519 public JWK") {
    auto ed = parse_json(to_public_jwk(generate_signing_key().public_key, "")).value();
    rapidjson::Value value;
    value.CopyFrom(ed, scratch.GetAllocator());
    require_refused(
        decrypt(with_header_member(jwe, "epk", std::move(value)), consumer.secret_key, binding),
        "epk");
    require_refused(decrypt(with_header_member(jwe, "epk", string_value("x", scratch)),
                            consumer.secret_key, binding),
                    "epk");
  }
  SECTION("other algorithms, compression and critical extensions") {
    require_refused(decrypt(with_header_member(jwe, "alg", string_value("dir", scratch)),
                            consumer.secret_key, binding),
                    "alg");
    require_refused(decrypt(with_header_member(jwe, "alg", string_value("ECDH-ES+A256KW", scratch)),
                            consumer.secret_key, binding),
                    "alg");
    require_refused(decrypt(with_header_member(jwe, "enc", string_value("A128GCM", scratch)),
                            consumer.secret_key, binding),
                    "enc");
    require_refused(decrypt(with_header_member(jwe, "zip", string_value("DEF", scratch)),
                            consumer.secret_key, binding),
                    "zip");
    rapidjson::Value crit(rapidjson::kArrayType);
    crit.PushBack(string_value("exp", scratch), scratch.GetAllocator());
    require_refused(
        decrypt(with_header_member(jwe, "crit", std::move(crit)), consumer.secret_key, binding),
        "crit");
    require_refused(decrypt(with_header_member(jwe, "apu", string_value("QWxpY2U=", scratch)),
                            consumer.secret_key, binding),
                    "apu");
  }
}

TEST_CASE("decrypt checks every expected binding member", "[crypto][jwe][binding]") {
  auto consumer = generate_encryption_key();
  auto jwe = encrypt_ok(consumer.public_key, record);
  for (const auto& [name, value] : binding) {
    INFO(name);
    auto different = binding;
    different[name] = value + "x";
    require_refused(decrypt(jwe, consumer.secret_key, different), "does not match");
  }
  SECTION("consumer and provider swapped") {
    auto swapped = binding;
    std::swap(swapped["cns"], swapped["prv"]);
    require_refused(decrypt(jwe, consumer.secret_key, swapped), "does not match");
  }
  SECTION("a member the sender did not bind") {
    auto partial = encrypt_ok(consumer.public_key, record, {{"rid", "req-7f3a"}});
    require_refused(decrypt(partial, consumer.secret_key, binding), "missing");
    CHECK(decrypt(partial, consumer.secret_key, {{"rid", "req-7f3a"}}));
  }
}

TEST_CASE("decrypt refuses malformed compact forms", "[crypto][jwe]") {
  auto consumer = generate_encryption_key();
  auto parts = split(encrypt_ok(consumer.public_key, record));
  auto refused = [&](std::vector<std::string> p, std::string_view why) {
    require_refused(decrypt(join(p), consumer.secret_key, binding), why);
  };
  refused({parts[0], parts[1], parts[2], parts[3]}, "5 parts");
  refused({parts[0], parts[1], parts[2], parts[3], parts[4], ""}, "5 parts");
  refused({"", parts[1], parts[2], parts[3], parts[4]}, "empty");
  refused({parts[0], base64url_encode(std::string(32, 'k')), parts[2], parts[3], parts[4]},
          "encrypted key");
  refused({parts[0], parts[1], "", parts[3], parts[4]}, "96 bits");
  refused({parts[0], parts[1], base64url_encode(std::string(11, 'i')), parts[3], parts[4]},
          "96 bits");
  refused({parts[0], parts[1], base64url_encode(std::string(16, 'i')), parts[3], parts[4]},
          "96 bits");
  refused({parts[0], parts[1], parts[2], parts[3], ""}, "128 bits");
  refused({parts[0], parts[1], parts[2], parts[3], base64url_encode(std::string(15, 't'))},
          "128 bits");
  refused({parts[0], parts[1], parts[2], parts[3] + "=", parts[4]}, "ciphertext");
  refused({parts[0], parts[1], parts[2], "", parts[4]}, "authentication");
  require_refused(decrypt("", consumer.secret_key, {}));
}

TEST_CASE("encrypt_to refuses reserved binding names and a low-order recipient", "[crypto][jwe]") {
  auto consumer = generate_encryption_key();
  for (std::string name : {"alg", "enc", "epk", "kid", "apu", "apv", "zip", "crit", "jwk", "x5c"}) {
    INFO(name);
    CHECK(encrypt_to(consumer.public_key, "p", "k", {{name, "v"}}).code() ==
          errc::invalid_argument);
  }
  CHECK(encrypt_to(consumer.public_key, "p", "k", {{"rid", "\xfe"}}).code() ==
        errc::invalid_argument);
  auto zero_point = x25519_public_key::from_bytes(std::string(32, '\0')).value();
  CHECK(encrypt_to(zero_point, "p", "k", {}).code() == errc::invalid_argument);
}

TEST_CASE("JWE limits: plaintext 12 MiB - 16 KiB, input 16 MiB, header 8 KiB",
          "[crypto][jwe][limits]") {
  auto consumer = generate_encryption_key();
  SECTION("plaintext") {
    std::string plaintext(max_plaintext_bytes, 'r');
    auto jwe = encrypt_to(consumer.public_key, plaintext, "k", binding);
    REQUIRE(jwe);
    CHECK(jwe->size() <= max_jose_input_bytes);
    auto opened = decrypt(*jwe, consumer.secret_key, binding);
    REQUIRE(opened);
    CHECK(opened->plaintext == plaintext);
    plaintext.push_back('r');
    CHECK(encrypt_to(consumer.public_key, plaintext, "k", binding).code() ==
          errc::payload_too_large);
  }
  SECTION("whole input") {
    std::string huge(max_jose_input_bytes + 1, 'A');
    CHECK(decrypt(huge, consumer.secret_key, {}).code() == errc::payload_too_large);
    CHECK(peek_jwe_header(huge).code() == errc::payload_too_large);
  }
  SECTION("protected header") {
    auto probe = encrypt_ok(consumer.public_key, "p", {{"pad", ""}}, "k");
    std::size_t base = base64url_decode(split(probe)[0])->size();
    std::size_t fitting = max_protected_header_bytes - base;
    auto at_limit = encrypt_to(consumer.public_key, "p", "k", {{"pad", std::string(fitting, 'a')}});
    REQUIRE(at_limit);
    CHECK(base64url_decode(split(*at_limit)[0])->size() == max_protected_header_bytes);
    CHECK(decrypt(*at_limit, consumer.secret_key, {}));
    CHECK(encrypt_to(consumer.public_key, "p", "k", {{"pad", std::string(fitting + 1, 'a')}})
              .code() == errc::invalid_argument);
    // A header one byte over the limit from someone else is refused before any work.
    auto over = with_header_member(*at_limit, "pad",
                                   rapidjson::Value(std::string(fitting + 1, 'a').c_str(),
                                                    static_cast<rapidjson::SizeType>(fitting + 1)));
    require_refused(decrypt(over, consumer.secret_key, {}), "larger");
  }
}

TEST_CASE("the largest plaintext with the largest header still fits the input limit",
          "[crypto][jwe][limits]") {
  auto consumer = generate_encryption_key();
  auto probe = encrypt_ok(consumer.public_key, "p", {{"pad", ""}}, "k");
  std::size_t fitting = max_protected_header_bytes - base64url_decode(split(probe)[0])->size();
  std::string plaintext(max_plaintext_bytes, 'r');
  auto jwe = encrypt_to(consumer.public_key, plaintext, "k", {{"pad", std::string(fitting, 'a')}});
  REQUIRE(jwe);
  CHECK(jwe->size() <= max_jose_input_bytes);
  CHECK(decrypt(*jwe, consumer.secret_key, {}));
}
