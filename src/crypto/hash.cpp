#include "crypto/hash.hpp"

#include <openssl/evp.h>
#include <sodium.h>

#include <cstdlib>
#include <cstring>

#include "crypto/encoding.hpp"
#include "crypto/sodium.hpp"

namespace saphan::crypto {
namespace {

static_assert(crypto_hash_sha256_BYTES == sha256_digest::size);
static_assert(crypto_auth_hmacsha256_BYTES == sha256_digest::size);
static_assert(crypto_shorthash_KEYBYTES == short_hash_key::size);
static_assert(crypto_shorthash_BYTES == sizeof(std::uint64_t));

const unsigned char* data_of(std::string_view bytes) {
  return reinterpret_cast<const unsigned char*>(bytes.data());
}

}  // namespace

std::string sha256_digest::to_hex() const {
  return hex_encode(view());
}

std::string to_hex(const sha256_digest& digest) {
  return digest.to_hex();
}

result<sha256_digest> sha256_from_bytes(std::string_view bytes) {
  if (bytes.size() != sha256_digest::size) {
    return make_error(errc::invalid_argument, "sha256 digest: must be exactly 32 bytes, got " +
                                                  std::to_string(bytes.size()));
  }
  sha256_digest digest;
  std::memcpy(digest.bytes.data(), bytes.data(), bytes.size());
  return digest;
}

result<sha256_digest> parse_sha256_hex(std::string_view text) {
  if (text.size() != 2 * sha256_digest::size) {
    return make_error(errc::invalid_argument, "sha256 digest: must be 64 hex digits");
  }
  auto raw = SAPHAN_TRY(hex_decode(text));
  return sha256_from_bytes(raw);
}

// SHA-256 is OpenSSL's, whose assembly takes about half the instructions of libsodium's portable
// code: every body, log entry and Merkle node on the exchange path is hashed.
sha256_digest sha256(std::string_view bytes) {
  sha256_digest digest;
  unsigned int length = 0;
  // Cannot fail for in-memory input; a failure means a broken library.
  if (EVP_Digest(bytes.data(), bytes.size(), digest.bytes.data(), &length, EVP_sha256(), nullptr) !=
          1 ||
      length != sha256_digest::size) {
    std::abort();
  }
  return digest;
}

sha256_hasher::sha256_hasher() : context_(EVP_MD_CTX_new()) {
  if (context_ == nullptr || EVP_DigestInit_ex(context_, EVP_sha256(), nullptr) != 1)
    std::abort();
}

sha256_hasher::~sha256_hasher() {
  EVP_MD_CTX_free(context_);  // wipes the state
}

sha256_hasher& sha256_hasher::update(std::string_view bytes) {
  if (EVP_DigestUpdate(context_, bytes.data(), bytes.size()) != 1)
    std::abort();
  return *this;
}

sha256_digest sha256_hasher::finish() {
  sha256_digest digest;
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(context_, digest.bytes.data(), &length) != 1 ||
      length != sha256_digest::size) {
    std::abort();
  }
  return digest;
}

sha256_digest hmac_sha256(std::string_view key, std::string_view data) {
  detail::ensure_sodium();
  crypto_auth_hmacsha256_state state;
  sha256_digest mac;
  // These calls cannot fail for in-memory input; a non-zero return means a broken library.
  if (crypto_auth_hmacsha256_init(&state, data_of(key), key.size()) != 0 ||
      crypto_auth_hmacsha256_update(&state, data_of(data), data.size()) != 0 ||
      crypto_auth_hmacsha256_final(&state, mac.bytes.data()) != 0) {
    std::abort();
  }
  sodium_memzero(&state, sizeof state);
  return mac;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  detail::ensure_sodium();
  if (a.size() != b.size())
    return false;
  if (a.empty())
    return true;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool constant_time_equal(const sha256_digest& a, const sha256_digest& b) {
  return constant_time_equal(a.view(), b.view());
}

short_hash_key short_hash_key::random() {
  detail::ensure_sodium();
  short_hash_key key;
  randombytes_buf(key.bytes.data(), key.bytes.size());
  return key;
}

std::uint64_t short_hash(const short_hash_key& key, std::string_view bytes) {
  detail::ensure_sodium();
  unsigned char out[crypto_shorthash_BYTES];
  crypto_shorthash(out, data_of(bytes), bytes.size(), key.bytes.data());
  std::uint64_t value = 0;
  std::memcpy(&value, out, sizeof value);
  return value;
}

}  // namespace saphan::crypto
