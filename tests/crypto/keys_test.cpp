#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <set>

#include "core/files.hpp"
#include "crypto/encoding.hpp"
#include "crypto/keys.hpp"

using namespace saphan;
using namespace saphan::crypto;

namespace {

// RFC 8037 Appendix A.1/A.2: the Ed25519 key of the JWS example.
constexpr std::string_view rfc8037_d = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A";
constexpr std::string_view rfc8037_x = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";

std::string unhex(std::string_view text) {
  return hex_decode(text).value();
}

struct temp_dir {
  std::filesystem::path path;
  temp_dir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "saphan-keys-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }
  ~temp_dir() { std::filesystem::remove_all(path); }
};

mode_t mode_of(const std::filesystem::path& p) {
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return st.st_mode & 0777;
}

}  // namespace

TEST_CASE("an Ed25519 seed gives the RFC 8037 public key", "[crypto][keys]") {
  auto keys = signing_key_from_seed(base64url_decode(rfc8037_d).value());
  REQUIRE(keys);
  CHECK(to_base64url(keys->public_key) == rfc8037_x);
  CHECK(base64url_encode(seed_of(keys->secret_key)) == rfc8037_d);
  CHECK(signing_key_from_seed(std::string(31, 'a')).code() == errc::invalid_argument);
  CHECK_FALSE(signing_key_from_seed(std::string(33, 'a')));
}

