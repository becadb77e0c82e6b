// The JSON form of a consent artefact, with ISO/IEC TS 27560-inspired member names. Parsing is
// strict (unknown members are refused, every member validated with the same rules as
// request_consent) because this document is both the stored form and what citizens' tools send.
#include <array>
#include <limits>
#include <span>

#include "consent/consent.hpp"
#include "consent/consent_rules.hpp"

namespace saphan {
namespace {

using rapidjson::SizeType;
using rapidjson::Value;
using allocator = rapidjson::Document::AllocatorType;

// Bounded well above the largest valid artefact (64 datasets, 256 fields, 64 events).
constexpr json_limits consent_json_limits{256 * 1024, 4};

constexpr std::array<std::string_view, 14> artefact_members = {
    "consentId",        "piiPrincipalId", "piiController", "piiProviders", "purpose",
    "piiCategories",    "validFrom",      "validUntil",    "maxUses",      "uses",
    "collectionMethod", "status",         "eventHistory",  "reason"};
constexpr std::array<std::string_view, 3> event_members = {"event", "time", "actor"};

Value text(std::string_view s, allocator& alloc) {
  return Value(s.data(), static_cast<SizeType>(s.size()), alloc);
}

Value event_to_json(const consent_event& e, allocator& alloc) {
  Value out(rapidjson::kObjectType);
  out.AddMember("event", text(to_string(e.type), alloc), alloc);
  out.AddMember("time", text(format_rfc3339(e.at), alloc), alloc);
  out.AddMember("actor", text(e.actor, alloc), alloc);
  return out;
}

template <class T, class U>
result<void> assign_to(result<T> r, U& out) {
  if (!r)
    return std::move(r).error();
  out = std::move(*r);
  return ok();
}

// Refuses members this version does not know, so a misspelt "maxUse" cannot silently drop a limit.
result<void> check_known_members(const Value& object, std::span<const std::string_view> known,
                                 std::string_view where) {
  if (auto unknown = find_unexpected_member(object, known)) {
    return make_error(errc::invalid_argument, std::string(where) + ": unknown member '" +
                                                  std::string(unknown->name.substr(0, 64)) + "'");
  }
  return ok();
}

result<timestamp> read_time(const json_object& o, std::string_view name) {
  auto s = SAPHAN_TRY(o.string(name));
  auto t = parse_rfc3339(s);
  if (!t)
    return make_error(t.code(), o.where() + "." + std::string(name) + ": " + t.error().detail);
  return *t;
}

result<std::uint32_t> read_count(std::optional<std::int64_t> value, const json_object& o,
                                 std::string_view name) {
  if (!value || *value < 0 || *value > std::numeric_limits<std::uint32_t>::max()) {
    return o.fail(name, "must be an integer 0..4294967295");
  }
  return static_cast<std::uint32_t>(*value);
}

result<member_id> read_consumer(const json_object& o) {
  auto s = SAPHAN_TRY(o.string("piiController"));
  auto id = parse_member_id(s);
  if (!id)
    return make_error(id.code(), "consent.piiController: " + id.error().detail);
  return *id;
}

result<std::vector<dataset_id>> read_datasets(const json_object& o) {
  auto names = SAPHAN_TRY(o.strings("piiProviders"));
  if (names.size() > consent_rules::max_datasets) {
    return o.fail("piiProviders",
                  "at most " + std::to_string(consent_rules::max_datasets) + " datasets allowed");
  }
  std::vector<dataset_id> out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    auto id = parse_dataset_id(names[i]);
    if (!id) {
      return make_error(id.code(),
                        "consent.piiProviders[" + std::to_string(i) + "]: " + id.error().detail);
    }
    out.push_back(std::move(*id));
  }
  return out;
}

result<std::set<std::string>> read_fields(const json_object& o) {
  auto names = SAPHAN_TRY(o.strings("piiCategories"));
  std::set<std::string> out;
  for (auto& name : names) {
    if (!out.insert(std::move(name)).second)
      return o.fail("piiCategories", "duplicate field");
  }
  return out;
}

result<std::optional<std::uint32_t>> read_max_uses(const json_object& o) {
  auto value = SAPHAN_TRY(o.optional_integer("maxUses"));
  if (!value)
    return std::optional<std::uint32_t>{};
  auto count = SAPHAN_TRY(read_count(value, o, "maxUses"));
  return std::optional<std::uint32_t>{count};
}

result<std::uint32_t> read_uses(const json_object& o) {
  auto value = SAPHAN_TRY(o.integer("uses"));
  return read_count(value, o, "uses");
}

result<consent_status> read_status(const json_object& o) {
  auto s = SAPHAN_TRY(o.string("status"));
  auto status = parse_consent_status(s);
  if (!status)
    return make_error(status.code(), "consent." + status.error().detail);
  return *status;
}

result<consent_event> read_event(const Value& value, std::string where) {
  auto o = SAPHAN_TRY(json_object::of(value, where, errc::invalid_argument));
  SAPHAN_TRY_VOID(check_known_members(value, event_members, where));
  consent_event e;
  auto name = SAPHAN_TRY(o.string("event"));
  auto type = parse_consent_event_type(name);
  if (!type)
    return make_error(type.code(), where + "." + type.error().detail);
  e.type = *type;
  SAPHAN_TRY_VOID(assign_to(read_time(o, "time"), e.at));
  SAPHAN_TRY_VOID(assign_to(o.string("actor"), e.actor));
  auto actor_ok = consent_rules::validate_actor(e.actor);
  if (!actor_ok)
    return make_error(actor_ok.code(), where + "." + actor_ok.error().detail);
  return e;
}

result<std::vector<consent_event>> read_events(const json_object& o) {
  auto member = SAPHAN_TRY(o.member("eventHistory"));
  const Value& array = *member;
  if (!array.IsArray())
    return o.fail("eventHistory", "must be an array of events");
  if (array.Size() > consent_rules::max_events) {
    return o.fail("eventHistory",
                  "at most " + std::to_string(consent_rules::max_events) + " events allowed");
  }
  std::vector<consent_event> out;
  for (SizeType i = 0; i < array.Size(); ++i) {
    auto e = SAPHAN_TRY(read_event(array[i], "consent.eventHistory[" + std::to_string(i) + "]"));
    out.push_back(std::move(e));
  }
  return out;
}

result<void> read_terms(const json_object& o, consent_artefact& c) {
  SAPHAN_TRY_VOID(assign_to(o.string("piiPrincipalId"), c.subject));
  SAPHAN_TRY_VOID(assign_to(read_consumer(o), c.consumer));
  SAPHAN_TRY_VOID(assign_to(read_datasets(o), c.datasets));
  SAPHAN_TRY_VOID(assign_to(o.string("purpose"), c.purpose));
  SAPHAN_TRY_VOID(assign_to(read_fields(o), c.fields));
  SAPHAN_TRY_VOID(assign_to(read_time(o, "validFrom"), c.valid_from));
  SAPHAN_TRY_VOID(assign_to(read_time(o, "validUntil"), c.valid_until));
  SAPHAN_TRY_VOID(assign_to(read_max_uses(o), c.max_uses));
  SAPHAN_TRY_VOID(assign_to(o.string("collectionMethod"), c.collection_method));
  // Optional: documents stored before requests carried a reason have none.
  auto reason = SAPHAN_TRY(o.optional_string("reason"));
  c.reason = reason.value_or("");
  return ok();
}

consent_terms terms_of(const consent_artefact& c) {
  return consent_terms{c.subject,    c.consumer,    c.datasets, c.purpose,           c.fields,
                       c.valid_from, c.valid_until, c.max_uses, c.collection_method, c.reason};
}

// Rules the artefact must obey beyond its terms.
result<void> validate_artefact(const consent_artefact& c) {
  SAPHAN_TRY_VOID(consent_rules::validate_id(c.id));
  SAPHAN_TRY_VOID(consent_rules::validate_terms(terms_of(c)));
  if (c.max_uses && c.uses > *c.max_uses) {
    return make_error(errc::invalid_argument, "consent.uses: must not exceed maxUses");
  }
  return ok();
}

}  // namespace

