// The exchange protocol's messages. Pure data and JSON; signing and encryption happen at the
// edges (hub, connector) with crypto/jws and crypto/jwe.
//
//   consumer connector --POST /v1/exchange-->  hub  --POST /v1/provide-->  provider connector
//   body: request_envelope                          body: forwarded_request
//   X-Saphan-Signature: consumer JWS                X-Saphan-Signature: hub JWS
//
//   provider answers provider_response (signed by the provider; record encrypted to the consumer)
//   hub answers hub_response (signed by the hub): the provider's signed answer, plus evidence.
//
// Signed bodies travel as exact bytes: a message that embeds another embeds it as a JSON string,
// so every signature can be checked again later over the very bytes that were signed.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>

#include "core/identifiers.hpp"
#include "core/json.hpp"
#include "core/time.hpp"
#include "law/lawful_basis.hpp"

namespace saphan {

inline constexpr std::string_view signature_header = "X-Saphan-Signature";
inline constexpr std::string_view exchange_path = "/v1/exchange";
inline constexpr std::string_view provide_path = "/v1/provide";

inline constexpr std::size_t max_field_name_length = 64;
// A record field name as requests, grants and answers carry it: ^[A-Za-z][A-Za-z0-9_]{0,63}$
// (plain identifiers: no escapes that would swell an evidence entry, nothing to confuse a log).
bool is_field_name(std::string_view text) noexcept;
// The array of field names at `name` in `obj` (absent: empty): at most 256, each a field name,
// no duplicates. Errors: obj's error code, naming the member and the rule.
result<std::set<std::string>> read_field_set(const json_object& obj, std::string_view name);

struct request_envelope {
  std::string request_id;  // unique, 8..64 chars [A-Za-z0-9_-]
  timestamp issued_at{};
  member_id consumer;
  dataset_id dataset;  // the provider is dataset.owner
  std::string purpose;
  lawful_basis basis = lawful_basis::consent;
  std::optional<std::string> consent_id;
  std::optional<std::string> legal_instrument;
  std::string subject;
  std::set<std::string> fields;  // empty = every field the purpose allows
  std::string reply_key;         // a fresh X25519 public JWK (JSON text) for this request alone
  // X-Road-UserId and X-Road-Issue: the officer and the case reference, each empty (absent) or
  // a reference as exchange/case_reference.hpp defines it (they are kept in the evidence log).
  std::string user_id;
  std::string issue;
};

// Errors: malformed_body naming the member (userId and issue: check_case_reference); invalid ids
// keep their own codes.
result<request_envelope> parse_request_envelope(std::string_view body, json_limits limits = {});
std::string serialize(const request_envelope& request);

struct grant_info {
  std::string request_id;
  std::string request_hash;  // hex SHA-256 of the consumer's envelope bytes
  std::set<std::string> fields;
  bool pseudonymise_subject = false;
  std::string purpose;
  std::int64_t log_index = -1;  // the evidence entry that recorded the decision
  timestamp granted_at{};
};

struct forwarded_request {
  std::string request;             // the consumer's envelope bytes
  std::string consumer_signature;  // the consumer's detached JWS over `request` (with its x5c)
  grant_info grant;
};

result<forwarded_request> parse_forwarded_request(std::string_view body, json_limits limits = {});
std::string serialize(const forwarded_request& forwarded);

struct provider_response {
  std::string request_id;
  std::string request_hash;
  std::string ciphertext;  // compact JWE to the consumer's reply key
};

result<provider_response> parse_provider_response(std::string_view body, json_limits limits = {});
std::string serialize(const provider_response& response);

struct exchange_evidence {
  std::int64_t decision_index = -1;
  std::int64_t outcome_index = -1;
  std::string request_hash;
  std::string ciphertext_hash;
  std::set<std::string> granted_fields;
  bool pseudonymised = false;
};

struct hub_response {
  std::string request_id;
  std::string provider_body;       // provider_response bytes
  std::string provider_signature;  // provider's detached JWS over provider_body (with its x5c)
  exchange_evidence evidence;
};

result<hub_response> parse_hub_response(std::string_view body, json_limits limits = {});
std::string serialize(const hub_response& response);

// The binding members of the response JWE's protected header (checked on decryption).
struct jwe_binding {
  std::string request_id;
  std::string consumer;
  std::string provider;
  std::string dataset;
};
jwe_binding binding_for(const request_envelope& request);

// Request ids: 8..64 characters of [A-Za-z0-9_-].
bool is_valid_request_id(std::string_view id);

}  // namespace saphan