TEST_CASE("X25519 secrets give the RFC 7748 public keys", "[crypto][keys]") {
  auto alice = encryption_key_from_secret(
      unhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"));
  REQUIRE(alice);
  CHECK(hex_encode(alice->public_key.view()) ==
        "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
  CHECK_FALSE(encryption_key_from_secret(std::string(31, 'a')));
}

TEST_CASE("generated keys are distinct and usable", "[crypto][keys]") {
  auto a = generate_signing_key();
  auto b = generate_signing_key();
  CHECK_FALSE(a.public_key == b.public_key);
  auto signature = sign_ed25519("message", a.secret_key);
  CHECK(signature.size() == 64);
  CHECK(verify_ed25519("message", signature, a.public_key));
  CHECK_FALSE(verify_ed25519("message", signature, b.public_key));
  CHECK_FALSE(verify_ed25519("messagE", signature, a.public_key));
  CHECK_FALSE(verify_ed25519("message", signature.substr(0, 63), a.public_key));

  auto e = generate_encryption_key();
  auto derived = encryption_key_from_secret(e.secret_key.view());
  REQUIRE(derived);
  CHECK(derived->public_key == e.public_key);
  CHECK_FALSE(generate_encryption_key().public_key == e.public_key);
}

TEST_CASE("raw public keys parse from exactly 32 bytes of base64url", "[crypto][keys]") {
  auto parsed = parse_ed25519_public_key(rfc8037_x);
  REQUIRE(parsed);
  CHECK(to_base64url(*parsed) == rfc8037_x);
  CHECK(parse_ed25519_public_key(base64url_encode(std::string(31, 'k'))).code() ==
        errc::invalid_argument);
  CHECK_FALSE(parse_ed25519_public_key(base64url_encode(std::string(33, 'k'))));
  CHECK_FALSE(parse_x25519_public_key(std::string(rfc8037_x) + "="));
  CHECK(parse_x25519_public_key(base64url_encode(std::string(32, 'k'))));
}

TEST_CASE("JWKs are written as RFC 8037 OKP keys and read back", "[crypto][keys][jwk]") {
  auto keys = signing_key_from_seed(base64url_decode(rfc8037_d).value()).value();
  CHECK(to_private_jwk(keys, "") == "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" +
                                        std::string(rfc8037_x) + "\",\"d\":\"" +
                                        std::string(rfc8037_d) + "\"}");
  CHECK(to_public_jwk(keys.public_key, "k1") == "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" +
                                                    std::string(rfc8037_x) + "\",\"kid\":\"k1\"}");

  auto signing = parse_signing_jwk(to_private_jwk(keys, "k1"));
  REQUIRE(signing);
  CHECK(signing->kid == "k1");
  CHECK(signing->keys.public_key == keys.public_key);
  CHECK(signing->keys.secret_key.view() == keys.secret_key.view());

  auto pub = parse_ed25519_public_jwk(to_public_jwk(keys.public_key, ""));
  REQUIRE(pub);
  CHECK(pub->key == keys.public_key);
  CHECK(pub->kid.empty());

  auto enc = generate_encryption_key();
  auto enc_parsed = parse_encryption_jwk(to_private_jwk(enc, "e1"));
  REQUIRE(enc_parsed);
  CHECK(enc_parsed->keys.public_key == enc.public_key);
  auto enc_pub = parse_x25519_public_jwk(to_public_jwk(enc.public_key, "e1"));
  REQUIRE(enc_pub);
  CHECK(enc_pub->key == enc.public_key);
  CHECK(enc_pub->kid == "e1");
}

TEST_CASE("JWK parsing refuses what is not the expected key", "[crypto][keys][jwk]") {
  auto keys = generate_signing_key();
  std::string x = to_base64url(keys.public_key);
  auto jwk = [](std::string members) { return "{" + members + "}"; };

  SECTION("a public JWK holding the private key is refused") {
    auto r = parse_ed25519_public_jwk(to_private_jwk(keys, "k"));
    REQUIRE_FALSE(r);
    CHECK(r.code() == errc::invalid_argument);
    CHECK(r.error().detail.find("jwk.d") != std::string::npos);
    CHECK_FALSE(parse_x25519_public_jwk(to_private_jwk(generate_encryption_key(), "")));
  }
  SECTION("a private JWK needs d, and x must match d") {
    CHECK(parse_signing_jwk(to_public_jwk(keys.public_key, "")).code() == errc::invalid_argument);
    auto other = generate_signing_key();
    std::string mixed =
        jwk("\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" + to_base64url(other.public_key) +
            "\",\"d\":\"" + base64url_encode(seed_of(keys.secret_key)) + "\"");
    auto r = parse_signing_jwk(mixed);
    REQUIRE_FALSE(r);
    CHECK(r.error().detail.find("jwk.x") != std::string::npos);
  }
  SECTION("kty, crv, and x length and encoding are checked") {
    CHECK_FALSE(
        parse_ed25519_public_jwk(jwk("\"kty\":\"EC\",\"crv\":\"Ed25519\",\"x\":\"" + x + "\"")));
    CHECK_FALSE(
        parse_ed25519_public_jwk(jwk("\"kty\":\"OKP\",\"crv\":\"X25519\",\"x\":\"" + x + "\"")));
    CHECK_FALSE(
        parse_x25519_public_jwk(jwk("\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" + x + "\"")));
    CHECK_FALSE(parse_ed25519_public_jwk(jwk("\"kty\":\"OKP\",\"crv\":\"Ed25519\"")));
    CHECK_FALSE(parse_ed25519_public_jwk(jwk("\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":7")));
    std::string short_x = base64url_encode(std::string(31, 'a'));
    std::string long_x = base64url_encode(std::string(33, 'a'));
    CHECK_FALSE(parse_ed25519_public_jwk(
        jwk("\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" + short_x + "\"")));
    CHECK_FALSE(parse_ed25519_public_jwk(
        jwk("\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" + long_x + "\"")));
    CHECK_FALSE(
        parse_ed25519_public_jwk(jwk("\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" + x + "=\"")));
    CHECK_FALSE(parse_ed25519_public_jwk(
        jwk("\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" + x + "\",\"kid\":5")));
  }
  SECTION("not JSON, not an object, or too large") {
    CHECK(parse_ed25519_public_jwk("{").code() == errc::malformed_json);
    CHECK(parse_ed25519_public_jwk("[]").code() == errc::malformed_json);
    std::string padded = jwk("\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" + x + "\",\"note\":\"");
    std::string fits = padded + std::string(max_jwk_bytes - padded.size() - 2, 'a') + "\"}";
    REQUIRE(fits.size() == max_jwk_bytes);
    CHECK(parse_ed25519_public_jwk(fits));
    std::string over = padded + std::string(max_jwk_bytes - padded.size() - 1, 'a') + "\"}";
    CHECK(parse_ed25519_public_jwk(over).code() == errc::payload_too_large);
  }
}

TEST_CASE("key files: private ones are 0600, all are read back", "[crypto][keys][files]") {
  temp_dir dir;
  auto signing = generate_signing_key();
  auto encryption = generate_encryption_key();
  auto sk = dir.path / "signing.jwk";
  auto ek = dir.path / "encryption.jwk";
  auto sp = dir.path / "signing.pub.jwk";
  auto ep = dir.path / "encryption.pub.jwk";
  REQUIRE(write_private_key_file(sk.string(), signing, "sig-1"));
  REQUIRE(write_private_key_file(ek.string(), encryption, "enc-1"));
  REQUIRE(write_public_key_file(sp.string(), signing.public_key, "sig-1"));
  REQUIRE(write_public_key_file(ep.string(), encryption.public_key, "enc-1"));
  CHECK(mode_of(sk) == 0600);
  CHECK(mode_of(ek) == 0600);
  CHECK(mode_of(sp) == 0644);

  auto s = read_signing_key_file(sk.string());
  REQUIRE(s);
  CHECK(s->kid == "sig-1");
  CHECK(s->keys.public_key == signing.public_key);
  auto e = read_encryption_key_file(ek.string());
  REQUIRE(e);
  CHECK(e->keys.public_key == encryption.public_key);
  CHECK(read_ed25519_public_key_file(sp.string())->key == signing.public_key);
  CHECK(read_x25519_public_key_file(ep.string())->key == encryption.public_key);

  // A private file is not a public key, nor the other curve.
  CHECK_FALSE(read_ed25519_public_key_file(sk.string()));
  CHECK_FALSE(read_encryption_key_file(sk.string()));
  CHECK(read_signing_key_file((dir.path / "missing.jwk").string()).code() == errc::io_error);
  // Writing over an existing key replaces it whole.
  auto next = generate_signing_key();
  REQUIRE(write_private_key_file(sk.string(), next, "sig-2"));
  CHECK(read_signing_key_file(sk.string())->keys.public_key == next.public_key);
  CHECK(mode_of(sk) == 0600);
}

TEST_CASE("random ids are 22 base64url characters and do not repeat", "[crypto][keys][random]") {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    auto id = random_id();
    REQUIRE(id.size() == 22);
    REQUIRE(
        id.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
        std::string::npos);
    seen.insert(id);
  }
  CHECK(seen.size() == 1000);
  CHECK(random_bytes(0).empty());
  CHECK(random_bytes(33).size() == 33);
  CHECK(random_bytes(32) != random_bytes(32));
}
