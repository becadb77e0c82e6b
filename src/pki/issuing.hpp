// Internal to pki/: the building blocks of issuing certificates, shared by the CA's own
// (ca.cpp) and the time-stamping authority's (tsa_certificate.cpp): input checks, the CA on
// disk, a new certificate with its serial, validity and key, and writing key and certificate.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "pki/openssl_util.hpp"
#include "pki/pki.hpp"

namespace saphan::pki::detail {

// Errors: invalid_argument "validity_days: must be 1..<max>, got <days>".
result<void> check_validity_days(int days, int max_days);
// 1..64 bytes, no control characters. Errors: invalid_argument naming common_name.
result<void> check_common_name(std::string_view name);

bool path_exists(const std::string& path);

// The CA in <ca_dir> (ca.key, ca.crt): the key must match the certificate, which must be a CA's.
struct signing_ca {
  x509_ptr certificate;
  pkey_ptr key;
};
// Errors: not_found (a file missing), io_error, payload_too_large, invalid_argument (not PEM,
// key and certificate do not match, not a CA certificate).
result<signing_ca> load_ca(const std::string& ca_dir);

// A new ECDSA P-256 key. Errors: internal.
result<pkey_ptr> generate_key();

// A version 3 certificate for `subject_key` with a random 128-bit serial, valid from a few
// minutes ago (for peers whose clocks run behind) for `validity_days`. Errors: internal.
result<x509_ptr> start_certificate(EVP_PKEY* subject_key, int validity_days);

// Errors: invalid_argument when `certificate` would outlive the CA's certificate.
result<void> check_within_ca(X509* certificate, const signing_ca& ca, int validity_days);

result<void> add_name_entry(X509_NAME* name, const char* field, std::string_view value);

// start_certificate, checked against the CA's expiry, with subject CN = common_name and the CA
// as its issuer (the TSA's and the web servers' certificates, which name no member).
result<x509_ptr> start_named_certificate(const signing_ca& ca, EVP_PKEY* key,
                                         std::string_view common_name, int validity_days);

// A member certificate's subject (O = CODE, CN = CODE/SUBSYSTEM + suffix: informational and at
// most 64 bytes, for the identity is the SAN URI) and the CA as its issuer.
result<void> name_for_member(X509* certificate, const signing_ca& ca, const member_id& member,
                             std::string_view suffix);
// basicConstraints CA:FALSE and keyUsage digitalSignature (both critical), the subject and
// authority key identifiers, and extendedKeyUsage when one is given.
result<void> add_end_entity_extensions(X509* certificate, const signing_ca& ca,
                                       const char* extended_key_usage);

// subjectAltName entries. push_general_name takes ownership of `value` whatever happens;
// push_ia5 adds a URI (GEN_URI) or DNS name (GEN_DNS).
result<void> push_general_name(GENERAL_NAMES* names, int type, ASN1_STRING* value);
result<void> push_ia5(GENERAL_NAMES* names, int type, std::string_view text);

// For the fixed extensions only: the values are constants, so OpenSSL's config syntax cannot be
// injected into.
result<void> add_extension(X509* certificate, X509V3_CTX* context, int nid, const char* value);

result<void> sign_certificate(X509* certificate, EVP_PKEY* issuer_key);

// Writes the key (mode 0600), then the certificate (0644); if the certificate cannot be written,
// a key this call created is removed again. Returns the certificate's SHA-256 fingerprint.
result<std::string> write_key_and_certificate(const std::string& key_path, EVP_PKEY* key,
                                              const std::string& certificate_path,
                                              X509* certificate);

// Appends the certificate to the CA's index of what it issued (issued_index_file).
result<void> record_issued(const std::string& ca_dir, X509* certificate);

// Builds the certificate of a new key, signed by the CA.
using certificate_builder = std::function<result<x509_ptr>(const signing_ca& ca, EVP_PKEY* key)>;

// Issues <prefix>.key and <prefix>.crt from the CA in `ca_dir`: refuses to replace them unless
// `overwrite` (already_exists), loads the CA, makes a P-256 key, builds its certificate and writes
// both (write_key_and_certificate). Errors: those of load_ca, `build`, and the files.
result<issued_certificate> issue_from_ca(const std::string& ca_dir, const std::string& out_prefix,
                                         bool overwrite, const certificate_builder& build);

}  // namespace saphan::pki::detail
