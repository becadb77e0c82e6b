#include "connector/notification.hpp"

#include <array>

#include "pki/member_signature.hpp"

namespace saphan::connector {
namespace {

constexpr std::array<std::string_view, 6> notification_members = {
    "notificationId", "consentId", "event", "at", "logIndex", "consumer"};
constexpr std::array<std::string_view, 4> notified_events = {"granted", "rejected", "revoked",
                                                             "expired"};

bool is_consent_id(std::string_view id) {
  return !id.empty() && id.size() <= 128 &&
         id.find_first_not_of(
             "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-") ==
             std::string_view::npos;
}

error malformed(std::string_view rule) {
  return make_error(errc::malformed_body, "notification: " + std::string(rule));
}

result<consent_notification> read_notification(std::string_view body, const member_id& self) {
  auto doc = SAPHAN_TRY(parse_json(body, {max_notification_body, 2}));
  auto o = SAPHAN_TRY(json_object::of(doc, "notification", errc::malformed_body));
  if (find_unexpected_member(doc, notification_members, true))
    return malformed("unknown or repeated member");
  consent_notification n;
  auto id = SAPHAN_TRY(o.string("notificationId"));
  n.notification_id = std::move(id);
  auto consent = SAPHAN_TRY(o.string("consentId"));
  n.consent_id = std::move(consent);
  if (!is_consent_id(n.consent_id) || !is_consent_id(n.notification_id))
    return malformed("consentId and notificationId: 1..128 of A-Z a-z 0-9 . _ : -");
  auto event = SAPHAN_TRY(o.string("event"));
  if (std::find(notified_events.begin(), notified_events.end(), event) == notified_events.end())
    return malformed("event: granted, rejected, revoked or expired");
  n.event = std::move(event);
  auto at = SAPHAN_TRY(o.string("at"));
  auto when = parse_rfc3339(at);
  if (!when)
    return make_error(errc::invalid_timestamp, "notification.at: " + when.error().detail);
  n.at = *when;
  auto index = SAPHAN_TRY(o.integer("logIndex"));
  if (index < 0)
    return malformed("logIndex: must not be negative");
  n.log_index = static_cast<std::uint64_t>(index);
  auto consumer = SAPHAN_TRY(o.string("consumer"));
  auto member = parse_member_id(consumer);
  if (!member)
    return malformed("consumer: " + member.error().detail);
  if (*member != self) {
    return make_error(errc::unknown_member,
                      "notification.consumer: " + consumer + " is not this connector's member");
  }
  n.consumer = *member;
  return n;
}

}  // namespace

bool is_consent_target(std::string_view target) {
  auto path = target.substr(0, target.find('?'));
  return path == consents_local_path || path.rfind(std::string(consents_local_path) + "/", 0) == 0;
}

result<consent_target> parse_consent_target(std::string_view target) {
  auto path = target.substr(0, target.find('?'));
  if (path == consents_local_path)
    return consent_target{false, "/v1/consents"};
  if (path.rfind(std::string(consents_local_path) + "/", 0) != 0)
    return make_error(errc::not_found, "no such endpoint");
  auto id = path.substr(consents_local_path.size() + 1);
  if (!is_consent_id(id))
    return make_error(errc::not_found, "no such consent");
  return consent_target{true, "/v1/consents/" + std::string(id)};
}

result<consent_notification> verify_notification(std::string_view body, std::string_view signature,
                                                 const member_id& hub, const member_id& self,
                                                 timestamp now, const pki::trust_store& trust) {
  if (body.size() > max_notification_body)
    return make_error(errc::payload_too_large, "notification: at most 8 KiB");
  SAPHAN_TRY_VOID(pki::verify_member_signature(signature, body, hub, now, trust));
  return read_notification(body, self);
}

}  // namespace saphan::connector
