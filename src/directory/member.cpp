#include "directory/member.hpp"

#include <array>
#include <set>

#include "core/enum_names.hpp"

namespace saphan {
namespace {

// Bounds on what a member file may carry; a directory entry is small, anything larger is a
// mistake or an attack.
constexpr std::size_t max_name_bytes = 512;
constexpr std::size_t max_groups = 64;

constexpr std::array<std::string_view, 3> key_use_names = {"signing", "encryption", "tls"};
constexpr std::array<std::string_view, 2> status_names = {"active", "suspended"};

result<std::vector<std::string>> parse_groups(const json_object& obj) {
  auto groups = SAPHAN_TRY(obj.optional_strings("groups"));
  if (groups.size() > max_groups) {
    return obj.fail("groups", "at most " + std::to_string(max_groups) + " groups");
  }
  std::set<std::string_view> seen;
  for (std::size_t i = 0; i < groups.size(); ++i) {
    const auto& group = groups[i];
    auto where = "groups[" + std::to_string(i) + "]";
    if (!is_group_name(group))
      return obj.fail(where, "must match [a-z0-9-]{1,64}");
    if (!seen.insert(group).second)
      return obj.fail(where, "duplicate group");
  }
  return groups;
}

}  // namespace

bool is_group_name(std::string_view text) noexcept {
  if (text.empty() || text.size() > 64)
    return false;
  for (char c : text) {
    bool allowed = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    if (!allowed)
      return false;
  }
  return true;
}

std::string_view to_string(key_use use) noexcept {
  return name_of(key_use_names, use, "invalid");
}

result<key_use> parse_key_use(std::string_view text) {
  if (auto use = value_named<key_use>(key_use_names, text))
    return *use;
  return make_error(errc::invalid_argument, "use: must be one of signing, encryption, tls");
}

std::string_view to_string(member_status status) noexcept {
  return name_of(status_names, status, "suspended");
}

result<member_status> parse_member_status(std::string_view text) {
  if (auto status = value_named<member_status>(status_names, text))
    return *status;
  return make_error(errc::invalid_argument, "status: must be active or suspended");
}

result<member_record> member_from_json(const rapidjson::Value& value) {
  auto obj = SAPHAN_TRY(json_object::of(value, "", errc::invalid_argument));
  member_record member;

  auto id_text = SAPHAN_TRY(obj.string("id"));
  auto id = parse_member_id(id_text);
  if (!id)
    return make_error(errc::invalid_member_id, "id: " + id.error().detail);
  member.id = std::move(*id);

  auto name = SAPHAN_TRY(obj.string("name"));
  if (name.empty())
    return obj.fail("name", "must not be empty");
  if (name.size() > max_name_bytes) {
    return obj.fail("name", "at most " + std::to_string(max_name_bytes) + " bytes");
  }
  member.name = std::move(name);

  auto groups = SAPHAN_TRY(parse_groups(obj));
  member.groups = std::move(groups);

  auto clearance = SAPHAN_TRY(obj.optional_string("clearance"));
  if (clearance) {
    auto level = parse_classification(*clearance);
    if (!level)
      return obj.fail("clearance",
                      "must be one of open, internal, confidential, secret, top_secret");
    member.clearance = *level;
  }
  if (auto status = SAPHAN_TRY(obj.optional_string("status"))) {
    auto parsed = parse_member_status(*status);
    if (!parsed)
      return obj.fail("status", "must be active or suspended");
    member.status = *parsed;
  }
  return member;
}

void member_to_json(const member_record& member, rapidjson::Value& out,
                    rapidjson::Document::AllocatorType& alloc) {
  out.SetObject();
  out.AddMember("id", rapidjson::Value(to_string(member.id), alloc), alloc);
  out.AddMember("name", rapidjson::Value(member.name, alloc), alloc);
  rapidjson::Value groups(rapidjson::kArrayType);
  for (const auto& group : member.groups)
    groups.PushBack(rapidjson::Value(group, alloc), alloc);
  out.AddMember("groups", groups, alloc);
  out.AddMember("clearance", rapidjson::Value(std::string(to_string(member.clearance)), alloc),
                alloc);
  // Written only when it says something: an active member's stored form stays as it was.
  if (member.status != member_status::active)
    out.AddMember("status", rapidjson::Value(std::string(to_string(member.status)), alloc), alloc);
}

}  // namespace saphan
