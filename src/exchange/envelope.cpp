#include "exchange/envelope.hpp"

#include <algorithm>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "core/citizen_id.hpp"
#include "exchange/case_reference.hpp"

namespace saphan {
namespace {

using json_writer = rapidjson::Writer<rapidjson::StringBuffer>;

void key(json_writer& w, std::string_view name) {
  w.Key(name.data(), static_cast<rapidjson::SizeType>(name.size()));
}
void string(json_writer& w, std::string_view value) {
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}
void member(json_writer& w, std::string_view name, std::string_view value) {
  key(w, name);
  string(w, value);
}
void string_array(json_writer& w, std::string_view name, const std::set<std::string>& values) {
  key(w, name);
  w.StartArray();
  for (const auto& v : values)
    string(w, v);
  w.EndArray();
}

// The protocol's messages have exactly their members: a key or anything else one party adds for
// another to trust is refused, not ignored.
result<void> refuse_unknown(const rapidjson::Value& object,
                            std::initializer_list<std::string_view> known) {
  if (auto bad = find_unexpected_member(object, known)) {
    return make_error(errc::malformed_body,
                      std::string(bad->name.substr(0, 64)) + ": not a member of this message");
  }
  return ok();
}

constexpr std::size_t max_fields = 256;

result<std::string> bounded_string(const json_object& obj, std::string_view name, std::size_t max,
                                   bool required) {
  auto v = SAPHAN_TRY(obj.optional_string(name));
  if (!v) {
    if (required)
      return obj.fail(name, "is required");
    return std::string{};
  }
  if (v->size() > max)
    return obj.fail(name, "longer than " + std::to_string(max));
  return std::move(*v);
}

// An optional officer or case reference (exchange/case_reference.hpp); absent: empty.
result<std::string> case_reference(const json_object& obj, std::string_view name) {
  auto value = SAPHAN_TRY(obj.optional_string(name));
  if (!value)
    return std::string{};
  SAPHAN_TRY_VOID(check_case_reference(name, *value));
  return std::move(*value);
}

result<rapidjson::Document> parse_object(std::string_view body, json_limits limits) {
  auto doc = parse_json(body, limits);
  if (!doc) {
    if (doc.error().code == errc::malformed_json) {
      return make_error(errc::malformed_body, doc.error().detail);
    }
    return std::move(doc).error();
  }
  if (!doc->IsObject())
    return make_error(errc::malformed_body, "body must be a JSON object");
  return doc;
}

}  // namespace

bool is_valid_request_id(std::string_view id) {
  if (id.size() < 8 || id.size() > 64)
    return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_';
    if (!ok)
      return false;
  }
  return true;
}

result<request_envelope> parse_request_envelope(std::string_view body, json_limits limits) {
  auto doc = SAPHAN_TRY(parse_object(body, limits));
  json_object obj(doc, "", errc::malformed_body);
  request_envelope r;

  auto id = SAPHAN_TRY(obj.string("requestId"));
  if (!is_valid_request_id(id))
    return obj.fail("requestId", "8..64 characters of A-Z a-z 0-9 - _");
  r.request_id = id;

  auto issued = SAPHAN_TRY(obj.string("issuedAt"));
  auto t = parse_rfc3339(issued);
  if (!t)
    return obj.fail("issuedAt", t.error().detail);
  r.issued_at = *t;

  auto consumer = SAPHAN_TRY(obj.string("consumer"));
  auto consumer_id = SAPHAN_TRY(parse_member_id(consumer));
  r.consumer = consumer_id;

  auto dataset = SAPHAN_TRY(obj.string("dataset"));
  auto dataset_id = SAPHAN_TRY(parse_dataset_id(dataset));
  r.dataset = dataset_id;

  auto purpose = SAPHAN_TRY(bounded_string(obj, "purpose", 64, true));
  r.purpose = purpose;

  auto basis_text = SAPHAN_TRY(obj.string("lawfulBasis"));
  auto basis = parse_lawful_basis(basis_text);
  if (!basis)
    return obj.fail("lawfulBasis", basis.error().detail);
  r.basis = *basis;

  auto consent = SAPHAN_TRY(bounded_string(obj, "consentId", 128, false));
  if (!consent.empty())
    r.consent_id = consent;
  auto instrument = SAPHAN_TRY(bounded_string(obj, "legalInstrument", 200, false));
  if (!instrument.empty())
    r.legal_instrument = instrument;

  auto subject = SAPHAN_TRY(obj.string("subject"));
  auto valid_subject = validate_thai_id(subject);
  if (!valid_subject)
    return make_error(errc::invalid_citizen_id, "subject: " + valid_subject.error().detail);
  r.subject = subject;

  auto fields = SAPHAN_TRY(read_field_set(obj, "fields"));
  r.fields = std::move(fields);

  auto reply = SAPHAN_TRY(obj.member("replyKey"));
  if (!reply->IsObject())
    return obj.fail("replyKey", "must be a JWK object");
  r.reply_key = write_json(*reply);

  // Both go into the evidence log: the hub and the provider hold them to the rule themselves,
  // whatever the consumer's connector checked.
  auto user = SAPHAN_TRY(case_reference(obj, "userId"));
  r.user_id = user;
  auto issue = SAPHAN_TRY(case_reference(obj, "issue"));
  r.issue = issue;
  return r;
}

