#include "hub/consent_api.hpp"

#include <algorithm>
#include <map>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "catalog/dataset.hpp"
#include "consent/consent_request.hpp"
#include "core/citizen_id.hpp"
#include "crypto/keys.hpp"

namespace saphan::hub {
namespace {

using json_writer = rapidjson::Writer<rapidjson::StringBuffer>;

constexpr std::string_view consents_path = "/v1/consents";
constexpr std::string_view consents_suffix = "/consents";
constexpr std::string_view export_suffix = "/export";
constexpr std::string_view receipts_suffix = "/receipts";
constexpr std::size_t max_consents_per_citizen = 1000;
constexpr std::size_t default_consent_page = 50;
constexpr std::size_t max_consent_page = 100;
constexpr std::size_t max_export_pages = 10;  // of 1000 accesses each
constexpr std::size_t max_decision_bytes = 1024;

error no_such_consent(std::string_view id) {
  return make_error(errc::not_found, "consent " + std::string(id.substr(0, 128)) + " not found");
}

void key(json_writer& w, std::string_view name) {
  w.Key(name.data(), static_cast<rapidjson::SizeType>(name.size()));
}

void put(json_writer& w, std::string_view name, std::string_view value) {
  key(w, name);
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

void put_raw(json_writer& w, std::string_view name, std::string_view json, rapidjson::Type type) {
  key(w, name);
  w.RawValue(json.data(), json.size(), type);
}

std::string text_of(const rapidjson::StringBuffer& b) {
  return std::string(b.GetString(), b.GetSize());
}

bool in_group(const member_record& m, std::string_view group) {
  return std::find(m.groups.begin(), m.groups.end(), group) != m.groups.end();
}

// The path split into its parts after "/v1/citizen/": citizen id, then the rest.
struct citizen_path {
  std::string_view citizen;
  std::string_view rest;  // "/consents", "/consents/<id>", "/consents/<id>/receipts", "/export"
};

std::optional<citizen_path> split_citizen(std::string_view path) {
  if (path.rfind(citizen_path_prefix, 0) != 0)
    return std::nullopt;
  auto tail = path.substr(citizen_path_prefix.size());
  auto slash = tail.find('/');
  if (slash == std::string_view::npos)
    return std::nullopt;
  return citizen_path{tail.substr(0, slash), tail.substr(slash)};
}

// Names of members, read once per answer.
class member_names {
 public:
  explicit member_names(store& db) : db_(db) {}
  std::string of(const member_id& id) {
    auto text = to_string(id);
    if (auto hit = names_.find(text); hit != names_.end())
      return hit->second;
    auto m = db_.find_member(id);
    auto name = m ? m->name : text;
    names_.emplace(text, name);
    return name;
  }

 private:
  store& db_;
  std::map<std::string, std::string> names_;
};

result<consent_id> consent_id_of(std::string_view text) {
  consent_id id{std::string(text)};
  if (text.empty() || text.size() > 128 ||
      text.find_first_not_of(
          "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-") !=
          std::string_view::npos) {
    return no_such_consent(text);  // cannot exist: the same answer as an unknown one
  }
  return id;
}

result<consent_answer> request(const consent_api_context& c, std::string_view body,
                               const member_record& caller, timestamp now) {
  auto terms = SAPHAN_TRY(parse_consent_request(body, caller.id, now));
  SAPHAN_TRY_VOID(check_consent_against_catalog(c.db, terms));
  auto artefact = SAPHAN_TRY(
      request_consent(consent_id{"cns-" + crypto::random_id()}, terms, now, to_string(caller.id)));
  auto done =
      SAPHAN_TRY(record_consent_change(c.db, c.ledger, artefact, std::nullopt, to_string(caller.id),
                                       caller.name, receipt_subject::pseudonym, now));
  rapidjson::StringBuffer buffer;
  json_writer w(buffer);
  w.StartObject();
  put(w, "consentId", artefact.id.value);
  put(w, "status", to_string(artefact.status));
  key(w, "logIndex");
  w.Uint64(done.log_index);
  w.EndObject();
  return consent_answer{201, text_of(buffer)};
}

result<consent_answer> consumer_read(const consent_api_context& c, std::string_view id_text,
                                     const member_record& caller, timestamp now) {
  auto id = SAPHAN_TRY(consent_id_of(id_text));
  auto found = c.db.find_consent(id);
  if (!found && found.code() != errc::consent_not_found)
    return std::move(found).error();
  if (!found || found->consumer != caller.id)
    return no_such_consent(id_text);
  return consent_answer{200, consent_view_json(*found, caller.name, now)};
}

// The citizen's consents, newest request first (ties by id), bounded by what one citizen has.
result<std::vector<consent_artefact>> consents_of(store& db, std::string_view citizen) {
  consent_filter f;
  f.subject = std::string(citizen);
  f.limit = max_consents_per_citizen;
  auto list = SAPHAN_TRY(db.list_consents(f));
  auto requested_at = [](const consent_artefact& a) {
    return a.events.empty() ? a.valid_from : a.events.front().at;
  };
  std::sort(list.begin(), list.end(), [&](const consent_artefact& a, const consent_artefact& b) {
    if (requested_at(a) != requested_at(b))
      return requested_at(a) > requested_at(b);
    return a.id.value > b.id.value;
  });
  return list;
}

result<std::size_t> page_limit(const api_target& t) {
  auto it = t.params.find("limit");
  if (it == t.params.end())
    return default_consent_page;
  const auto& text = it->second;
  if (text.empty() || text.size() > 3 || text.find_first_not_of("0123456789") != std::string::npos)
    return make_error(errc::invalid_argument, "limit: 1..100");
  auto n = static_cast<std::size_t>(std::stoul(text));
  if (n == 0 || n > max_consent_page)
    return make_error(errc::invalid_argument, "limit: 1..100");
  return n;
}

result<consent_answer> citizen_list(const consent_api_context& c, const api_target& t,
                                    std::string_view citizen, timestamp now) {
  for (const auto& [name, value] : t.params) {
    if (name != "status" && name != "before" && name != "limit")
      return make_error(errc::invalid_argument, "unknown parameter " + name.substr(0, 64));
  }
  std::optional<consent_status> wanted;
  if (auto s = t.params.find("status"); s != t.params.end()) {
    auto status = SAPHAN_TRY(parse_consent_status(s->second));
    wanted = status;
  }
  auto limit = SAPHAN_TRY(page_limit(t));
  auto list = SAPHAN_TRY(consents_of(c.db, citizen));
  auto start = list.begin();
  if (auto before = t.params.find("before"); before != t.params.end()) {
    start = std::find_if(list.begin(), list.end(),
                         [&](const consent_artefact& a) { return a.id.value == before->second; });
    if (start == list.end())
      return make_error(errc::invalid_argument, "before: not a consent of this citizen");
    ++start;
  }
  member_names names(c.db);
  rapidjson::StringBuffer buffer;
  json_writer w(buffer);
  w.StartObject();
  key(w, "consents");
  w.StartArray();
  std::size_t shown = 0;
  std::optional<std::string> next;
  for (auto it = start; it != list.end(); ++it) {
    if (wanted && effective_status(*it, now) != *wanted)
      continue;
    if (shown == limit) {
      next = std::prev(it)->id.value;
      break;
    }
    auto view = consent_view_json(*it, names.of(it->consumer), now);
    w.RawValue(view.data(), view.size(), rapidjson::kObjectType);
    ++shown;
  }
  w.EndArray();
  if (next)
    put(w, "next", *next);
  w.EndObject();
  return consent_answer{200, text_of(buffer)};
}

// The consent `id_text` when it is this citizen's; otherwise not_found.
result<consent_artefact> citizens_consent(store& db, std::string_view citizen,
                                          std::string_view id_text) {
  auto id = SAPHAN_TRY(consent_id_of(id_text));
  auto found = db.find_consent(id);
  if (!found && found.code() != errc::consent_not_found)
    return std::move(found).error();
  if (!found || found->subject != citizen)
    return no_such_consent(id_text);
  return std::move(*found);
}

result<consent_artefact> apply(citizen_action action, const consent_artefact& c, timestamp now,
                               std::string actor) {
  switch (action) {
    case citizen_action::approve:
      return grant(c, now, std::move(actor));
    case citizen_action::reject:
      return reject(c, now, std::move(actor));
    case citizen_action::withdraw:
      return revoke(c, now, std::move(actor));
  }
  return make_error(errc::internal, "unknown action");
}

result<consent_answer> citizen_decide(const consent_api_context& c, std::string_view citizen,
                                      std::string_view id_text, std::string_view body,
                                      const member_record& caller, timestamp now) {
  auto decision = SAPHAN_TRY(parse_citizen_decision(body));
  auto current = SAPHAN_TRY(citizens_consent(c.db, citizen, id_text));
  // The actor names the portal the citizen acted through, never the citizen id itself.
  const auto actor = "citizen via " + to_string(caller.id);
  auto next = SAPHAN_TRY(apply(decision.action, current, now, actor));
  member_names names(c.db);
  const auto consumer_name = names.of(next.consumer);
  auto done = SAPHAN_TRY(record_consent_change(c.db, c.ledger, next, current.status, actor,
                                               consumer_name, decision.subject, now));
  rapidjson::StringBuffer buffer;
  json_writer w(buffer);
  w.StartObject();
  put_raw(w, "consent", consent_view_json(next, consumer_name, now), rapidjson::kObjectType);
  put(w, "receipt", done.receipt);
  key(w, "logIndex");
  w.Uint64(done.log_index);
  w.EndObject();
  return consent_answer{200, text_of(buffer)};
}

void put_receipts(json_writer& w, const std::vector<consent_receipt_record>& receipts,
                  bool with_consent) {
  for (const auto& r : receipts) {
    w.StartObject();
    if (with_consent)
      put(w, "consentId", r.consent.value);
    put(w, "event", r.event);
    put(w, "at", format_rfc3339(r.at));
    key(w, "logIndex");
    w.Uint64(r.log_index);
    put(w, "jws", r.jws);
    w.EndObject();
  }
}

result<consent_answer> citizen_receipts(const consent_api_context& c, std::string_view citizen,
                                        std::string_view id_text) {
  auto consent = SAPHAN_TRY(citizens_consent(c.db, citizen, id_text));
  auto receipts = SAPHAN_TRY(c.db.list_consent_receipts(consent.id));
  rapidjson::StringBuffer buffer;
  json_writer w(buffer);
  w.StartObject();
  key(w, "receipts");
  w.StartArray();
  put_receipts(w, receipts, false);
  w.EndArray();
  w.EndObject();
  return consent_answer{200, text_of(buffer)};
}

// Every access of the citizen view, page after page (bounded), appended to `w`'s open array.
result<void> put_accesses(const consent_api_context& c, json_writer& w, std::string_view citizen,
                          const member_record& caller, timestamp now) {
  std::optional<std::string> before;
  for (std::size_t page = 0; page < max_export_pages; ++page) {
    api_target t{std::string(citizen_path_prefix) + std::string(citizen) + "/accesses",
                 {{"limit", "1000"}}};
    if (before)
      t.params["before"] = *before;
    auto text = SAPHAN_TRY(answer_log_api(c.log, false, t, caller, now));
    auto doc = SAPHAN_TRY(parse_json(text, {16u << 20, 64}));
    auto accesses = doc.FindMember("accesses");
    if (accesses == doc.MemberEnd() || !accesses->value.IsArray())
      return make_error(errc::internal, "accesses view without accesses");
    for (const auto& a : accesses->value.GetArray())
      a.Accept(w);
    auto next = doc.FindMember("before");
    if (next == doc.MemberEnd() || !next->value.IsUint64())
      return ok();
    before = std::to_string(next->value.GetUint64());
  }
  return make_error(errc::search_too_broad,
                    "export: more accesses than " + std::to_string(max_export_pages * 1000));
}

result<consent_answer> citizen_export(const consent_api_context& c, std::string_view citizen,
                                      const member_record& caller, timestamp now) {
  auto list = SAPHAN_TRY(consents_of(c.db, citizen));
  member_names names(c.db);
  rapidjson::StringBuffer buffer;
  json_writer w(buffer);
  w.StartObject();
  put(w, "format", "saphan-pdpa-export/1");
  put(w, "generatedAt", format_rfc3339(now));
  key(w, "subject");
  w.StartObject();
  put(w, "pseudonym", crypto::subject_pseudonym(c.ledger.pseudonym_key, citizen));
  w.EndObject();
  key(w, "accesses");
  w.StartArray();
  SAPHAN_TRY_VOID(put_accesses(c, w, citizen, caller, now));
  w.EndArray();
  key(w, "consents");
  w.StartArray();
  for (const auto& consent : list) {
    auto view = consent_view_json(consent, names.of(consent.consumer), now);
    w.RawValue(view.data(), view.size(), rapidjson::kObjectType);
  }
  w.EndArray();
  key(w, "receipts");
  w.StartArray();
  for (const auto& consent : list) {
    auto receipts = SAPHAN_TRY(c.db.list_consent_receipts(consent.id));
    put_receipts(w, receipts, true);
  }
  w.EndArray();
  w.EndObject();
  return consent_answer{200, text_of(buffer)};
}

error wrong_method(bool post_wanted) {
  return make_error(errc::method_not_allowed, post_wanted ? "use POST" : "use GET");
}

result<consent_answer> citizen_api(const consent_api_context& c, bool post, const api_target& t,
                                   std::string_view body, const member_record& caller,
                                   timestamp now) {
  auto parts = split_citizen(t.path);
  if (!parts)
    return make_error(errc::not_found, "no such endpoint");
  if (!in_group(caller, "citizen-portal"))
    return make_error(errc::forbidden, "the citizen's consents need the citizen-portal group");
  SAPHAN_TRY_VOID(validate_thai_id(parts->citizen));
  const auto citizen = parts->citizen;
  auto rest = parts->rest;
  if (rest == export_suffix) {
    if (post)
      return wrong_method(false);
    return citizen_export(c, citizen, caller, now);
  }
  if (rest == consents_suffix) {
    if (post)
      return wrong_method(false);
    return citizen_list(c, t, citizen, now);
  }
  if (rest.rfind(std::string(consents_suffix) + "/", 0) != 0)
    return make_error(errc::not_found, "no such endpoint");
  auto id = rest.substr(consents_suffix.size() + 1);
  if (id.size() > receipts_suffix.size() &&
      id.substr(id.size() - receipts_suffix.size()) == receipts_suffix) {
    if (post)
      return wrong_method(false);
    return citizen_receipts(c, citizen, id.substr(0, id.size() - receipts_suffix.size()));
  }
  if (!post)
    return wrong_method(true);
  return citizen_decide(c, citizen, id, body, caller, now);
}

}  // namespace

result<void> check_consent_against_catalog(store& db, const consent_terms& terms) {
  std::set<std::string> known;
  for (const auto& id : terms.datasets) {
    auto entry = SAPHAN_TRY(db.find_dataset(id));
    auto fields = SAPHAN_TRY(schema_fields(entry.schema));
    known.insert(fields.begin(), fields.end());
  }
  for (const auto& f : terms.fields) {
    if (known.count(f) == 0) {
      return make_error(errc::invalid_argument,
                        "consent.fields: " + f.substr(0, 64) + " is in none of the datasets");
    }
  }
  return ok();
}

bool is_consent_api_path(std::string_view path) {
  if (path == consents_path || path.rfind(std::string(consents_path) + "/", 0) == 0)
    return true;
  auto parts = split_citizen(path);
  return parts && (parts->rest == export_suffix || parts->rest.rfind(consents_suffix, 0) == 0);
}

result<citizen_decision> parse_citizen_decision(std::string_view body) {
  if (body.size() > max_decision_bytes)
    return make_error(errc::payload_too_large, "decision: at most 1024 bytes");
  auto doc = SAPHAN_TRY(parse_json(body, {max_decision_bytes, 2}));
  auto o = SAPHAN_TRY(json_object::of(doc, "decision", errc::malformed_body));
  if (auto unknown = find_unexpected_member(doc, {"action", "receiptSubject"})) {
    return make_error(errc::malformed_body,
                      "decision." + std::string(unknown->name.substr(0, 64)) + ": unknown member");
  }
  citizen_decision d;
  auto action = SAPHAN_TRY(o.string("action"));
  if (action == "approve")
    d.action = citizen_action::approve;
  else if (action == "reject")
    d.action = citizen_action::reject;
  else if (action == "withdraw")
    d.action = citizen_action::withdraw;
  else
    return make_error(errc::malformed_body, "decision.action: approve, reject or withdraw");
  auto subject = SAPHAN_TRY(o.optional_string("receiptSubject"));
  if (subject && *subject == "id")
    d.subject = receipt_subject::citizen_id;
  else if (subject && *subject != "pseudonym")
    return make_error(errc::malformed_body, "decision.receiptSubject: pseudonym or id");
  return d;
}

result<consent_answer> answer_consent_api(const consent_api_context& c, bool post,
                                          const api_target& t, std::string_view body,
                                          const member_record& caller, timestamp now) {
  const bool consumer_path =
      t.path == consents_path || t.path.rfind(std::string(consents_path) + "/", 0) == 0;
  // The portal speaks for citizens, never as a consumer: it acts only through the citizen path.
  if (consumer_path && in_group(caller, "citizen-portal"))
    return make_error(errc::forbidden, "a citizen-portal member acts only on /v1/citizen/");
  if (t.path == consents_path) {
    if (!post)
      return wrong_method(true);
    return request(c, body, caller, now);
  }
  if (t.path.rfind(std::string(consents_path) + "/", 0) == 0) {
    if (post)
      return wrong_method(false);
    return consumer_read(c, std::string_view(t.path).substr(consents_path.size() + 1), caller, now);
  }
  return citizen_api(c, post, t, body, caller, now);
}

}  // namespace saphan::hub
