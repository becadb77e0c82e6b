// The provider side's decisions, as pure functions (no network): checking what the hub
// forwarded, and turning the adapter's record into the signed, encrypted answer.
#pragma once

#include <rapidjson/document.h>

#include <chrono>
#include <set>
#include <string>
#include <string_view>

#include "core/time.hpp"
#include "crypto/jose.hpp"
#include "crypto/keys.hpp"
#include "exchange/envelope.hpp"
#include "pki/member_signature.hpp"
#include "schema/record_schema.hpp"

namespace saphan::connector {

inline constexpr std::string_view pseudonym_prefix = "psn:";
inline constexpr std::size_t pseudonym_key_bytes = 32;

// The JWE protected-header members that bind an answer to its request (jose.hpp names them):
// {"rid": request id, "cns": consumer, "prv": provider, "dst": dataset}.
crypto::header_members binding_members(const jwe_binding& binding);

// The forwarded request agrees with itself and is fresh: grant.request_id == envelope's,
// grant.request_hash == hex SHA-256 of forwarded.request, |now - issued_at| <= freshness,
// granted fields within the envelope's fields (when it lists any).
// Errors: bad_signature (id or hash mismatch: the hub's grant does not name this request),
// stale_request, field_not_allowed.
result<void> check_forwarded(const forwarded_request& forwarded, const request_envelope& request,
                             timestamp now, std::chrono::seconds freshness);

// What the hub forwarded, once checked: the request the provider may serve.
struct checked_forward {
  forwarded_request forwarded;
  request_envelope request;
};

// Every check of a forwarded request before any record is read: the hub's signature over the
// exact body (its x5c certificate must name `hub`), the envelope, check_forwarded, then the
// consumer's signature over the envelope (its certificate must name the envelope's consumer and
// be valid when it signed). Each key comes from a certificate this connector's trust store checked,
// never from the hub; and an envelope naming the hub itself as its consumer is refused (the hub's
// certified key would sign it, and the record would be encrypted to a key the hub chose).
// Errors: bad_signature (a signature missing or not verifying), certificate_mismatch,
// certificate_revoked, consumer_not_allowed (the hub as consumer), malformed_body, stale_request,
// field_not_allowed.
result<checked_forward> check_forwarded_request(std::string_view body,
                                                std::string_view hub_signature,
                                                const pki::trust_store& trust, const member_id& hub,
                                                timestamp now, std::chrono::seconds freshness);

// The provider's replay guard holds only what this process served: a request issued before
// `guard_start` (when the guard began) may have been served by the process before a restart,
// within its freshness window, so it is refused rather than served twice. Errors: stale_request.
result<void> check_issued_since(const request_envelope& request, timestamp guard_start);

// A copy of `record` (an object) holding only the granted members. Errors: provider_error when
// the record is not a JSON object.
result<rapidjson::Document> restrict_record(const rapidjson::Value& record,
                                            const std::set<std::string>& granted);

// "psn:" + hex(HMAC-SHA-256(key, dataset + "|" + subject)): stable per dataset and subject, so a
// consumer can link its own answers without learning who the subject is.
std::string subject_pseudonym(std::string_view key, std::string_view dataset,
                              std::string_view subject);

// Replaces the subject field's value (when present) with `pseudonym`.
void pseudonymise(rapidjson::Document& record, std::string_view subject_field,
                  std::string_view pseudonym);

struct provider_keys {
  const pki::member_signer& signer;  // signs the answer, with its certificate as x5c
  std::string_view pseudonym_key;    // pseudonym_key_bytes
};

struct sealed_answer {
  std::string body;       // provider_response bytes
  std::string signature;  // detached JWS over body
};

// The adapter's record text -> the answer: parse, check the subject field names the subject,
// validate the full record against `schema`, keep the granted fields, pseudonymise when the
// grant says so, encrypt to the envelope's reply key bound to the request, sign.
// Errors: provider_error (not JSON, wrong subject), schema_violation, bad_encryption (reply key
// unusable), internal.
result<sealed_answer> seal_record(std::string_view record_text, const forwarded_request& forwarded,
                                  const request_envelope& request, const record_schema& schema,
                                  std::string_view subject_field, const provider_keys& keys);

}  // namespace saphan::connector
