// JWS (RFC 7515) in compact serialization with a DETACHED payload (RFC 7515 Appendix F):
// "<protected header>..<signature>". Algorithm EdDSA with Ed25519 (RFC 8037) only. The payload
// is signed in the standard way (base64url, "b64" is never used), so any JOSE library verifies
// it by putting the payload back in the middle.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "crypto/jose.hpp"
#include "crypto/keys.hpp"

namespace saphan::crypto {

inline constexpr std::string_view jws_algorithm = "EdDSA";

// Signs `payload`; the header is {"alg":"EdDSA","kid":kid, ...extra} (kid left out when empty).
// Reserved extra names: "alg" and "kid" are the library's; "crit", "b64", "jku", "jwk", "x5u",
// "x5c", "x5t", "x5t#S256" would change how (or with which key) a verifier processes it.
// Errors: invalid_argument (reserved or malformed extra member names, invalid UTF-8, header over
// max_protected_header_bytes), payload_too_large (payload over max_jose_input_bytes).
// `x5c`, when given, is the signer's certificate chain (RFC 7515 section 4.1.6: standard base64
// DER, the signer's own certificate first), written as the header's "x5c" array.
result<std::string> sign_detached(std::string_view payload, const ed25519_secret_key& key,
                                  std::string_view kid, const header_members& extra = {},
                                  const std::vector<std::string>& x5c = {});

// The base64url protected header sign_detached writes for these members, with the same checks and
// errors: a signer that signs many payloads under one header (its kid and certificate) encodes
// it once and signs with sign_with_header.
result<std::string> encode_jws_header(std::string_view kid, const header_members& extra = {},
                                      const std::vector<std::string>& x5c = {});

// A detached JWS over `payload` under `encoded_header` (from encode_jws_header): what
// sign_detached gives for the same members. Errors: payload_too_large.
result<std::string> sign_with_header(std::string_view encoded_header, std::string_view payload,
                                     const ed25519_secret_key& key);

// Chains longer than this, or certificates larger, are refused before any is decoded.
inline constexpr std::size_t max_x5c_certificates = 4;
inline constexpr std::size_t max_x5c_certificate_bytes = 8 * 1024;

struct jws_header_info {
  std::string kid;               // empty when the header has none
  std::vector<std::string> x5c;  // the "x5c" chain as DER bytes, decoded; empty when absent
  header_members members;        // every other string-valued member ("alg" and "kid" excluded)
};

// A JWS split and its header read, not yet verified: what a verifier parses once, to choose the
// key from the header and then check the signature with it (verify_parsed), without decoding the
// header twice.
struct parsed_jws {
  jws_header_info header;
  std::string_view encoded_header;  // a view into the JWS given to parse_jws
  std::string signature;            // 64 bytes
};

// A detached JWS split and its signature decoded, its header not yet read: a verifier that knows
// the header's text already (a cache keyed by it) need not read it again (read_jws_header).
struct split_jws {
  std::string_view encoded_header;  // a view into the JWS given to split_detached_jws
  std::string signature;            // 64 bytes
};

// Refuses what parse_jws refuses but for the header's content. Errors: bad_signature.
result<split_jws> split_detached_jws(std::string_view jws);

// Reads a protected header (base64url) as parse_jws does. Errors: bad_signature.
result<jws_header_info> read_jws_header(std::string_view encoded_header);

// Checks the signature of a split JWS over `payload` with `key`. Errors: bad_signature,
// payload_too_large.
result<void> verify_split(const split_jws& jws, std::string_view payload,
                          const ed25519_public_key& key);

// Splits `jws` and reads its header; refuses what verify_detached refuses before the signature
// check. Never act on what it returns before verify_parsed succeeds. Errors: bad_signature.
result<parsed_jws> parse_jws(std::string_view jws);

// Checks the signature of a parsed JWS over `payload` with `key`. Errors: bad_signature,
// payload_too_large.
result<void> verify_parsed(const parsed_jws& jws, std::string_view payload,
                           const ed25519_public_key& key);

// Verifies a detached compact JWS over `payload` with `key`. Refuses: an "alg" other than
// "EdDSA" (including "none" and "HS256"), a non-empty payload part, a header that is not a JSON
// object or names a member twice, "crit" or "b64" members, malformed base64url, a signature
// that is not 64 bytes or does not verify, and inputs over the limits in jose.hpp.
// Errors: bad_signature naming the rule; payload_too_large.
result<jws_header_info> verify_detached(std::string_view jws, std::string_view payload,
                                        const ed25519_public_key& key);

// Reads the protected header WITHOUT verifying anything, only to choose the key to verify with
// (by kid). Never act on what it returns before verify_detached succeeds. Errors: bad_signature.
result<jws_header_info> peek_jws_header(std::string_view jws);

}  // namespace saphan::crypto
