#include "hub/consent_documents.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "crypto/encoding.hpp"

namespace saphan::hub {
namespace {

using json_writer = rapidjson::Writer<rapidjson::StringBuffer>;

void key(json_writer& w, std::string_view name) {
  w.Key(name.data(), static_cast<rapidjson::SizeType>(name.size()));
}

void put(json_writer& w, std::string_view name, std::string_view value) {
  key(w, name);
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

void put_time(json_writer& w, std::string_view name, timestamp t) {
  put(w, name, format_rfc3339(t));
}

template <class Range, class Text>
void put_list(json_writer& w, std::string_view name, const Range& values, Text text) {
  key(w, name);
  w.StartArray();
  for (const auto& v : values) {
    const std::string s = text(v);
    w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  }
  w.EndArray();
}

void put_datasets(json_writer& w, std::string_view name, const consent_artefact& c) {
  put_list(w, name, c.datasets, [](const dataset_id& d) { return to_string(d); });
}

void put_fields(json_writer& w, std::string_view name, const consent_artefact& c) {
  put_list(w, name, c.fields, [](const std::string& f) { return f; });
}

void put_max_uses(json_writer& w, const consent_artefact& c) {
  key(w, "maxUses");
  if (c.max_uses)
    w.Uint(*c.max_uses);
  else
    w.Null();
}

std::string text_of(const rapidjson::StringBuffer& buffer) {
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace

std::string consent_view_json(const consent_artefact& c, std::string_view consumer_name,
                              timestamp now) {
  rapidjson::StringBuffer buffer;
  json_writer w(buffer);
  w.StartObject();
  put(w, "consentId", c.id.value);
  put(w, "consumer", to_string(c.consumer));
  put(w, "consumerName", consumer_name);
  put_datasets(w, "datasets", c);
  put(w, "purpose", c.purpose);
  put_fields(w, "fields", c);
  put(w, "reason", c.reason);
  put_time(w, "validFrom", c.valid_from);
  put_time(w, "validUntil", c.valid_until);
  put_max_uses(w, c);
  key(w, "uses");
  w.Uint(c.uses);
  put(w, "status", to_string(effective_status(c, now)));
  key(w, "events");
  w.StartArray();
  for (const auto& e : c.events) {
    w.StartObject();
    put(w, "type", to_string(e.type));
    put_time(w, "at", e.at);
    put(w, "actor", e.actor);
    w.EndObject();
  }
  w.EndArray();
  // The first event is the request (request_consent makes it; stored artefacts keep it).
  put_time(w, "requestedAt", c.events.empty() ? c.valid_from : c.events.front().at);
  w.EndObject();
  return text_of(buffer);
}

std::string receipt_payload(const consent_artefact& c, const receipt_terms& t) {
  rapidjson::StringBuffer buffer;
  json_writer w(buffer);
  w.StartObject();
  put(w, "schema", receipt_schema);
  put(w, "receiptId", t.receipt_id);
  put_time(w, "issuedAt", t.issued_at);
  put(w, "consentId", c.id.value);
  put(w, "piiPrincipalId", t.subject);
  put(w, "piiPrincipalIdType",
      t.subject_type == receipt_subject::citizen_id ? "citizen-id" : "pseudonym");
  put(w, "piiController", to_string(c.consumer));
  put(w, "piiControllerName", t.consumer_name);
  put_datasets(w, "datasets", c);
  put(w, "purpose", c.purpose);
  put_fields(w, "piiCategories", c);
  put_time(w, "validFrom", c.valid_from);
  put_time(w, "validUntil", c.valid_until);
  put_max_uses(w, c);
  put(w, "collectionMethod", c.collection_method);
  put(w, "event", to_string(t.event));
  put_time(w, "eventAt", t.event_at);
  key(w, "logIndex");
  w.Uint64(t.log_index);
  put(w, "log", t.log);
  w.EndObject();
  return text_of(buffer);
}

result<std::string> sign_receipt(const pki::member_signer& signer, std::string_view payload) {
  auto detached = SAPHAN_TRY(signer.sign(payload, {{"typ", std::string(receipt_type)}}));
  // "<header>..<signature>" -> "<header>.<payload>.<signature>": the same signature, since a
  // JWS signs the base64url payload either way (RFC 7515 Appendix F).
  const auto dot = detached.find("..");
  if (dot == std::string::npos)
    return make_error(errc::internal, "signer did not make a detached JWS");
  return detached.substr(0, dot + 1) + crypto::base64url_encode(payload) + detached.substr(dot + 1);
}

std::string notification_payload(std::string_view notification_id, const consent_artefact& c,
                                 consent_event_type event, timestamp at, std::uint64_t log_index) {
  rapidjson::StringBuffer buffer;
  json_writer w(buffer);
  w.StartObject();
  put(w, "notificationId", notification_id);
  put(w, "consentId", c.id.value);
  put(w, "event", to_string(event));
  put_time(w, "at", at);
  key(w, "logIndex");
  w.Uint64(log_index);
  put(w, "consumer", to_string(c.consumer));
  w.EndObject();
  return text_of(buffer);
}

std::chrono::milliseconds notification_backoff(std::uint32_t failed) {
  constexpr std::chrono::milliseconds first{1000};
  constexpr std::chrono::milliseconds most{60000};
  if (failed == 0)
    return std::chrono::milliseconds{0};
  // 1 s << 6 = 64 s is already past the cap: no shift beyond it can overflow.
  const std::chrono::milliseconds doubled =
      first * (std::int64_t{1} << std::min<std::uint32_t>(failed - 1, 6));
  return std::min(doubled, most);
}

bool is_notified(consent_event_type event) {
  return event == consent_event_type::granted || event == consent_event_type::rejected ||
         event == consent_event_type::revoked || event == consent_event_type::expired;
}

bool is_receipted(consent_event_type event) {
  return event == consent_event_type::granted || event == consent_event_type::rejected ||
         event == consent_event_type::revoked;
}

}  // namespace saphan::hub
