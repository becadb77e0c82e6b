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

bool is_sql_identifier(std::string_view text) noexcept {
  if (text.empty() || text.size() > 64)
    return false;
  auto letter = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; };
  if (!letter(text.front()))
    return false;
  for (char c : text) {
    if (!letter(c) && !(c >= '0' && c <= '9'))
      return false;
  }
  return true;
}

result<std::string> sql_identifier(const json_object& config, std::string_view name) {
  auto value = SAPHAN_TRY(config.string(name));
  if (!is_sql_identifier(value))
    return config.fail(name, "must match ^[A-Za-z_][A-Za-z0-9_]{0,63}$");
  return value;
}

}  // namespace saphan::connector
