#include "policy/policy.hpp"

#include <array>
#include <initializer_list>

#include "directory/member.hpp"

namespace saphan {
namespace {

// Bounds on a policy document. Real policies are a handful of grants; these only reject
// hostile or runaway input before it costs memory or decision time.
constexpr std::size_t max_grants = 256;
constexpr std::size_t max_consumers = 256;
constexpr std::size_t max_purposes = 256;
constexpr std::size_t max_fields = 256;
constexpr std::size_t max_field_bytes = 128;
constexpr std::size_t max_bases = 16;
constexpr std::size_t max_instruments = 64;
constexpr std::size_t max_instrument_bytes = 512;
constexpr std::int64_t max_rate_requests = 1'000'000'000;
constexpr std::int64_t max_window_seconds = 86'400;
constexpr std::string_view group_prefix = "group:";

std::string indexed(std::string_view name, std::size_t i) {
  return std::string(name) + "[" + std::to_string(i) + "]";
}

// Unknown members are rejected rather than ignored: a misspelt "pseudonymiseSubject" would
// otherwise silently turn pseudonymisation off.
result<void> reject_unknown(const rapidjson::Value& value, const json_object& obj,
                            std::initializer_list<std::string_view> known) {
  if (auto unknown = find_unexpected_member(value, known))
    return obj.fail(unknown->name.substr(0, 64), "unknown member");
  return ok();
}

struct list_bounds {
  std::size_t max_items;
  std::size_t max_item_bytes;
  bool required = true;  // required lists must be present and non-empty
};

// A list of non-empty strings within bounds; sizes are checked before anything is copied.
result<std::vector<std::string>> read_list(const json_object& obj, std::string_view name,
                                           list_bounds bounds) {
  const auto* v = obj.find(name);
  if (v == nullptr) {
    if (bounds.required)
      return obj.fail(name, "is required");
    return std::vector<std::string>{};
  }
  if (!v->IsArray())
    return obj.fail(name, "must be an array of strings");
  if (bounds.required && v->Empty())
    return obj.fail(name, "must not be empty");
  if (v->Size() > bounds.max_items) {
    return obj.fail(name, "at most " + std::to_string(bounds.max_items) + " entries");
  }
  std::vector<std::string> out;
  out.reserve(v->Size());
  for (rapidjson::SizeType i = 0; i < v->Size(); ++i) {
    const auto& item = (*v)[i];
    if (!item.IsString())
      return obj.fail(indexed(name, i), "must be a string");
    if (item.GetStringLength() == 0)
      return obj.fail(indexed(name, i), "must not be empty");
    if (item.GetStringLength() > bounds.max_item_bytes) {
      return obj.fail(indexed(name, i),
                      "at most " + std::to_string(bounds.max_item_bytes) + " bytes");
    }
    out.emplace_back(item.GetString(), item.GetStringLength());
  }
  return out;
}

bool is_consumer_reference(std::string_view text) {
  if (text.starts_with(group_prefix))
    return is_group_name(text.substr(group_prefix.size()));
  return parse_member_id(text).has_value();
}

result<std::set<lawful_basis>> read_bases(const json_object& obj) {
  auto names = SAPHAN_TRY(read_list(obj, "lawfulBases", {max_bases, 64}));
  std::set<lawful_basis> bases;
  for (std::size_t i = 0; i < names.size(); ++i) {
    auto basis = parse_lawful_basis(names[i]);
    if (!basis)
      return obj.fail(indexed("lawfulBases", i), basis.error().detail);
    bases.insert(*basis);
  }
  return bases;
}

result<purpose_rule> read_purpose(const rapidjson::Value& value, std::string where) {
  auto obj = SAPHAN_TRY(json_object::of(value, std::move(where), errc::invalid_policy));
  SAPHAN_TRY_VOID(reject_unknown(
      value, obj, {"purpose", "fields", "lawfulBases", "legalInstruments", "pseudonymiseSubject"}));
  purpose_rule rule;
  auto code = SAPHAN_TRY(obj.string("purpose"));
  if (!is_purpose_code(code))
    return obj.fail("purpose", "must match ^[a-z0-9][a-z0-9-]{0,63}$");
  rule.purpose = std::move(code);

  auto fields = SAPHAN_TRY(read_list(obj, "fields", {max_fields, max_field_bytes}));
  rule.fields.insert(fields.begin(), fields.end());

  auto bases = SAPHAN_TRY(read_bases(obj));
  rule.bases = std::move(bases);

  auto instruments = SAPHAN_TRY(read_list(
      obj, "legalInstruments", {max_instruments, max_instrument_bytes, /*required=*/false}));
  rule.legal_instruments.insert(instruments.begin(), instruments.end());
  // A non-consent basis rests on a named law; without one the basis is an unchecked label.
  bool needs_instrument = rule.bases.size() > rule.bases.count(lawful_basis::consent);
  if (needs_instrument && rule.legal_instruments.empty()) {
    return obj.fail("legalInstruments",
                    "at least one is required when lawfulBases include a basis other than "
                    "consent");
  }

  auto pseudonymise = SAPHAN_TRY(obj.boolean("pseudonymiseSubject", false));
  rule.pseudonymise_subject = pseudonymise;
  return rule;
}

result<rate_limit> read_rate(const json_object& grant) {
  const auto* v = grant.find("rateLimit");
  if (v == nullptr)
    return rate_limit{};
  auto obj = SAPHAN_TRY(json_object::of(*v, grant.where() + ".rateLimit", errc::invalid_policy));
  SAPHAN_TRY_VOID(reject_unknown(*v, obj, {"requests", "windowSeconds"}));
  auto requests = SAPHAN_TRY(obj.integer("requests"));
  if (requests < 0 || requests > max_rate_requests) {
    return obj.fail("requests", "must be 0 (unlimited) .. " + std::to_string(max_rate_requests));
  }
  auto window = SAPHAN_TRY(obj.integer("windowSeconds"));
  if (window < 1 || window > max_window_seconds) {
    return obj.fail("windowSeconds", "must be 1..86400");
  }
  return rate_limit{static_cast<std::uint32_t>(requests), static_cast<std::uint32_t>(window)};
}

result<std::vector<std::string>> read_consumers(const json_object& grant) {
  auto consumers = SAPHAN_TRY(read_list(grant, "consumers", {max_consumers, 512}));
  for (std::size_t i = 0; i < consumers.size(); ++i) {
    if (!is_consumer_reference(consumers[i])) {
      return grant.fail(indexed("consumers", i),
                        "must be a member id INSTANCE/CLASS/CODE/SUBSYSTEM or group:<name> "
                        "with name [a-z0-9-]{1,64}");
    }
  }
  return consumers;
}

result<std::vector<purpose_rule>> read_purposes(const json_object& grant) {
  const auto* v = grant.find("purposes");
  if (v == nullptr)
    return grant.fail("purposes", "is required");
  if (!v->IsArray())
    return grant.fail("purposes", "must be an array of objects");
  if (v->Empty())
    return grant.fail("purposes", "must not be empty");
  if (v->Size() > max_purposes) {
    return grant.fail("purposes", "at most " + std::to_string(max_purposes) + " entries");
  }
  std::vector<purpose_rule> rules;
  std::set<std::string> seen;
  for (rapidjson::SizeType i = 0; i < v->Size(); ++i) {
    auto rule = SAPHAN_TRY(read_purpose((*v)[i], grant.where() + "." + indexed("purposes", i)));
    // Two rules for one purpose in a grant would make the decision depend on their order.
    if (!seen.insert(rule.purpose).second) {
      return grant.fail(indexed("purposes", i) + ".purpose", "duplicate purpose in this grant");
    }
    rules.push_back(std::move(rule));
  }
  return rules;
}

result<access_grant> read_grant(const rapidjson::Value& value, std::string where) {
  auto obj = SAPHAN_TRY(json_object::of(value, std::move(where), errc::invalid_policy));
  SAPHAN_TRY_VOID(reject_unknown(value, obj, {"consumers", "rateLimit", "purposes"}));
  access_grant grant;
  auto consumers = SAPHAN_TRY(read_consumers(obj));
  grant.consumers = std::move(consumers);
  auto rate = SAPHAN_TRY(read_rate(obj));
  grant.rate = rate;
  auto purposes = SAPHAN_TRY(read_purposes(obj));
  grant.purposes = std::move(purposes);
  return grant;
}

rapidjson::Value string_array(const auto& items, rapidjson::Document::AllocatorType& alloc) {
  rapidjson::Value out(rapidjson::kArrayType);
  for (const auto& item : items)
    out.PushBack(rapidjson::Value(std::string(item), alloc), alloc);
  return out;
}

rapidjson::Value purpose_to_json(const purpose_rule& rule,
                                 rapidjson::Document::AllocatorType& alloc) {
  std::vector<std::string_view> bases;
  for (auto b : rule.bases)
    bases.push_back(to_string(b));
  rapidjson::Value out(rapidjson::kObjectType);
  out.AddMember("purpose", rapidjson::Value(rule.purpose, alloc), alloc);
  out.AddMember("fields", string_array(rule.fields, alloc), alloc);
  out.AddMember("lawfulBases", string_array(bases, alloc), alloc);
  out.AddMember("legalInstruments", string_array(rule.legal_instruments, alloc), alloc);
  out.AddMember("pseudonymiseSubject", rule.pseudonymise_subject, alloc);
  return out;
}

rapidjson::Value grant_to_json(const access_grant& grant,
                               rapidjson::Document::AllocatorType& alloc) {
  rapidjson::Value rate(rapidjson::kObjectType);
  rate.AddMember("requests", grant.rate.requests, alloc);
  rate.AddMember("windowSeconds", grant.rate.window_seconds, alloc);
  rapidjson::Value purposes(rapidjson::kArrayType);
  for (const auto& rule : grant.purposes)
    purposes.PushBack(purpose_to_json(rule, alloc), alloc);
  rapidjson::Value out(rapidjson::kObjectType);
  out.AddMember("consumers", string_array(grant.consumers, alloc), alloc);
  out.AddMember("rateLimit", rate, alloc);
  out.AddMember("purposes", purposes, alloc);
  return out;
}

}  // namespace

bool is_purpose_code(std::string_view text) noexcept {
  if (text.empty() || text.size() > 64)
    return false;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(text.front()))
    return false;
  for (char c : text) {
    if (!alnum(c) && c != '-')
      return false;
  }
  return true;
}

