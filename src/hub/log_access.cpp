#include "hub/log_access.hpp"

#include <algorithm>
#include <array>

#include "core/identifiers.hpp"
#include "core/json.hpp"

namespace saphan::hub {
namespace {

constexpr json_limits entry_limits{64 * 1024, 16};

std::optional<std::string> text_member(const rapidjson::Value& doc, const char* name) {
  auto it = doc.FindMember(name);
  if (it == doc.MemberEnd() || !it->value.IsString())
    return std::nullopt;
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

// The owner of a dataset id given as text ("TH/GOV/DOPA/civil-registry/person@1.0").
std::optional<std::string> owner_of(std::string_view dataset) {
  auto id = parse_dataset_id(dataset);
  if (!id)
    return std::nullopt;
  return to_string(id->owner);
}

}  // namespace

entry_parties parties_of(std::string_view entry) {
  entry_parties out;
  auto doc = parse_json(entry, entry_limits);
  if (!doc || !doc->IsObject())
    return out;
  const auto kind = text_member(*doc, "kind").value_or("");
  if (kind == "exchange.outcome") {
    auto it = doc->FindMember("decisionIndex");
    if (it != doc->MemberEnd() && it->value.IsUint64())
      out.decision_index = it->value.GetUint64();
    return out;
  }
  for (const char* name : {"consumer", "provider", "member", "peer"}) {
    if (auto member = text_member(*doc, name); member && !member->empty())
      out.members.insert(*member);
  }
  if (auto dataset = text_member(*doc, "dataset")) {
    if (auto owner = owner_of(*dataset))
      out.members.insert(*owner);
  }
  auto datasets = doc->FindMember("datasets");
  if (datasets != doc->MemberEnd() && datasets->value.IsArray()) {
    for (const auto& d : datasets->value.GetArray()) {
      if (!d.IsString())
        continue;
      if (auto owner = owner_of(std::string_view(d.GetString(), d.GetStringLength())))
        out.members.insert(*owner);
    }
  }
  return out;
}

bool is_auditor(const member_record& m) {
  return std::find(m.groups.begin(), m.groups.end(), auditor_group) != m.groups.end();
}

bool is_known_entry_kind(std::string_view kind) {
  static constexpr std::array<std::string_view, 18> kinds = {
      "exchange.decision", "exchange.outcome", "exchange.rejected", "access.refused",
      "member.added",      "member.updated",   "member.suspended",  "member.resumed",
      "key.added",         "key.revoked",      "dataset.published", "policy.changed",
      "consent.requested", "consent.granted",  "consent.rejected",  "consent.revoked",
      "consent.expired",   "consent.updated"};
  return std::find(kinds.begin(), kinds.end(), kind) != kinds.end();
}

}  // namespace saphan::hub
