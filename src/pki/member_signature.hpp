// Signatures that name their signer: a member signs with its Ed25519 key and puts the CA's
// certificate for that key in the JWS (x5c); whoever verifies takes the key from that certificate
// once its own trust store has checked it, never from a key another party forwards.
#pragma once

#include <memory>
#include <mutex>
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
  // The encoded protected header (kid, x5c) of `header_kid` and `header_der`, made by load: a
  // signature without extra members signs under it instead of encoding the certificate again.
  // Used only while key.kid and certificate_der are still what it was made for.
  std::string encoded_header;
  std::string header_kid;
  std::string header_der;

  // Loads the key (a JWK file) and its certificate (PEM) and checks that the certificate holds
  // this very key. Errors: io_error, payload_too_large, invalid_argument (not a key or a
  // certificate, or "<certificate> does not certify the key in <key>").
  static result<member_signer> load(const std::string& key_path,
                                    const std::string& certificate_path);

  // A detached JWS over `payload` whose header carries kid and x5c = [certificate].
  result<std::string> sign(std::string_view payload,
                           const crypto::header_members& extra = {}) const;
};

// A member's signing identity that a rotation replaces while it signs: each signature uses the
// signer current when it starts, and a reload puts the new key and certificate in use at once.
class reloadable_signer {
 public:
  // Errors: as member_signer::load.
  static result<std::shared_ptr<reloadable_signer>> load(const std::string& key_path,
                                                         const std::string& certificate_path);

  // A signer made in memory (tests): it has no files to reload from.
  static std::shared_ptr<reloadable_signer> of(member_signer signer);

  std::shared_ptr<const member_signer> current() const;
  // Loads both files again. If they do not load or do not match (a key replaced before its
  // certificate, say), the current signer stays in use and the error is returned.
  result<void> reload();

 private:
  reloadable_signer(std::string key_path, std::string certificate_path,
                    std::shared_ptr<const member_signer> first);

  std::string key_path_;
  std::string certificate_path_;
  mutable std::mutex mutex_;
  std::shared_ptr<const member_signer> current_;
};

// A member's signature as checked: the certificate it was verified with, and the key id its
// header names (for a verifier that also matches the key against a directory).
using verified_signature = header_signer;

// The signer of `jws` over `payload` must be `expected`: the certificate in its x5c is checked by
// `trust` as of `at` (chain, member, validity, revocation), then the signature with that
// certificate's key. Errors: bad_signature (no x5c, a certificate or signature that fails),
// certificate_mismatch (another member's certificate), certificate_revoked.
// A header seen before (a signer's headers are all the same text) is a lookup in `trust`'s
// header cache, so a warm verification is that lookup and one Ed25519 verification.
result<verified_signature> verify_member_signature(std::string_view jws, std::string_view payload,
                                                   const member_id& expected, timestamp at,
                                                   const trust_store& trust);

}  // namespace saphan::pki
