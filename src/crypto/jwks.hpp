// Verifying a compact JWS made outside Saphan with a key from its maker's JWK Set (RFC 7517): an
// OpenID provider's ID token, signed RS256 (what every provider offers), ES256 or EdDSA. Saphan's
// own signatures stay EdDSA with x5c (jws.hpp); this is for tokens whose signer publishes keys at
// a URL instead of a certificate chain.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace saphan::crypto {

inline constexpr std::size_t max_jwks_bytes = 64 * 1024;
inline constexpr std::size_t max_jwks_keys = 32;
inline constexpr std::size_t max_compact_jws_bytes = 16 * 1024;
inline constexpr int min_rsa_bits = 2048;
inline constexpr int max_rsa_bits = 8192;

// The algorithms this verifier knows: "RS256", "ES256", "EdDSA" (Ed25519).
struct verified_jws {
  std::string alg;
  std::string kid;      // of the key that verified it ("" when the key has none)
  std::string payload;  // decoded
};

// Checks `compact` (header.payload.signature, strict base64url) against the keys of `jwks_json`
// ({"keys":[...]}): the header's alg must be one of `algorithms`; the key is the one whose kid
// the header names (or, with no kid in the header, the only key of the matching type); a key
// with "use" other than "sig", or an "alg" other than the header's, is not used; RSA keys need
// 2048..8192 bits. Keys of unknown types in the set are skipped.
// Errors: payload_too_large (token or set over its limit), malformed_json / invalid_argument
// (either is not what it must be, naming what), bad_signature (alg not allowed, no matching key,
// the signature does not verify).
result<verified_jws> verify_jws_with_jwks(std::string_view compact, std::string_view jwks_json,
                                          std::initializer_list<std::string_view> algorithms);

}  // namespace saphan::crypto
