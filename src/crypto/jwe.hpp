// JWE (RFC 7516) in compact serialization, encrypted to one recipient's X25519 key:
//   alg "ECDH-ES" (RFC 7518 section 4.6, direct key agreement; the encrypted-key part is empty)
//   with "epk" a fresh X25519 OKP public JWK (RFC 8037), enc "A256GCM".
// The content key is Concat KDF (NIST SP 800-56A, RFC 7518 4.6.2) with SHA-256 over the X25519
// shared secret: keydatalen 256, AlgorithmID "A256GCM", PartyUInfo/PartyVInfo the decoded
// "apu"/"apv" (empty when absent), SuppPubInfo 256 as 32-bit big endian. Every message has its
// own ephemeral key and a random 96-bit IV; the AAD is the ASCII base64url protected header.
//
// Binding members (e.g. {"rid": request id, "cns": consumer, "prv": provider, "dst": dataset})
// travel in the protected header, which is authenticated as AAD: decrypt checks them against
// what the recipient expects, so an answer cannot be replayed for another request.
#pragma once

#include <string>
#include <string_view>

#include "core/result.hpp"
#include "crypto/jose.hpp"
#include "crypto/keys.hpp"

namespace saphan::crypto {

inline constexpr std::string_view jwe_algorithm = "ECDH-ES";
inline constexpr std::string_view jwe_encryption = "A256GCM";

// Encrypts `plaintext` to `recipient`; the header is
// {"alg":"ECDH-ES","enc":"A256GCM","kid":kid,"epk":{...},...binding} (kid left out when empty).
// Errors: payload_too_large (plaintext over max_plaintext_bytes), invalid_argument (a binding
// member name that is reserved — alg, enc, epk, kid, apu, apv, zip, crit, jku, jwk, x5u, x5c,
// x5t, x5t#S256 — or malformed, invalid UTF-8, a header over max_protected_header_bytes, or a
// low-order recipient key).
result<std::string> encrypt_to(const x25519_public_key& recipient, std::string_view plaintext,
                               std::string_view kid, const header_members& binding = {});

struct jwe_opened {
  std::string plaintext;
  std::string kid;         // the recipient key id named in the header (empty when none)
  header_members members;  // every other string-valued header member (the binding among them)
};

// Opens a compact JWE with the recipient's secret key and checks that every member of
// `expected_binding` is present in the protected header with exactly that value.
// Errors: bad_encryption on anything wrong (structure, header, alg/enc other than
// ECDH-ES/A256GCM, "crit" or "zip", epk not an X25519 public JWK, an all-zero shared secret,
// IV not 96 bits, tag not 128 bits, any tampering, the wrong key, a binding member missing or
// different); payload_too_large over max_jose_input_bytes.
result<jwe_opened> decrypt(std::string_view jwe, const x25519_secret_key& key,
                           const header_members& expected_binding);

struct jwe_header_info {
  std::string kid;
  header_members members;
};

// Reads the protected header WITHOUT authenticating it, only to choose the key to decrypt with
// (by kid). Errors: bad_encryption.
result<jwe_header_info> peek_jwe_header(std::string_view jwe);

// ---- Building blocks, exposed for their published test vectors ----

// X25519 (RFC 7748) shared secret, refusing the all-zero result a low-order public key gives.
// Errors: bad_encryption.
result<std::string> derive_x25519_shared_secret(const x25519_secret_key& secret,
                                                const x25519_public_key& peer);

// Concat KDF with SHA-256 as RFC 7518 4.6.2 uses it. `key_bits` must be a positive multiple of
// 8 no larger than 1024 (otherwise the result is empty).
std::string concat_kdf_sha256(std::string_view z, std::string_view algorithm_id,
                              std::string_view apu, std::string_view apv, std::size_t key_bits);

}  // namespace saphan::crypto
