// RFC 3161 time-stamping on OpenSSL's TS support: building queries, answering them as a
// time-stamping authority (TSA), checking replies and verifying tokens. Nothing here touches the
// network, so an auditor verifies tokens offline; tsa/http.hpp carries them over HTTP.
//
// Everything is SHA-256: queries carry a SHA-256 message imprint, the TSA accepts nothing else,
// and verification refuses tokens over other hashes. Tokens are self-authenticating (signed CMS),
// so plain HTTP on loopback is enough to carry them.
//
// Only DER crosses this interface (std::string holding bytes); OpenSSL types stay inside.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "core/time.hpp"
#include "crypto/hash.hpp"

namespace saphan::tsa {

// Bounds on what comes from outside. Real queries are about 60 bytes and replies a few KiB (the
// TSA certificate travels in the token); anything much larger is not a time-stamp message.
inline constexpr std::size_t max_request_bytes = 16 * 1024;
inline constexpr std::size_t max_response_bytes = 64 * 1024;

// The TSA policy under which tokens are issued. A PLACEHOLDER in a private-enterprise arc that
// is NOT registered to Saphan: good enough for the demo and the tests, which only need some
// policy; a production deployment points at a national TSA and its own registered policy.
inline constexpr std::string_view placeholder_policy_oid = "1.3.6.1.4.1.55555.1.1";

inline constexpr std::string_view query_content_type = "application/timestamp-query";
inline constexpr std::string_view reply_content_type = "application/timestamp-reply";

// ---- queries -----------------------------------------------------------------------------

// A DER TimeStampReq (version 1) for a SHA-256 digest, certReq TRUE so the token carries the
// TSA certificate, no policy (the TSA picks its default), and the nonce when given.
// Errors: internal (OpenSSL failure).
result<std::string> make_request(const crypto::sha256_digest& digest,
                                 std::optional<std::uint64_t> nonce = std::nullopt);

// 64 random bits from OpenSSL's CSPRNG, for make_request. Errors: internal.
result<std::uint64_t> random_nonce();

// ---- the authority -------------------------------------------------------------------------

// A token's serial number: 128 bits, big-endian, unsigned. RFC 3161 wants serials unique per
// TSA; random 128-bit serials make collisions a non-issue without any state to persist.
using serial_number = std::array<std::uint8_t, 16>;
using serial_source = std::function<result<serial_number>()>;
// Random serials (top bit set, so never zero); safe to call from several threads.
serial_source random_serials();

struct signer_config {
  std::string certificate_path;  // PEM TSA certificate (critical extendedKeyUsage timeStamping)
  std::string key_path;          // PEM private key matching it, unencrypted
  // PEM files of intermediate CAs to put in tokens next to the TSA certificate; the root is
  // never needed (verifiers must already trust it).
  std::vector<std::string> chain_paths;
  std::string policy_oid = std::string(placeholder_policy_oid);
};

// The signing side of a TSA. Immutable once created; respond() may run on several threads at
// once (each call builds its own OpenSSL response context).
class tsa_signer {
 public:
  // Errors: io_error / payload_too_large (files), invalid_argument (not a PEM certificate or
  // key; key does not match; the certificate lacks critical extendedKeyUsage timeStamping; bad
  // policy OID; more than 8 chain files), internal.
  static result<tsa_signer> create(const signer_config& config);

  // Answers a DER TimeStampReq with a DER TimeStampResp, time-stamped at `now` (to the second;
  // accuracy 1 s) under the configured policy. Whatever the request holds, the answer is a
  // TimeStampResp: a malformed or oversized request gets status rejection with failInfo
  // badDataFormat, a non-SHA-256 imprint badAlg, an unknown policy unacceptedPolicy, any
  // extension unacceptedExtension. Errors (no answer at all): internal, or the serial source's
  // error.
  result<std::string> respond(std::string_view request_der, const serial_source& serials,
                              timestamp now) const;

  struct state;

 private:
  explicit tsa_signer(std::shared_ptr<const state> s) : state_(std::move(s)) {}
  std::shared_ptr<const state> state_;
};

// ---- replies and tokens ------------------------------------------------------------------

// PKIStatus of a TimeStampResp (RFC 3161 section 2.4.2).
enum class reply_status {
  granted = 0,
  granted_with_mods = 1,
  rejection = 2,
  waiting = 3,
  revocation_warning = 4,
  revocation_notification = 5,
};

struct reply_info {
  reply_status status = reply_status::rejection;
  std::vector<std::string> failures;  // PKIFailureInfo bits by RFC name, e.g. "badDataFormat"
  std::string text;                   // the first statusString, printable ASCII, at most 200 bytes
  bool has_token = false;
};

// Reads the status part of a DER TimeStampResp (no verification).
// Errors: payload_too_large, timestamp_invalid (not a TimeStampResp, trailing bytes, a status
// outside RFC 3161's list).
result<reply_info> read_reply(std::string_view response_der);

// What a verified token says.
struct verified_timestamp {
  timestamp time{};        // genTime (UTC; fractions of a second kept when the TSA gives them)
  std::string serial_hex;  // uppercase hex, as OpenSSL prints it
  std::string policy_oid;  // dotted decimal
};

// Where trust comes from. The CA file is the anchor; when the TSA certificate is given as well,
// only tokens signed by exactly that certificate are accepted (pinning: another TSA under the
// same CA is refused).
struct trust_config {
  std::string ca_certificate_path;   // PEM, required
  std::string tsa_certificate_path;  // PEM, optional
};

// Verifies a DER TimeStampResp (status granted or grantedWithMods) or a bare DER TimeStampToken
// against `expected`: token version, CMS signature, signer chain to the CA with purpose
// timeStamping (critical EKU), the ESS signing-certificate binding, the TSA name when present,
// a SHA-256 imprint equal to `expected`, and the nonce when one is given. Certificates are
// checked at the current time, as `openssl ts -verify` does.
// Errors: payload_too_large (over max_response_bytes), timestamp_invalid (not DER time-stamp
// data, trailing bytes, a rejection, any check failing: the detail names which), io_error /
// invalid_argument (trust files), internal.
result<verified_timestamp> verify_token(std::string_view der, const crypto::sha256_digest& expected,
                                        const trust_config& trust,
                                        std::optional<std::uint64_t> nonce = std::nullopt);

// The TimeStampToken (DER ContentInfo) inside a granted DER TimeStampResp: what to store when
// only the token is wanted (`openssl ts -verify -token_in`).
// Errors: payload_too_large, timestamp_invalid (malformed, rejection, no token), internal.
result<std::string> extract_token(std::string_view response_der);

// Checks that a DER TimeStampResp answers this query: status granted, a token whose SHA-256
// imprint is `digest` and whose nonce is `nonce` (when given). No signature or trust checks:
// that is verify_token's job. Errors: payload_too_large, timestamp_invalid.
result<void> check_reply(std::string_view response_der, const crypto::sha256_digest& digest,
                         std::optional<std::uint64_t> nonce);

}  // namespace saphan::tsa
