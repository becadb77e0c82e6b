// The hub's certificate authority and TLS configuration (OpenSSL 3).
//
// Keys are ECDSA P-256: every TLS stack Saphan meets (curl, nginx, Node, Java, Go) supports it.
// A member certificate carries the member's identity in exactly one subjectAltName URI
//     urn:saphan:member:INSTANCE/CLASS/CODE/SUBSYSTEM
// e.g. urn:saphan:member:TH/GOV/DOPA/civil-registry
// The slashes are kept as they are: RFC 8141 allows '/' in a URN's namespace-specific string and
// OpenSSL stores URIs as opaque IA5Strings, so nothing is percent-encoded. The subject (CN =
// CODE/SUBSYSTEM, O = CODE) is for humans only; authorisation reads the URI.
//
// Only this module (and crypto/) touch OpenSSL's X.509 and SSL APIs. Other modules get raw
// SSL_CTX* / SSL* handles configured here (Asio's ssl::context::native_handle()).
#pragma once

#include <openssl/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/identifiers.hpp"
#include "core/result.hpp"
#include "core/time.hpp"

namespace saphan::pki {

// Limits. A CA outlives the certificates it issues; member certificates are short so that
// rotation is routine (825 days is the longest the CA/Browser Forum ever allowed).
inline constexpr int max_ca_validity_days = 7300;
inline constexpr int max_certificate_validity_days = 825;
inline constexpr std::size_t max_common_name_bytes = 64;  // X.520 ub-common-name
inline constexpr std::size_t max_alt_names = 16;          // per kind (DNS, IP)
inline constexpr std::size_t max_dns_name_bytes = 253;
inline constexpr std::size_t max_pem_bytes = 64 * 1024;  // a key or certificate file

inline constexpr std::string_view member_uri_prefix = "urn:saphan:member:";
inline constexpr std::string_view ca_key_file = "ca.key";
inline constexpr std::string_view ca_certificate_file = "ca.crt";

struct ca_paths {
  std::string key_path;          // <dir>/ca.key, PEM PKCS#8, mode 0600
  std::string certificate_path;  // <dir>/ca.crt, PEM
  std::string fingerprint;       // SHA-256 of the certificate, lowercase hex
};

// Creates <dir> (mode 0700) if missing and writes a new self-signed CA: basicConstraints
// CA:TRUE (critical), keyUsage keyCertSign+cRLSign (critical), subjectKeyIdentifier.
// Errors: invalid_argument (name empty, longer than 64 bytes or with control characters;
// validity_days outside 1..max_ca_validity_days), already_exists (ca.key or ca.crt present),
// io_error, internal (OpenSSL failure, with its error string).
result<ca_paths> create_ca(const std::string& dir, const std::string& common_name,
                           int validity_days);

struct issue_options {
  // Defaults let the same certificate serve a loopback server as well as act as a client.
  std::vector<std::string> dns_names{"localhost"};
  std::vector<std::string> ip_addresses{"127.0.0.1"};
  // Replacing a member's existing key is a deliberate act (rotation), never an accident.
  bool overwrite = false;
};

struct issued_certificate {
  std::string key_path;          // <prefix>.key, PEM PKCS#8, mode 0600
  std::string certificate_path;  // <prefix>.crt, PEM (leaf only; peers trust ca.crt directly)
  std::string fingerprint;       // SHA-256 of the certificate, lowercase hex
};

// Issues a member certificate signed by the CA in <ca_dir>: extendedKeyUsage serverAuth and
// clientAuth, keyUsage digitalSignature (critical), basicConstraints CA:FALSE, subject and
// authority key identifiers, a random 128-bit serial, and subjectAltName holding the member URI
// plus the DNS names and IP addresses of `options`.
// Errors: invalid_member_id, invalid_argument (validity_days outside
// 1..max_certificate_validity_days or past the CA's own expiry; a bad DNS name or IP address;
// more than max_alt_names of a kind), not_found (no CA in ca_dir), already_exists (<prefix>.key
// or <prefix>.crt present and !overwrite), io_error, internal.
// The key is written first, then the certificate; if the certificate cannot be written a newly
// created key is removed again, so a failed run leaves no files behind.
result<issued_certificate> issue_certificate(const std::string& ca_dir, const member_id& member,
                                             const std::string& out_prefix, int validity_days,
                                             const issue_options& options = {});

// A people-facing HTTPS server's certificate (the console, the citizen portal, the demo's
// OpenID provider): extendedKeyUsage serverAuth only, keyUsage digitalSignature (critical),
// CA:FALSE, subject CN = common_name, subjectAltName the DNS names and IP addresses of `options`
// and no member URI (it speaks for a web address, not for a member).
// Errors: invalid_argument (common name; validity; no host name at all; a bad DNS name or IP
// address), not_found (no CA), already_exists (unless options.overwrite), io_error, internal.
result<issued_certificate> issue_web_certificate(const std::string& ca_dir,
                                                 const std::string& common_name,
                                                 const std::string& out_prefix, int validity_days,
                                                 const issue_options& options = {});

// ---- signing certificates ---------------------------------------------------------------

inline constexpr std::size_t ed25519_public_key_bytes = 32;

// Certifies a member's Ed25519 signing key (`public_key`: its 32 raw bytes; RFC 8410): keyUsage
// digitalSignature (critical) and nothing else, basicConstraints CA:FALSE, the member URI as its
// one subjectAltName, a random serial. The member keeps its secret key; only the certificate is
// written, to `out_path` (PEM). Errors: invalid_member_id, invalid_argument (not 32 bytes,
// validity_days outside 1..max_certificate_validity_days or past the CA's expiry), not_found (no
// CA in ca_dir), already_exists (`out_path` present and !overwrite), io_error, internal.
result<issued_certificate> issue_signing_certificate(const std::string& ca_dir,
                                                     const member_id& member,
                                                     std::string_view public_key,
                                                     const std::string& out_path, int validity_days,
                                                     bool overwrite = false);

// ---- revocation ---------------------------------------------------------------------------

// Beside ca.key and ca.crt: what the CA issued (one JSON object a line), and its CRL, which
// verifiers load beside ca.crt.
inline constexpr std::string_view issued_index_file = "issued.jsonl";
inline constexpr std::string_view crl_file = "ca.crl";
inline constexpr int default_crl_days = 7;
inline constexpr int max_crl_validity_days = 366;

struct issued_record {
  std::string serial;  // uppercase hex
  std::string member;  // empty for a TSA certificate
  std::string kind;    // "tls", "signing" or "tsa"
  timestamp not_after{};
  std::string fingerprint;
};
// Errors: io_error, storage_failure (a damaged index).
result<std::vector<issued_record>> read_issued(const std::string& ca_dir);

struct revoke_request {
  std::vector<std::string> serials;  // hex, as `saphan ca list` and OpenSSL print them
  std::optional<member_id> member;   // and every unexpired certificate issued to this member
  int crl_days = default_crl_days;   // until the CRL's nextUpdate
};
struct revocation {
  std::vector<std::string> serials;  // newly revoked (already listed ones are not repeated)
  std::size_t listed = 0;            // entries in the CRL now
  std::string crl_path;
  timestamp next_update{};
};
// Adds the certificates to the CA's CRL (<ca_dir>/ca.crl, created on first use) with revocation
// time `now`, and writes it signed, numbered one higher, valid until now + crl_days. With no
// serials and no member it renews the CRL as it is. Errors: not_found (no CA; a member without
// unexpired certificates), invalid_argument (a serial that is not hex, crl_days outside
// 1..max_crl_validity_days, a CRL file not of this CA), io_error, internal.
result<revocation> revoke_certificates(const std::string& ca_dir, const revoke_request& request,
                                       timestamp now);

// "urn:saphan:member:" + to_string(member).
std::string member_uri(const member_id& member);
// The inverse. Errors: unauthenticated (wrong prefix), invalid_member_id.
result<member_id> parse_member_uri(std::string_view uri);

// The member named by the certificate's single urn:saphan:member: SAN URI. Does NOT verify the
// certificate; use it on a chain OpenSSL has verified (see peer_member).
// Errors: unauthenticated (null certificate, no SAN, no member URI, several member URIs, or a
// URI that does not hold a valid member id).
result<member_id> member_from_certificate(X509* certificate);

// SHA-256 over the DER certificate, 64 lowercase hex digits. Errors: invalid_argument (null),
// internal.
result<std::string> certificate_fingerprint(X509* certificate);

// What the directory needs to register a member's TLS certificate, read from PEM text.
struct certificate_info {
  member_id member;
  std::string fingerprint;
  timestamp not_before{};
  timestamp not_after{};
};
// Errors: payload_too_large (over max_pem_bytes), invalid_argument (not a PEM certificate),
// unauthenticated (no member URI, as member_from_certificate).
result<certificate_info> inspect_certificate_pem(std::string_view pem);

struct tls_files {
  std::string certificate_chain_path;  // own certificate (plus intermediates), PEM
  std::string private_key_path;        // matching private key, PEM, unencrypted
  std::string ca_certificate_path;     // the CA whose certificates peers must present
};

// Configures a server context: TLS 1.3 only (minimum and maximum), own chain and key (checked to
// match), peers verified against the CA file, a client certificate required
// (SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT), the CA's name advertised in the
// CertificateRequest, and a session id context so resumed sessions keep the verified peer.
// Errors: invalid_argument (null context; key file not an unencrypted PEM key; key does not
// match the certificate), io_error (a file cannot be read or loaded), payload_too_large (key
// file over max_pem_bytes), internal; details carry OpenSSL's error strings.
result<void> configure_server_context(SSL_CTX* context, const tls_files& files);

// Configures a client context: TLS 1.3 only, own chain and key (a client certificate is always
// presented), server verified against the CA file (SSL_VERIFY_PEER). Which name the server must
// carry depends on the connection: call set_peer_host on each SSL before the handshake.
result<void> configure_client_context(SSL_CTX* context, const tls_files& files);

// A people-facing server context: TLS 1.2 or 1.3 (what browsers speak), own chain and key, no
// client certificate asked for. Errors: as configure_server_context.
result<void> configure_web_server_context(SSL_CTX* context,
                                          const std::string& certificate_chain_path,
                                          const std::string& private_key_path);

// A client context for a web server that is not a member (an OpenID provider): TLS 1.2 or 1.3,
// the server verified against `ca_certificate_path` (SSL_VERIFY_PEER; set_peer_host on each
// connection checks its name), no client certificate. Errors: io_error, internal.
result<void> configure_web_client_context(SSL_CTX* context, const std::string& ca_certificate_path);

// Makes the handshake fail unless the server's certificate matches `host`: an IP address
// (checked against SAN IP entries) or a DNS name (checked against SAN DNS entries and also sent
// as SNI). Errors: invalid_argument (null, empty), internal.
result<void> set_peer_host(SSL* connection, std::string_view host);

// The member identity of the verified peer of an established connection.
// Errors: unauthenticated (no peer certificate, verification did not succeed, no member URI).
result<member_id> peer_member(SSL* connection);

// The peer's certificate of an established connection, as the directory and the CRL name it.
struct peer_certificate {
  std::string fingerprint;  // SHA-256 of the DER, lowercase hex
  std::string serial;       // uppercase hex
};
// Errors: unauthenticated (no peer certificate), internal.
result<peer_certificate> peer_certificate_of(SSL* connection);

// peer_member, and the peer must be `expected`. Errors: unauthenticated,
// certificate_mismatch (the certificate names another member; the detail names both).
result<void> require_peer_member(SSL* connection, const member_id& expected);

// ---- time-stamping authority (RFC 3161) --------------------------------------------------

// A TSA certificate outlives the tokens it is used to verify today, so it may be longer-lived
// than a member certificate; it never outlives the CA that issues it.
inline constexpr int max_tsa_certificate_validity_days = 3650;

// Issues a TSA signing certificate from the CA in <ca_dir>: extendedKeyUsage timeStamping and
// nothing else, marked CRITICAL (RFC 3161 section 2.3; OpenSSL refuses to sign or verify
// tokens otherwise), keyUsage digitalSignature+nonRepudiation (critical), basicConstraints
// CA:FALSE (critical), subject and authority key identifiers, a random 128-bit serial, subject
// CN = common_name, no subjectAltName. Key: ECDSA P-256, written to <prefix>.key (mode 0600).
// Errors: invalid_argument (common_name empty, over 64 bytes or with control characters;
// validity_days outside 1..max_tsa_certificate_validity_days or past the CA's own expiry),
// not_found (no CA in ca_dir), already_exists (<prefix>.key or <prefix>.crt present and
// !overwrite), io_error, internal. A failed run leaves no new files behind.
result<issued_certificate> issue_tsa_certificate(const std::string& ca_dir,
                                                 const std::string& common_name,
                                                 const std::string& out_prefix, int validity_days,
                                                 bool overwrite = false);

}  // namespace saphan::pki
