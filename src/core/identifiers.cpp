#include "core/identifiers.hpp"

#include <vector>

namespace saphan {
namespace {

bool is_upper(char c) {
  return c >= 'A' && c <= 'Z';
}
bool is_lower(char c) {
  return c >= 'a' && c <= 'z';
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_code_char(char c) {
  return is_upper(c) || is_lower(c) || is_digit(c) || c == '.' || c == '_' || c == '-';
}

template <class Pred>
result<void> check_part(std::string_view part, std::string_view what, std::size_t min,
                        std::size_t max, Pred allowed, std::string_view rule, errc code) {
  if (part.size() < min || part.size() > max) {
    return make_error(code, std::string(what) + ": length must be " + std::to_string(min) + ".." +
                                std::to_string(max) + ", got " + std::to_string(part.size()));
  }
  for (char c : part) {
    if (!allowed(c)) {
      return make_error(
          code, std::string(what) + ": character not allowed (allowed: " + std::string(rule) + ")");
    }
  }
  return ok();
}

std::vector<std::string_view> split(std::string_view text, char sep) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    auto pos = text.find(sep, start);
    parts.push_back(text.substr(start, pos == std::string_view::npos ? pos : pos - start));
    if (pos == std::string_view::npos)
      break;
    start = pos + 1;
  }
  return parts;
}

result<void> check_version(std::string_view version) {
  auto numbers = split(version, '.');
  if (version.empty() || numbers.size() > 3) {
    return make_error(errc::invalid_dataset_id, "version: must be N, N.N or N.N.N");
  }
  for (auto n : numbers) {
    if (n.empty() || n.size() > 5) {
      return make_error(errc::invalid_dataset_id, "version: each number must have 1..5 digits");
    }
    for (char c : n) {
      if (!is_digit(c)) {
        return make_error(errc::invalid_dataset_id, "version: only digits and dots allowed");
      }
    }
  }
  return ok();
}

constexpr std::size_t max_identifier_length = 512;

}  // namespace

result<void> validate(const member_id& id) {
  const auto member = errc::invalid_member_id;
  SAPHAN_TRY_VOID(check_part(
      id.instance, "instance", 1, 16, [](char c) { return is_upper(c) || is_digit(c) || c == '-'; },
      "A-Z 0-9 -", member));
  SAPHAN_TRY_VOID(check_part(id.member_class, "member class", 2, 8, is_upper, "A-Z", member));
  SAPHAN_TRY_VOID(
      check_part(id.code, "member code", 1, 64, is_code_char, "A-Z a-z 0-9 . _ -", member));
  SAPHAN_TRY_VOID(
      check_part(id.subsystem, "subsystem", 1, 64, is_code_char, "A-Z a-z 0-9 . _ -", member));
  return ok();
}

result<void> validate(const dataset_id& id) {
  auto owner = validate(id.owner);
  if (!owner)
    return make_error(errc::invalid_dataset_id, "owner " + owner.error().detail);
  SAPHAN_TRY_VOID(check_part(
      id.name, "dataset name", 1, 64,
      [](char c) { return is_lower(c) || is_digit(c) || c == '.' || c == '_' || c == '-'; },
      "a-z 0-9 . _ -", errc::invalid_dataset_id));
  if (!is_lower(id.name.front()) && !is_digit(id.name.front())) {
    return make_error(errc::invalid_dataset_id, "dataset name: must start with a-z or 0-9");
  }
  return check_version(id.version);
}

result<member_id> parse_member_id(std::string_view text) {
  if (text.size() > max_identifier_length) {
    return make_error(errc::invalid_member_id, "member id: longer than 512 characters");
  }
  auto parts = split(text, '/');
  if (parts.size() != 4) {
    return make_error(errc::invalid_member_id,
                      "member id: expected INSTANCE/CLASS/CODE/SUBSYSTEM (4 parts), got " +
                          std::to_string(parts.size()));
  }
  member_id id{std::string(parts[0]), std::string(parts[1]), std::string(parts[2]),
               std::string(parts[3])};
  SAPHAN_TRY_VOID(validate(id));
  return id;
}

result<dataset_id> parse_dataset_id(std::string_view text) {
  if (text.size() > max_identifier_length) {
    return make_error(errc::invalid_dataset_id, "dataset id: longer than 512 characters");
  }
  auto at = text.rfind('@');
  if (at == std::string_view::npos) {
    return make_error(errc::invalid_dataset_id, "dataset id: missing @version");
  }
  auto path = text.substr(0, at);
  auto slash = path.rfind('/');
  if (slash == std::string_view::npos) {
    return make_error(errc::invalid_dataset_id,
                      "dataset id: expected <member>/<dataset>@<version>");
  }
  auto owner = parse_member_id(path.substr(0, slash));
  if (!owner)
    return make_error(errc::invalid_dataset_id, "owner " + owner.error().detail);
  dataset_id id{std::move(*owner), std::string(path.substr(slash + 1)),
                std::string(text.substr(at + 1))};
  SAPHAN_TRY_VOID(validate(id));
  return id;
}

std::string to_string(const member_id& id) {
  return id.instance + "/" + id.member_class + "/" + id.code + "/" + id.subsystem;
}

std::string unversioned(const dataset_id& id) {
  return to_string(id.owner) + "/" + id.name;
}

std::string to_string(const dataset_id& id) {
  return unversioned(id) + "@" + id.version;
}

}  // namespace saphan