result<access_policy> policy_from_json(const rapidjson::Value& value) {
  auto obj = SAPHAN_TRY(json_object::of(value, "policy", errc::invalid_policy));
  SAPHAN_TRY_VOID(reject_unknown(value, obj, {"grants"}));
  const auto* grants = obj.find("grants");
  if (grants == nullptr)
    return obj.fail("grants", "is required");
  if (!grants->IsArray())
    return obj.fail("grants", "must be an array of objects");
  if (grants->Size() > max_grants) {
    return obj.fail("grants", "at most " + std::to_string(max_grants) + " entries");
  }
  access_policy policy;
  for (rapidjson::SizeType i = 0; i < grants->Size(); ++i) {
    auto grant = SAPHAN_TRY(read_grant((*grants)[i], "policy." + indexed("grants", i)));
    policy.grants.push_back(std::move(grant));
  }
  return policy;
}

void policy_to_json(const access_policy& policy, rapidjson::Value& out,
                    rapidjson::Document::AllocatorType& alloc) {
  rapidjson::Value grants(rapidjson::kArrayType);
  for (const auto& grant : policy.grants)
    grants.PushBack(grant_to_json(grant, alloc), alloc);
  out.SetObject();
  out.AddMember("grants", grants, alloc);
}

}  // namespace saphan
