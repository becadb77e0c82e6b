// Signed tree heads ("checkpoints") of the evidence log. The signed bytes are a small text note,
// in the spirit of transparency-dev checkpoints, so any language can rebuild and check them:
//
//   <origin>\n<tree size in decimal>\n<root hash, standard base64 with padding>\n<RFC 3339 time>\n
//
// and the signature is Ed25519 (RFC 8032) over exactly those bytes with the log key. The JSON
// form carries the same fields with the root and signature in base64url (no padding).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "core/time.hpp"
#include "crypto/hash.hpp"
#include "crypto/keys.hpp"

namespace saphan::evidence {

struct checkpoint {
  std::string origin;  // the log's name, e.g. "saphan/TH/GOV/SAPHAN/hub"
  std::uint64_t tree_size = 0;
  crypto::sha256_digest root_hash;
  ::saphan::timestamp timestamp{};
  std::string key_id;     // which log key signed (the JWK kid)
  std::string signature;  // 64 raw Ed25519 bytes
};

// Limits for fields that arrive from outside.
inline constexpr std::size_t max_origin_bytes = 256;
inline constexpr std::size_t max_key_id_bytes = 128;
inline constexpr std::size_t max_checkpoint_json_bytes = 4096;
inline constexpr std::size_t ed25519_signature_bytes = 64;

// The exact bytes that are signed. Assumes validated fields (see sign/verify).
std::string checkpoint_signed_text(const checkpoint& cp);

// Validates the fields (origin: 1..256 printable ASCII characters, no newline; key_id: 1..128
// characters from [A-Za-z0-9._:/-]; tree_size at most 2^63-1) and signs.
// Errors: invalid_argument naming the field and the rule.
result<checkpoint> sign_checkpoint(std::string origin, std::uint64_t tree_size,
                                   const crypto::sha256_digest& root_hash, ::saphan::timestamp time,
                                   std::string key_id, const crypto::ed25519_secret_key& key);

// Errors: invalid_argument (a field breaks the rules above, the signature is not 64 bytes),
// bad_signature (the signature does not verify with `key`; the detail names origin, size and kid).
result<void> verify_checkpoint(const checkpoint& cp, const crypto::ed25519_public_key& key);

// {"origin":"...","tree_size":N,"root_hash":"<b64url>","timestamp":"<RFC 3339>",
//  "key_id":"...","signature":"<b64url>"} written compactly in this member order.
std::string checkpoint_to_json(const checkpoint& cp);
// Strict: at most max_checkpoint_json_bytes, an object with exactly these members, each of the
// right type and validated (root 32 bytes, signature 64 bytes, strict base64url, RFC 3339 time).
// Does NOT check the signature (verify_checkpoint does). Errors: payload_too_large,
// malformed_json, invalid_argument, invalid_timestamp, each naming the member and the rule.
result<checkpoint> checkpoint_from_json(std::string_view json);

}  // namespace saphan::evidence
