#include "connectors/adapter.hpp"

namespace saphan::connector {

std::string resolve_path(const std::string& base_dir, const std::string& path) {
  if (path.empty() || path.front() == '/' || base_dir.empty())
    return path;
  return base_dir + "/" + path;
}

result<void> reject_unknown_members(const rapidjson::Value& object, const std::string& where,
                                    std::initializer_list<std::string_view> known) {
  if (!object.IsObject())
    return make_error(errc::invalid_argument, where + ": must be an object");
  if (auto unknown = find_unexpected_member(object, known)) {
    return make_error(errc::invalid_argument, (where.empty() ? "" : where + ".") +
                                                  std::string(unknown->name.substr(0, 64)) +
                                                  ": unknown member");
  }
  return ok();
}

result<std::int64_t> bounded_integer(const json_object& obj, std::string_view name,
                                     std::int64_t min, std::int64_t max, std::int64_t fallback) {
  auto value = SAPHAN_TRY(obj.optional_integer(name));
  if (!value)
    return fallback;
  if (*value < min || *value > max) {
    return obj.fail(name, "must be between " + std::to_string(min) + " and " + std::to_string(max));
  }
  return *value;
}

}  // namespace saphan::connector
