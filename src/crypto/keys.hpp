// Ed25519 signing keys and X25519 encryption keys as fixed-size value types, their JWK form
// (RFC 8037 OKP keys), key files, and randomness.
//
// Secret keys wipe their bytes when destroyed. A JWK with "d" is secret; a public JWK never
// carries "d" (parsing a public key from a JWK that holds "d" is refused, so a private key sent
// where a public one belongs, e.g. a reply key given to the hub, is caught instead of used).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace saphan::crypto {

// Fixed-size public bytes with a distinct type per use, so an X25519 key can never be passed
// where an Ed25519 key is expected.
template <class Tag, std::size_t N>
class public_key_bytes {
 public:
  static constexpr std::size_t size = N;
  public_key_bytes() = default;
  // Errors: invalid_argument when the length is not N.
  static result<public_key_bytes> from_bytes(std::string_view bytes) {
    if (bytes.size() != N) {
      return make_error(errc::invalid_argument, std::string(Tag::name) + ": must be exactly " +
                                                    std::to_string(N) + " bytes, got " +
                                                    std::to_string(bytes.size()));
    }
    public_key_bytes key;
    for (std::size_t i = 0; i < N; ++i)
      key.bytes_[i] = static_cast<std::uint8_t>(bytes[i]);
    return key;
  }
  const std::uint8_t* data() const { return bytes_.data(); }
  std::uint8_t* data() { return bytes_.data(); }
  std::string_view view() const { return {reinterpret_cast<const char*>(bytes_.data()), N}; }
  friend bool operator==(const public_key_bytes&, const public_key_bytes&) = default;

 private:
  std::array<std::uint8_t, N> bytes_{};
};

// Overwrites memory in a way the compiler may not optimise away (sodium_memzero).
void wipe_secret(void* bytes, std::size_t count) noexcept;

// Secret bytes: wiped on destruction.
template <class Tag, std::size_t N>
class secret_key_bytes {
 public:
  static constexpr std::size_t size = N;
  secret_key_bytes() = default;
  secret_key_bytes(const secret_key_bytes&) = default;
  secret_key_bytes& operator=(const secret_key_bytes& other) {
    if (this != &other)
      bytes_ = other.bytes_;
    return *this;
  }
  ~secret_key_bytes() { wipe_secret(bytes_.data(), N); }

  const std::uint8_t* data() const { return bytes_.data(); }
  std::uint8_t* data() { return bytes_.data(); }
  std::string_view view() const { return {reinterpret_cast<const char*>(bytes_.data()), N}; }

 private:
  std::array<std::uint8_t, N> bytes_{};
};

struct ed25519_public_tag {
  static constexpr std::string_view name = "Ed25519 public key";
};
struct x25519_public_tag {
  static constexpr std::string_view name = "X25519 public key";
};
struct ed25519_secret_tag {};
struct x25519_secret_tag {};

using ed25519_public_key = public_key_bytes<ed25519_public_tag, 32>;
using x25519_public_key = public_key_bytes<x25519_public_tag, 32>;
// libsodium's 64-byte form: the 32-byte seed (the JWK "d") followed by the public key.
using ed25519_secret_key = secret_key_bytes<ed25519_secret_tag, 64>;
// The 32-byte X25519 scalar (the JWK "d"), as RFC 7748 defines it.
using x25519_secret_key = secret_key_bytes<x25519_secret_tag, 32>;

struct signing_key_pair {
  ed25519_secret_key secret_key;
  ed25519_public_key public_key;
};

struct encryption_key_pair {
  x25519_secret_key secret_key;
  x25519_public_key public_key;
};

signing_key_pair generate_signing_key();
encryption_key_pair generate_encryption_key();

// Deterministic pairs from the secret bytes (32-byte Ed25519 seed, 32-byte X25519 scalar).
// Errors: invalid_argument on a wrong length.
result<signing_key_pair> signing_key_from_seed(std::string_view seed);
result<encryption_key_pair> encryption_key_from_secret(std::string_view secret);

// The 32-byte seed of an Ed25519 secret key (its JWK "d").
std::string_view seed_of(const ed25519_secret_key& key);

// Raw Ed25519 (RFC 8032) over arbitrary bytes; the JWS layer is built on these.
std::string sign_ed25519(std::string_view message, const ed25519_secret_key& key);  // 64 bytes
bool verify_ed25519(std::string_view message, std::string_view signature,
                    const ed25519_public_key& key);

// Base64url of the raw public key (the directory's stored form) and back.
// Errors: invalid_argument.
std::string to_base64url(const ed25519_public_key& key);
std::string to_base64url(const x25519_public_key& key);
result<ed25519_public_key> parse_ed25519_public_key(std::string_view base64url);
result<x25519_public_key> parse_x25519_public_key(std::string_view base64url);

// ---- JWK (RFC 7517, OKP keys per RFC 8037) ----
// Written compactly in the member order kty, crv, x, d, kid; an empty kid is left out.
std::string to_public_jwk(const ed25519_public_key& key, std::string_view kid);
std::string to_public_jwk(const x25519_public_key& key, std::string_view kid);
std::string to_private_jwk(const signing_key_pair& keys, std::string_view kid);
std::string to_private_jwk(const encryption_key_pair& keys, std::string_view kid);

struct ed25519_public_jwk {
  ed25519_public_key key;
  std::string kid;  // empty when the JWK has none
};
struct x25519_public_jwk {
  x25519_public_key key;
  std::string kid;
};
struct signing_jwk {
  signing_key_pair keys;
  std::string kid;
};
struct encryption_jwk {
  encryption_key_pair keys;
  std::string kid;
};

// Errors: malformed_json (not JSON, too large or deep, not an object), invalid_argument naming
// the member and the rule (kty must be "OKP", crv must match, x/d must be 32 bytes of strict
// base64url, a public JWK must not hold "d", a private JWK's "x" must match its "d").
inline constexpr std::size_t max_jwk_bytes = 4096;
result<ed25519_public_jwk> parse_ed25519_public_jwk(std::string_view json);
result<x25519_public_jwk> parse_x25519_public_jwk(std::string_view json);
result<signing_jwk> parse_signing_jwk(std::string_view json);
result<encryption_jwk> parse_encryption_jwk(std::string_view json);

// ---- Key files: one JWK per file ----
// Private files are created with mode 0600, public ones 0644, atomically (temp file + rename),
// so a crash never leaves a half-written key. Errors: io_error naming the path.
result<void> write_private_key_file(const std::string& path, const signing_key_pair& keys,
                                    std::string_view kid);
result<void> write_private_key_file(const std::string& path, const encryption_key_pair& keys,
                                    std::string_view kid);
result<void> write_public_key_file(const std::string& path, const ed25519_public_key& key,
                                   std::string_view kid);
result<void> write_public_key_file(const std::string& path, const x25519_public_key& key,
                                   std::string_view kid);
// Errors: io_error, payload_too_large (over max_jwk_bytes), and the JWK parse errors above.
result<signing_jwk> read_signing_key_file(const std::string& path);
result<encryption_jwk> read_encryption_key_file(const std::string& path);
result<ed25519_public_jwk> read_ed25519_public_key_file(const std::string& path);
result<x25519_public_jwk> read_x25519_public_key_file(const std::string& path);

// ---- Randomness (libsodium's CSPRNG) ----
std::string random_bytes(std::size_t count);
// 128 random bits as 22 base64url characters: a request id ([A-Za-z0-9_-], 8..64 chars).
std::string random_id();

}  // namespace saphan::crypto