std::string consent_to_json(const consent_artefact& c) {
  rapidjson::Document doc(rapidjson::kObjectType);
  auto& alloc = doc.GetAllocator();
  doc.AddMember("consentId", text(c.id.value, alloc), alloc);
  doc.AddMember("piiPrincipalId", text(c.subject, alloc), alloc);
  doc.AddMember("piiController", text(to_string(c.consumer), alloc), alloc);
  Value providers(rapidjson::kArrayType);
  for (const auto& d : c.datasets)
    providers.PushBack(text(to_string(d), alloc), alloc);
  doc.AddMember("piiProviders", providers, alloc);
  doc.AddMember("purpose", text(c.purpose, alloc), alloc);
  Value categories(rapidjson::kArrayType);
  for (const auto& f : c.fields)
    categories.PushBack(text(f, alloc), alloc);
  doc.AddMember("piiCategories", categories, alloc);
  doc.AddMember("validFrom", text(format_rfc3339(c.valid_from), alloc), alloc);
  doc.AddMember("validUntil", text(format_rfc3339(c.valid_until), alloc), alloc);
  if (c.max_uses)
    doc.AddMember("maxUses", Value(*c.max_uses), alloc);
  doc.AddMember("uses", Value(c.uses), alloc);
  doc.AddMember("collectionMethod", text(c.collection_method, alloc), alloc);
  doc.AddMember("status", text(to_string(c.status), alloc), alloc);
  Value events(rapidjson::kArrayType);
  for (const auto& e : c.events)
    events.PushBack(event_to_json(e, alloc), alloc);
  doc.AddMember("eventHistory", events, alloc);
  if (!c.reason.empty())
    doc.AddMember("reason", text(c.reason, alloc), alloc);
  return write_json(doc);
}

result<consent_artefact> consent_from_json(std::string_view text_in) {
  auto doc = SAPHAN_TRY(parse_json(text_in, consent_json_limits));
  auto o = SAPHAN_TRY(json_object::of(doc, "consent", errc::invalid_argument));
  SAPHAN_TRY_VOID(check_known_members(doc, artefact_members, "consent"));
  consent_artefact c;
  SAPHAN_TRY_VOID(assign_to(o.string("consentId"), c.id.value));
  SAPHAN_TRY_VOID(read_terms(o, c));
  SAPHAN_TRY_VOID(assign_to(read_uses(o), c.uses));
  SAPHAN_TRY_VOID(assign_to(read_status(o), c.status));
  SAPHAN_TRY_VOID(assign_to(read_events(o), c.events));
  SAPHAN_TRY_VOID(validate_artefact(c));
  return c;
}

}  // namespace saphan
