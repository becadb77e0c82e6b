// SHA-256, HMAC-SHA-256, a keyed 64-bit hash for in-memory tables, and constant-time comparison.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"

struct evp_md_ctx_st;  // OpenSSL's EVP_MD_CTX

namespace saphan::crypto {

// A SHA-256 output as its own type, so digests are never confused with other byte strings.
struct sha256_digest {
  static constexpr std::size_t size = 32;
  std::array<std::uint8_t, size> bytes{};

  std::string to_hex() const;
  // The 32 raw bytes (for hashing further, e.g. Merkle nodes).
  std::string_view view() const {
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
  }
  friend auto operator<=>(const sha256_digest&, const sha256_digest&) = default;
};

std::string to_hex(const sha256_digest& digest);
// Exactly 64 hex digits. Errors: invalid_argument.
result<sha256_digest> parse_sha256_hex(std::string_view text);
// Exactly 32 raw bytes. Errors: invalid_argument.
result<sha256_digest> sha256_from_bytes(std::string_view bytes);

sha256_digest sha256(std::string_view bytes);

// Incremental SHA-256 for data that arrives in pieces (e.g. RFC 9162 node prefixes).
class sha256_hasher {
 public:
  sha256_hasher();
  ~sha256_hasher();
  sha256_hasher(const sha256_hasher&) = delete;
  sha256_hasher& operator=(const sha256_hasher&) = delete;
  sha256_hasher& update(std::string_view bytes);
  // Returns the digest; the hasher must not be used afterwards.
  sha256_digest finish();

 private:
  evp_md_ctx_st* context_;
};

// RFC 2104 HMAC with SHA-256; any key length (keys longer than 64 bytes are hashed first).
sha256_digest hmac_sha256(std::string_view key, std::string_view data);

// SipHash-2-4 (libsodium's crypto_shorthash): 64 bits, keyed, for in-memory sets of values that
// come from outside. A random key per set means no one can choose values that collide in it; it is
// neither a MAC nor collision-resistant beyond what 64 bits give.
struct short_hash_key {
  static constexpr std::size_t size = 16;
  std::array<std::uint8_t, size> bytes{};
  static short_hash_key random();
};
std::uint64_t short_hash(const short_hash_key& key, std::string_view bytes);

// True when equal; the time taken depends only on the lengths, never on the contents.
// Strings of different lengths are unequal (lengths are not secret).
bool constant_time_equal(std::string_view a, std::string_view b);
bool constant_time_equal(const sha256_digest& a, const sha256_digest& b);

}  // namespace saphan::crypto
