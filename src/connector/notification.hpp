// The consumer side's consent parts, as pure functions: the local API's consent targets
// (POST /consents, GET /consents/<id>, passed to the hub's /v1/consents), and the hub's consent
// notifications as the connector's notification listener checks them before it passes them on
// to the agency's webhook.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "connector/consumer.hpp"
#include "pki/trust.hpp"

namespace saphan::connector {

inline constexpr std::string_view consents_local_path = "/consents";
inline constexpr std::string_view notifications_path = "/v1/notifications";
inline constexpr std::size_t max_notification_body = 8 * 1024;

// "/consents" (no id) or "/consents/<id>": the hub path to call. Errors: not_found (another
// path, or an id that cannot be a consent id: 1..128 of A-Z a-z 0-9 . _ : -).
struct consent_target {
  bool has_id = false;
  std::string hub_path;  // "/v1/consents" or "/v1/consents/<id>"
};
bool is_consent_target(std::string_view target);
result<consent_target> parse_consent_target(std::string_view target);

struct consent_notification {
  std::string notification_id;
  std::string consent_id;
  std::string event;  // granted, rejected, revoked, expired
  timestamp at{};
  std::uint64_t log_index = 0;
  member_id consumer;
};

// The hub's signature over `body` (its x5c certificate checked by `trust` as of `now` and naming
// `hub`), then the payload: every member present and typed, no other, an event of the four, and
// the consumer this connector's member. Errors: bad_signature, certificate_mismatch,
// certificate_revoked (the signature); payload_too_large, malformed_json, malformed_body,
// invalid_timestamp, unknown_member (for another member).
result<consent_notification> verify_notification(std::string_view body, std::string_view signature,
                                                 const member_id& hub, const member_id& self,
                                                 timestamp now, const pki::trust_store& trust);

}  // namespace saphan::connector
