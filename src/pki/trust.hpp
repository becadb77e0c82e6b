// What a party trusts, and checks itself: the CA it pins and the CA's revocation list. Every
// signature in the protocol carries its signer's certificate (JWS x5c); a verifier takes the key
// from a certificate that chains to this CA, names the member it expects, is valid at the time of
// signing and is not revoked, never from a key another party hands it.
//
// A trust_store is immutable once loaded; reloading makes a new one (trust_anchor swaps it), so a
// verification in progress never sees half of a new CRL.
#pragma once

#include <openssl/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "core/identifiers.hpp"
#include "core/periodic.hpp"
#include "core/result.hpp"
#include "core/time.hpp"

namespace saphan::pki {

struct trust_files {
  std::string ca_certificate_path;  // PEM, required
  std::string crl_path;             // PEM CRL signed by that CA; empty: none
};

// A member's signing key as its certificate states it.
struct certified_key {
  member_id member;
  std::string public_key;  // 32 raw Ed25519 bytes
  timestamp not_before{};
  timestamp not_after{};
  std::string fingerprint;  // SHA-256 of the DER certificate, lowercase hex
  std::string serial;       // uppercase hex
};

// The signer a JWS protected header names, as checked: the certificate of its x5c, and its kid.
struct header_signer {
  certified_key signer;
  std::string kid;
};

class trust_store {
 public:
  // Errors: io_error / payload_too_large (files), invalid_argument (not a CA certificate, a CRL
  // that is not PEM or not signed by the CA).
  static result<std::shared_ptr<const trust_store>> load(const trust_files& files);
  ~trust_store();
  trust_store(const trust_store&) = delete;
  trust_store& operator=(const trust_store&) = delete;

  // A signing certificate (DER): chains to the pinned CA, holds an Ed25519 key, keyUsage
  // digitalSignature and no CA flag, names `expected`, is valid at `at` and is not on the CRL.
  // Verified certificates are kept by fingerprint (up to a bound), so the steady-state cost is a
  // hash and a lookup. Errors: bad_signature (not DER, does not chain to the CA, not a signing
  // certificate, outside its validity at `at`), certificate_mismatch (names another member),
  // certificate_revoked.
  result<certified_key> verify_signer(std::string_view der, const member_id& expected,
                                      timestamp at) const;

  // The signer of a JWS protected header (`encoded_header`, base64url as in the JWS): the header
  // read as crypto::read_jws_header reads it, the first certificate of its x5c checked as
  // verify_signer checks it, and its kid. Headers that passed are kept by their text (up to a
  // bound), so the next JWS of the same signer (the same header text: same kid and certificate)
  // costs a lookup and the checks that depend on `at` and `expected`. Errors: bad_signature (a
  // header crypto::read_jws_header refuses, no x5c), and those of verify_signer.
  result<header_signer> verify_header_signer(std::string_view encoded_header,
                                             const member_id& expected, timestamp at) const;

  // Whether the CRL lists `certificate` (for the TLS peers a handshake verified), or the
  // certificate with this serial (uppercase hex, as certified_key and the CA's index give it).
  bool revoked(X509* certificate) const;
  bool revoked_serial(std::string_view serial) const;

  // The CA this store pins, for SSL contexts: X509_STORE_add_cert takes its own reference.
  X509* ca_certificate() const;
  // The CRL, or null without one.
  X509_CRL* crl() const;

  const trust_files& files() const { return files_; }

  struct state;

 private:
  explicit trust_store(std::unique_ptr<state> s, trust_files files);
  std::unique_ptr<state> state_;
  trust_files files_;
};

// The trust store in use, reloaded when its files change: check() compares their modification
// times (a stat each) and loads a new store when one changed; a store that fails to load leaves
// the old one in use (and the error is returned, for the caller to log).
class trust_anchor {
 public:
  static result<std::shared_ptr<trust_anchor>> open(const trust_files& files);

  std::shared_ptr<const trust_store> current() const;
  // Reloads if a file changed since the last load. Returns true when a new store is in use.
  result<bool> check();
  // Reloads whether or not a file changed (an operator's SIGHUP). A file that fails to load
  // leaves the current store in use.
  result<void> reload();

 private:
  trust_anchor(trust_files files, std::shared_ptr<const trust_store> first);
  using file_times = std::pair<std::filesystem::file_time_type, std::filesystem::file_time_type>;
  file_times times() const;

  trust_files files_;
  mutable std::mutex mutex_;
  std::shared_ptr<const trust_store> current_;
  file_times loaded_times_;
};

// For a TLS client's peer check: refuses a server whose certificate `trust`'s CRL lists.
// Errors: certificate_revoked.
result<void> refuse_revoked_peer(SSL* connection, const trust_store& trust);

// How often a running hub or connector looks at its CA and CRL files: a revocation is in force
// within this much of the CRL's arrival.
inline constexpr std::chrono::milliseconds trust_check_interval{1000};

// Checks `anchor` every `interval` on a thread of its own until destroyed, logging each reload
// (pki.trust_reloaded) and each file that fails to load (pki.trust_reload_failed).
std::unique_ptr<periodic> watch_trust(std::shared_ptr<trust_anchor> anchor,
                                      std::chrono::milliseconds interval = trust_check_interval);

}  // namespace saphan::pki
