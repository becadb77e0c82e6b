#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <string_view>

#include "crypto/encoding.hpp"

using namespace saphan;
using namespace saphan::crypto;

TEST_CASE("base64url encodes the RFC 4648 test vectors without padding", "[crypto][encoding]") {
  CHECK(base64url_encode("") == "");
  CHECK(base64url_encode("f") == "Zg");
  CHECK(base64url_encode("fo") == "Zm8");
  CHECK(base64url_encode("foo") == "Zm9v");
  CHECK(base64url_encode("foob") == "Zm9vYg");
  CHECK(base64url_encode("fooba") == "Zm9vYmE");
  CHECK(base64url_encode("foobar") == "Zm9vYmFy");
}

TEST_CASE("base64url uses the URL-safe alphabet", "[crypto][encoding]") {
  // 0xfb 0xff 0xbf is "+/+/" in standard base64.
  CHECK(base64url_encode(std::string("\xfb\xff\xbf", 3)) == "-_-_");
  auto decoded = base64url_decode("-_-_");
  REQUIRE(decoded);
  CHECK(*decoded == std::string("\xfb\xff\xbf", 3));
  CHECK_FALSE(base64url_decode("+/+/"));
}

TEST_CASE("base64url decodes the RFC 4648 test vectors", "[crypto][encoding]") {
  for (std::string text : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
    auto decoded = base64url_decode(base64url_encode(text));
    REQUIRE(decoded);
    CHECK(*decoded == text);
  }
}

TEST_CASE("base64url round-trips every byte value", "[crypto][encoding]") {
  std::string all;
  for (int i = 0; i < 256; ++i)
    all += static_cast<char>(i);
  for (std::size_t n = 0; n <= all.size(); n += 37) {
    auto decoded = base64url_decode(base64url_encode(all.substr(0, n)));
    REQUIRE(decoded);
    CHECK(*decoded == all.substr(0, n));
  }
}

TEST_CASE("base64url encodes as six bits a character, for every 12-bit pair",
          "[crypto][encoding]") {
  static constexpr std::string_view alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  // Bit by bit, the slow way: the reference for the encoder's table of character pairs.
  auto reference = [](std::string_view bytes) {
    std::string out;
    std::uint32_t bits = 0;
    int count = 0;
    for (unsigned char c : bytes) {
      bits = bits << 8 | c;
      count += 8;
      while (count >= 6) {
        count -= 6;
        out += alphabet[bits >> count & 63];
      }
    }
    if (count > 0)
      out += alphabet[bits << (6 - count) & 63];
    return out;
  };
  std::string bytes;
  for (std::uint32_t n = 0; n < 4096; ++n) {  // every first and second 12 bits of a quantum
    bytes += static_cast<char>(n >> 4);
    bytes += static_cast<char>((n & 15) << 4 | (n >> 8));
    bytes += static_cast<char>(n & 0xff);
  }
  for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{2}, std::size_t{3},
                        std::size_t{100}, bytes.size() - 1, bytes.size()}) {
    CHECK(base64url_encode(std::string_view(bytes).substr(0, n)) ==
          reference(std::string_view(bytes).substr(0, n)));
  }
}

TEST_CASE("base64url decoding is strict", "[crypto][encoding]") {
  SECTION("padding is refused") {
    auto r = base64url_decode("Zg==");
    REQUIRE_FALSE(r);
    CHECK(r.code() == errc::invalid_argument);
    CHECK(r.error().detail.find("padding") != std::string::npos);
    CHECK_FALSE(base64url_decode("Zm8="));
  }
  SECTION("characters outside the alphabet are refused") {
    CHECK_FALSE(base64url_decode("Zm9v!"));
    CHECK_FALSE(base64url_decode("Zm 9v"));
    CHECK_FALSE(base64url_decode("Zm9v\n"));
    CHECK_FALSE(base64url_decode(std::string("Zm\0v", 4)));
  }
  SECTION("an impossible length is refused") {
    CHECK_FALSE(base64url_decode("Z"));
    CHECK_FALSE(base64url_decode("Zm9vY"));
  }
  SECTION("non-zero trailing bits are refused, so each encoding is canonical") {
    CHECK(base64url_decode("Zg"));        // 'g': the four spare bits are zero
    CHECK_FALSE(base64url_decode("Zh"));  // 'h': a spare bit set, would also decode to "f"
    CHECK(base64url_decode("Zm8"));
    CHECK_FALSE(base64url_decode("Zm9"));  // two spare bits, one set
  }
}

TEST_CASE("base64url names the offset of a bad character, in a whole quantum or in the tail",
          "[crypto][encoding]") {
  // Whole quanta are decoded four at a time and the last two or three characters apart; an error
  // in either names the same offset as a character-by-character decoder would.
  auto in_quantum = base64url_decode("Zm9vYm!yZm9v");
  REQUIRE_FALSE(in_quantum);
  CHECK(in_quantum.error().detail == "base64url: character outside the alphabet at offset 6");
  auto in_tail = base64url_decode("Zm9vYmFyZ=");
  REQUIRE_FALSE(in_tail);
  CHECK(in_tail.error().detail == "base64url: padding is not allowed at offset 9");
  auto trailing = base64url_decode("Zm9vYmFyZh");
  REQUIRE_FALSE(trailing);
  CHECK(trailing.error().detail == "base64url: non-zero trailing bits at offset 9");
  // Every length up to a few quanta round-trips, and agrees with the standard alphabet.
  std::string bytes;
  for (int n = 0; n < 40; ++n) {
    CHECK(base64url_decode(base64url_encode(bytes)).value() == bytes);
    CHECK(base64_decode(base64_encode(bytes)).value() == bytes);
    bytes += static_cast<char>(n * 37 + 11);
  }
}

TEST_CASE("hex encodes lower case and decodes either case", "[crypto][encoding]") {
  CHECK(hex_encode(std::string("\x00\x01\xab\xff", 4)) == "0001abff");
  auto decoded = hex_decode("0001ABff");
  REQUIRE(decoded);
  CHECK(*decoded == std::string("\x00\x01\xab\xff", 4));
  CHECK_FALSE(hex_decode("abc"));
  CHECK_FALSE(hex_decode("zz"));
  CHECK(hex_decode("")->empty());
}
