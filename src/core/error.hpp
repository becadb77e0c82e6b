// Stable error codes. Every failure the hub, a connector or a tool reports carries one of these;
// the code string (e.g. "consent_revoked") is part of the public API and never changes meaning.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace saphan {

// X-macro: name, HTTP status, title. One list, so code strings, statuses and titles cannot drift.
#define SAPHAN_ERROR_CODES(X)                                                              \
  /* generic input */                                                                      \
  X(invalid_argument, 400, "Invalid argument")                                             \
  X(malformed_json, 400, "Malformed JSON")                                                 \
  X(malformed_body, 400, "Malformed request body")                                         \
  X(schema_violation, 422, "Record or request does not match its schema")                  \
  X(payload_too_large, 413, "Payload too large")                                           \
  X(header_too_large, 431, "Request header fields too large")                              \
  X(not_found, 404, "Not found")                                                           \
  X(already_exists, 409, "Already exists")                                                 \
  X(conflict, 409, "Conflicting update")                                                   \
  X(io_error, 500, "I/O error")                                                            \
  X(storage_failure, 503, "Storage failure")                                               \
  X(internal, 500, "Internal error")                                                       \
  /* people-facing pages (saphan console) */                                               \
  X(csrf_rejected, 403, "Form token missing or wrong (CSRF)")                              \
  /* identifiers */                                                                        \
  X(invalid_member_id, 400, "Invalid member identifier")                                   \
  X(invalid_dataset_id, 400, "Invalid dataset identifier")                                 \
  X(invalid_citizen_id, 400, "Invalid citizen identifier")                                 \
  X(invalid_timestamp, 400, "Invalid timestamp")                                           \
  /* catalog and directory */                                                              \
  X(unknown_member, 403, "Unknown member")                                                 \
  X(unknown_dataset, 404, "Unknown dataset")                                               \
  X(missing_metadata, 422, "Catalog metadata incomplete")                                  \
  X(invalid_policy, 422, "Invalid access policy")                                          \
  X(invalid_schema, 422, "Invalid JSON Schema")                                            \
  /* policy decisions (deny reasons) */                                                    \
  X(consumer_not_allowed, 403, "Consumer not allowed for this dataset")                    \
  X(purpose_not_allowed, 403, "Purpose not allowed")                                       \
  X(field_not_allowed, 403, "Field not allowed for this purpose")                          \
  X(lawful_basis_not_allowed, 403, "Lawful basis not accepted for this purpose")           \
  X(legal_instrument_required, 403, "A legal instrument is required for this basis")       \
  X(legal_instrument_not_accepted, 403, "Legal instrument not accepted")                   \
  X(classification_not_permitted, 403, "Consumer not cleared for this classification")     \
  X(rate_limited, 429, "Rate limit exceeded")                                              \
  /* consent */                                                                            \
  X(consent_required, 403, "No consent given")                                             \
  X(consent_not_found, 403, "Consent not found")                                           \
  X(consent_not_active, 403, "Consent not active")                                         \
  X(consent_revoked, 403, "Consent revoked")                                               \
  X(consent_expired, 403, "Consent expired")                                               \
  X(consent_not_yet_valid, 403, "Consent not yet valid")                                   \
  X(consent_exhausted, 403, "Consent has no uses left")                                    \
  X(consent_mismatch, 403, "Consent does not cover this request")                          \
  X(illegal_transition, 409, "Illegal consent state transition")                           \
  /* exchange */                                                                           \
  X(unauthenticated, 401, "Client certificate or bearer token missing or not recognised")  \
  X(certificate_mismatch, 403, "Client certificate does not belong to the claimed member") \
  X(certificate_revoked, 403, "Certificate revoked")                                       \
  X(member_suspended, 403, "Member suspended")                                             \
  X(bad_signature, 401, "Signature invalid")                                               \
  X(bad_encryption, 400, "Encrypted payload cannot be opened")                             \
  X(replay, 409, "Request id already used")                                                \
  X(stale_request, 400, "Request time outside the accepted window")                        \
  X(provider_unreachable, 502, "Provider unreachable")                                     \
  X(provider_timeout, 504, "Provider timed out")                                           \
  X(provider_error, 502, "Provider answered with an error")                                \
  X(record_not_found, 404, "No record for this subject")                                   \
  X(evidence_unavailable, 503, "Evidence log unavailable; exchange refused")               \
  X(overloaded, 503, "Hub overloaded")                                                     \
  X(request_timeout, 408, "Request took too long")                                         \
  X(method_not_allowed, 405, "Method not allowed")                                         \
  /* evidence log (Merkle proofs) */                                                       \
  X(proof_invalid, 422, "Proof does not verify")                                           \
  X(root_mismatch, 422, "Recomputed tree root does not match")                             \
  /* RFC 3161 time-stamping */                                                             \
  X(timestamp_invalid, 502, "Timestamp token invalid")                                     \
  X(timestamp_overdue, 503, "Tree heads not timestamped within the grace period")          \
  /* evidence log read API */                                                              \
  X(forbidden, 403, "Not permitted for this member")                                       \
  X(search_too_broad, 400, "Search too broad; narrow it")

enum class errc : std::uint16_t {
#define SAPHAN_ERRC_ENUM(name, status, title) name,
  SAPHAN_ERROR_CODES(SAPHAN_ERRC_ENUM)
#undef SAPHAN_ERRC_ENUM
};

// The stable code string, e.g. "consent_revoked".
std::string_view to_string(errc code) noexcept;
// Parses a code string back; returns false when unknown.
bool parse_errc(std::string_view text, errc& out) noexcept;
// The HTTP status this error maps to (the one place that decides it).
int http_status(errc code) noexcept;
// A short human title for problem+json.
std::string_view title(errc code) noexcept;

// An expected failure: a stable code and a detail for humans (names the field and the rule).
struct error {
  errc code = errc::internal;
  std::string detail;

  friend bool operator==(const error& a, const error& b) { return a.code == b.code; }
};

inline error make_error(errc code, std::string detail = {}) {
  return error{code, std::move(detail)};
}

}  // namespace saphan
