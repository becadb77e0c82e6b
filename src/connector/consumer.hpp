// The consumer side's decisions, as pure functions (no network): reading the agency system's
// call, building the request envelope, and opening the hub's answer (signatures, hashes,
// decryption, granted fields, schema).
//
// Local API (X-Road REST conventions):
//   POST /r1/<dataset id>     headers X-Road-Client (required, must be this connector's member),
//                             X-Road-Id (optional request id), X-Road-UserId and X-Road-Issue
//                             (optional officer and case references, kept in the evidence log:
//                             exchange/case_reference.hpp)
//   body {"subject", "purpose", "lawfulBasis", "consentId"?, "legalInstrument"?, "fields"?}
// A missing or malformed X-Road-Client is invalid_argument (400); a well-formed one naming another
// member is unknown_member (403): this connector only speaks for its own member.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "core/identifiers.hpp"
#include "core/time.hpp"
#include "crypto/keys.hpp"
#include "exchange/envelope.hpp"
#include "pki/trust.hpp"
#include "policy/policy.hpp"
#include "schema/record_schema.hpp"

namespace saphan::connector {

inline constexpr std::string_view consumer_path_prefix = "/r1/";
inline constexpr std::string_view client_header = "X-Road-Client";
inline constexpr std::string_view request_id_header = "X-Road-Id";
inline constexpr std::string_view user_id_header = "X-Road-UserId";
inline constexpr std::string_view issue_header = "X-Road-Issue";
inline constexpr std::string_view traceparent_header = "traceparent";
inline constexpr std::size_t max_header_text = 256;

struct consumer_headers {
  std::string client;      // X-Road-Client
  std::string request_id;  // X-Road-Id, empty when absent
  std::string user_id;     // X-Road-UserId
  std::string issue;       // X-Road-Issue
};

struct consumer_call {
  dataset_id dataset;
  std::string request_id;
  std::string subject;
  std::string purpose;
  lawful_basis basis = lawful_basis::consent;
  std::optional<std::string> consent_id;
  std::optional<std::string> legal_instrument;
  std::set<std::string> fields;
  std::string user_id;
  std::string issue;
};

// The X-Road-Client check of every local API call: required, at most 256 characters,
// well-formed, this connector's member. Errors: invalid_argument, unknown_member.
result<void> check_client(std::string_view client, const member_id& self);

// Reads the dataset id from the target ("/r1/<id>", percent-encoding allowed, query ignored).
// Errors: not_found (not under /r1/), invalid_dataset_id.
result<dataset_id> parse_consumer_target(std::string_view target);

// Checks headers and body. `fresh_request_id` is used when X-Road-Id is absent.
// Errors: invalid_argument (X-Road-Client missing or malformed, X-Road-Id not 8..64 of
// [A-Za-z0-9_-], a header over 256 characters), unknown_member (X-Road-Client is another member),
// malformed_body (X-Road-UserId or X-Road-Issue not a reference or holding a citizen ID, the
// detail naming the header; a body not an object, unknown member, wrong type, bad purpose or
// lawful basis, fields not unique), invalid_citizen_id (subject).
result<consumer_call> parse_consumer_call(std::string_view target, const consumer_headers& headers,
                                          std::string_view body, const member_id& self,
                                          std::string_view fresh_request_id);

// The envelope to sign: issued `now`, answers encrypted to `reply_key_jwk` (public X25519 JWK).
request_envelope build_envelope(const consumer_call& call, const member_id& self, timestamp now,
                                std::string reply_key_jwk);

// W3C trace context: `incoming` when it is a valid version-00 traceparent, otherwise a new one
// from `random` (at least 24 bytes: 16 for the trace id, 8 for the parent id), sampled.
bool is_valid_traceparent(std::string_view value);
std::string choose_traceparent(std::string_view incoming, std::string_view random);

// A dataset's schema as the consumer checks answers against it: top-level "required" removed,
// because the answer holds only the granted fields.
struct answer_schema {
  record_schema schema;
  std::string subject_field;
};

// From the hub's GET /v1/catalog/<id> body (the stored dataset: "schemaText", "subjectField").
// Errors: invalid_schema, malformed_json.
result<answer_schema> answer_schema_from_catalog(std::string_view body);

struct opened_answer {
  std::string record_json;  // the decrypted record, compact JSON
  exchange_evidence evidence;
  std::string request_id;
  std::string hub_signature;
};

// What the consumer checks an answer with: its own trust store, the hub it expects, and the
// secret half of the reply key it made for this request alone.
struct answer_trust {
  const pki::trust_store& store;
  const member_id& hub;
  const crypto::x25519_secret_key& reply_secret;
  timestamp now;
};

// Opens the hub's 200 answer to `sent` (whose exact bytes were `sent_bytes`):
// the hub's signature over the body (its x5c certificate must name trust.hub) -> hub_response ->
// the provider's signature over provider_body (its certificate must name the dataset's owner) ->
// provider_response -> request id and hash (hex SHA-256 of sent_bytes) -> decrypt with the
// request's own reply key and the expected binding -> record fields within the granted fields ->
// schema (the subject field skipped when pseudonymised). `schema` may be null (not checked).
// Errors: bad_signature, certificate_mismatch, certificate_revoked, bad_encryption,
// schema_violation, each naming the step.
result<opened_answer> open_hub_answer(const request_envelope& sent, std::string_view sent_bytes,
                                      std::string_view body, std::string_view hub_signature,
                                      const answer_trust& trust, const answer_schema* schema);

// The local API's 200 body: {"record": {...}, "evidence": {...}}.
std::string format_consumer_answer(const opened_answer& answer);

// problem+json for `e`, but with the status the local API answers (e.g. 502 for a failure
// found in an upstream answer), so the body and the HTTP status agree.
std::string problem_with_status(const error& e, int status);

}  // namespace saphan::connector