std::string serialize(const request_envelope& r) {
  rapidjson::StringBuffer buffer;
  json_writer w(buffer);
  w.StartObject();
  member(w, "requestId", r.request_id);
  member(w, "issuedAt", format_rfc3339(r.issued_at));
  member(w, "consumer", to_string(r.consumer));
  member(w, "dataset", to_string(r.dataset));
  member(w, "purpose", r.purpose);
  member(w, "lawfulBasis", to_string(r.basis));
  if (r.consent_id)
    member(w, "consentId", *r.consent_id);
  if (r.legal_instrument)
    member(w, "legalInstrument", *r.legal_instrument);
  member(w, "subject", r.subject);
  string_array(w, "fields", r.fields);
  key(w, "replyKey");
  w.RawValue(r.reply_key.data(), r.reply_key.size(), rapidjson::kObjectType);
  if (!r.user_id.empty())
    member(w, "userId", r.user_id);
  if (!r.issue.empty())
    member(w, "issue", r.issue);
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

result<forwarded_request> parse_forwarded_request(std::string_view body, json_limits limits) {
  auto doc = SAPHAN_TRY(parse_object(body, limits));
  SAPHAN_TRY_VOID(refuse_unknown(doc, {"request", "consumerSignature", "grant"}));
  json_object obj(doc, "", errc::malformed_body);
  forwarded_request f;
  auto request = SAPHAN_TRY(obj.string("request"));
  f.request = std::move(request);
  auto sig = SAPHAN_TRY(obj.string("consumerSignature"));
  f.consumer_signature = std::move(sig);

  auto grant_value = SAPHAN_TRY(obj.member("grant"));
  auto grant = SAPHAN_TRY(json_object::of(*grant_value, "grant", errc::malformed_body));
  auto rid = SAPHAN_TRY(grant.string("requestId"));
  f.grant.request_id = rid;
  auto hash = SAPHAN_TRY(grant.string("requestHash"));
  f.grant.request_hash = hash;
  auto fields = SAPHAN_TRY(read_field_set(grant, "fields"));
  f.grant.fields = std::move(fields);
  auto pseudo = SAPHAN_TRY(grant.boolean("pseudonymiseSubject", false));
  f.grant.pseudonymise_subject = pseudo;
  auto purpose = SAPHAN_TRY(grant.string("purpose"));
  f.grant.purpose = purpose;
  auto index = SAPHAN_TRY(grant.integer("logIndex"));
  f.grant.log_index = index;
  auto at = SAPHAN_TRY(grant.string("grantedAt"));
  auto t = parse_rfc3339(at);
  if (!t)
    return grant.fail("grantedAt", t.error().detail);
  f.grant.granted_at = *t;
  return f;
}

std::string serialize(const forwarded_request& f) {
  rapidjson::StringBuffer buffer;
  json_writer w(buffer);
  w.StartObject();
  member(w, "request", f.request);
  member(w, "consumerSignature", f.consumer_signature);
  key(w, "grant");
  w.StartObject();
  member(w, "requestId", f.grant.request_id);
  member(w, "requestHash", f.grant.request_hash);
  string_array(w, "fields", f.grant.fields);
  key(w, "pseudonymiseSubject");
  w.Bool(f.grant.pseudonymise_subject);
  member(w, "purpose", f.grant.purpose);
  key(w, "logIndex");
  w.Int64(f.grant.log_index);
  member(w, "grantedAt", format_rfc3339(f.grant.granted_at));
  w.EndObject();
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

result<provider_response> parse_provider_response(std::string_view body, json_limits limits) {
  auto doc = SAPHAN_TRY(parse_object(body, limits));
  json_object obj(doc, "", errc::malformed_body);
  provider_response p;
  auto rid = SAPHAN_TRY(obj.string("requestId"));
  p.request_id = rid;
  auto hash = SAPHAN_TRY(obj.string("requestHash"));
  p.request_hash = hash;
  auto ct = SAPHAN_TRY(obj.string("ciphertext"));
  p.ciphertext = std::move(ct);
  return p;
}

std::string serialize(const provider_response& p) {
  rapidjson::StringBuffer buffer;
  json_writer w(buffer);
  w.StartObject();
  member(w, "requestId", p.request_id);
  member(w, "requestHash", p.request_hash);
  member(w, "ciphertext", p.ciphertext);
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

result<hub_response> parse_hub_response(std::string_view body, json_limits limits) {
  auto doc = SAPHAN_TRY(parse_object(body, limits));
  SAPHAN_TRY_VOID(
      refuse_unknown(doc, {"requestId", "providerBody", "providerSignature", "evidence"}));
  json_object obj(doc, "", errc::malformed_body);
  hub_response h;
  auto rid = SAPHAN_TRY(obj.string("requestId"));
  h.request_id = rid;
  auto pbody = SAPHAN_TRY(obj.string("providerBody"));
  h.provider_body = std::move(pbody);
  auto psig = SAPHAN_TRY(obj.string("providerSignature"));
  h.provider_signature = psig;

  auto ev_value = SAPHAN_TRY(obj.member("evidence"));
  auto ev = SAPHAN_TRY(json_object::of(*ev_value, "evidence", errc::malformed_body));
  auto di = SAPHAN_TRY(ev.integer("decisionIndex"));
  h.evidence.decision_index = di;
  auto oi = SAPHAN_TRY(ev.integer("outcomeIndex"));
  h.evidence.outcome_index = oi;
  auto rh = SAPHAN_TRY(ev.string("requestHash"));
  h.evidence.request_hash = rh;
  auto ch = SAPHAN_TRY(ev.string("ciphertextHash"));
  h.evidence.ciphertext_hash = ch;
  auto fields = SAPHAN_TRY(read_field_set(ev, "grantedFields"));
  h.evidence.granted_fields = std::move(fields);
  auto pseudo = SAPHAN_TRY(ev.boolean("pseudonymised", false));
  h.evidence.pseudonymised = pseudo;
  return h;
}

std::string serialize(const hub_response& h) {
  rapidjson::StringBuffer buffer;
  json_writer w(buffer);
  w.StartObject();
  member(w, "requestId", h.request_id);
  member(w, "providerBody", h.provider_body);
  member(w, "providerSignature", h.provider_signature);
  key(w, "evidence");
  w.StartObject();
  key(w, "decisionIndex");
  w.Int64(h.evidence.decision_index);
  key(w, "outcomeIndex");
  w.Int64(h.evidence.outcome_index);
  member(w, "requestHash", h.evidence.request_hash);
  member(w, "ciphertextHash", h.evidence.ciphertext_hash);
  string_array(w, "grantedFields", h.evidence.granted_fields);
  key(w, "pseudonymised");
  w.Bool(h.evidence.pseudonymised);
  w.EndObject();
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

jwe_binding binding_for(const request_envelope& r) {
  return {r.request_id, to_string(r.consumer), to_string(r.dataset.owner), to_string(r.dataset)};
}

bool is_field_name(std::string_view text) noexcept {
  if (text.empty() || text.size() > max_field_name_length)
    return false;
  const auto letter = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); };
  const auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (!letter(text.front()))
    return false;
  return std::all_of(text.begin(), text.end(),
                     [&](char c) { return letter(c) || digit(c) || c == '_'; });
}

result<std::set<std::string>> read_field_set(const json_object& obj, std::string_view name) {
  auto list = SAPHAN_TRY(obj.optional_strings(name));
  if (list.size() > max_fields)
    return obj.fail(name, "at most 256 fields");
  std::set<std::string> out;
  for (auto& f : list) {
    if (!is_field_name(f)) {
      return obj.fail(name, "field names match ^[A-Za-z][A-Za-z0-9_]{0,63}$");
    }
    if (!out.insert(std::move(f)).second)
      return obj.fail(name, "fields must be unique");
  }
  return out;
}

}  // namespace saphan
