// Signatures that name their signer: a member signs with its Ed25519 key and puts the CA's
// certificate for that key in the JWS (x5c); whoever verifies takes the key from that certificate
// once its own trust store has checked it, never from a key another party forwards.
#pragma once

#include <string>
#include <string_view>

#include "crypto/jose.hpp"
#include "crypto/keys.hpp"
#include "pki/trust.hpp"

namespace saphan::pki {

// A member's signing identity: its key, and the CA's certificate for it.
struct member_signer {
  crypto::signing_jwk key;
  std::string certificate_der;

  // Loads the key (a JWK file) and its certificate (PEM) and checks that the certificate holds
  // this very key. Errors: io_error, payload_too_large, invalid_argument (not a key or a
  // certificate, or "<certificate> does not certify the key in <key>").
  static result<member_signer> load(const std::string& key_path,
                                    const std::string& certificate_path);

  // A detached JWS over `payload` whose header carries kid and x5c = [certificate].
  result<std::string> sign(std::string_view payload,
                           const crypto::header_members& extra = {}) const;
};

// The signer of `jws` over `payload` must be `expected`: the certificate in its x5c is checked by
// `trust` as of `at` (chain, member, validity, revocation), then the signature with that
// certificate's key. Errors: bad_signature (no x5c, a certificate or signature that fails),
// certificate_mismatch (another member's certificate), certificate_revoked.
result<certified_key> verify_member_signature(std::string_view jws, std::string_view payload,
                                              const member_id& expected, timestamp at,
                                              const trust_store& trust);

}  // namespace saphan::pki
