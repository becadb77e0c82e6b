#include <catch2/catch.hpp>

#include "crypto/encoding.hpp"
#include "crypto/hash.hpp"

using namespace saphan;
using namespace saphan::crypto;

TEST_CASE("sha256 matches the FIPS 180-2 vectors", "[crypto][hash]") {
  CHECK(sha256("").to_hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha256("abc").to_hex() ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(to_hex(sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")) ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST_CASE("incremental sha256 equals the one-shot digest", "[crypto][hash]") {
  auto pieces = sha256_hasher()
                    .update("abcdbcdecdefdefg")
                    .update("")
                    .update("efghfghighijhijkijkljklmklmnlmnomnopnopq")
                    .finish();
  CHECK(pieces == sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"));
  CHECK(pieces != sha256("abc"));
}

TEST_CASE("hmac_sha256 matches RFC 4231", "[crypto][hash]") {
  SECTION("test case 1") {
    CHECK(hmac_sha256(std::string(20, '\x0b'), "Hi There").to_hex() ==
          "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  }
  SECTION("test case 2") {
    CHECK(hmac_sha256("Jefe", "what do ya want for nothing?").to_hex() ==
          "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  }
  SECTION("test case 6: a key longer than the block is hashed first") {
    CHECK(hmac_sha256(std::string(131, '\xaa'),
                      "Test Using Larger Than Block-Size Key - Hash Key First")
              .to_hex() == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  }
}

TEST_CASE("sha256 digests parse from exactly 64 hex digits or 32 bytes", "[crypto][hash]") {
  auto digest = sha256("abc");
  auto parsed = parse_sha256_hex(digest.to_hex());
  REQUIRE(parsed);
  CHECK(*parsed == digest);
  CHECK(parse_sha256_hex(digest.to_hex().substr(0, 63)).code() == errc::invalid_argument);
  CHECK_FALSE(parse_sha256_hex(digest.to_hex() + "0"));
  CHECK_FALSE(parse_sha256_hex(std::string(64, 'g')));
  CHECK(sha256_from_bytes(digest.view()));
  CHECK_FALSE(sha256_from_bytes(digest.view().substr(1)));
  CHECK_FALSE(sha256_from_bytes(std::string(digest.view()) + "x"));
}

TEST_CASE("constant_time_equal compares contents and lengths", "[crypto][hash]") {
  CHECK(constant_time_equal("", ""));
  CHECK(constant_time_equal("secret", "secret"));
  CHECK_FALSE(constant_time_equal("secret", "secreT"));
  CHECK_FALSE(constant_time_equal("secret", "secret "));
  CHECK_FALSE(constant_time_equal("", "x"));
  CHECK(constant_time_equal(sha256("a"), sha256("a")));
  CHECK_FALSE(constant_time_equal(sha256("a"), sha256("b")));
}

TEST_CASE("short_hash is SipHash-2-4 and depends on its key", "[crypto][hash]") {
  // The SipHash paper's test key 00..0f; its vectors for the empty message and for 00..0e.
  crypto::short_hash_key key;
  for (std::size_t i = 0; i < key.bytes.size(); ++i)
    key.bytes[i] = static_cast<std::uint8_t>(i);
  std::string fifteen;
  for (char c = 0; c < 15; ++c)
    fifteen.push_back(c);
  CHECK(crypto::short_hash(key, "") == 0x726fdb47dd0e0e31ULL);
  CHECK(crypto::short_hash(key, fifteen) == 0xa129ca6149be45e5ULL);

  const auto a = crypto::short_hash_key::random();
  const auto b = crypto::short_hash_key::random();
  CHECK(a.bytes != b.bytes);
  CHECK(crypto::short_hash(a, "request-1") == crypto::short_hash(a, "request-1"));
  CHECK(crypto::short_hash(a, "request-1") != crypto::short_hash(b, "request-1"));
  CHECK(crypto::short_hash(a, "request-1") != crypto::short_hash(a, "request-2"));
}
