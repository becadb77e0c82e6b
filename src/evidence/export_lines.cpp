#include "evidence/export_lines.hpp"

#include <algorithm>

#include "core/json.hpp"

namespace saphan::evidence::lines {

// Same rule as a checkpoint's origin: printable ASCII keeps the note's line structure intact.
result<void> check_origin(std::string_view origin, std::string_view where) {
  bool printable =
      std::all_of(origin.begin(), origin.end(), [](char c) { return c >= 0x20 && c <= 0x7e; });
  if (origin.empty() || origin.size() > max_origin_bytes || !printable) {
    return make_error(errc::invalid_argument,
                      std::string(where) + ": must be 1 to 256 printable ASCII characters");
  }
  return ok();
}

// Exactly the listed members, each once. Unknown or repeated members are refused so that two
// readers can never see different values in one line.
result<void> check_members(const Value& object, std::span<const std::string_view> names,
                           std::string_view where) {
  if (!object.IsObject()) {
    return make_error(errc::malformed_json, std::string(where) + ": must be a JSON object");
  }
  if (auto bad = find_unexpected_member(object, names, true)) {
    if (bad->repeated) {
      return make_error(errc::malformed_json,
                        std::string(where) + ": member '" + std::string(bad->name) + "' repeated");
    }
    return make_error(errc::malformed_json, std::string(where) + ": unknown member '" +
                                                std::string(bad->name.substr(0, 64)) + "'");
  }
  // Each known member at most once: fewer members than names means one is missing.
  for (auto name : names) {
    const Value key(rapidjson::StringRef(name.data(), name.size()));
    if (object.FindMember(key) == object.MemberEnd()) {
      return make_error(errc::malformed_json,
                        std::string(where) + ": member '" + std::string(name) + "' missing");
    }
  }
  return ok();
}

result<std::uint64_t> read_size(const Value& v, std::string_view where) {
  if (!v.IsUint64() || v.GetUint64() > merkle::max_tree_size) {
    return make_error(errc::malformed_json,
                      std::string(where) + ": must be a whole number 0..2^63-1");
  }
  return v.GetUint64();
}

result<std::string> read_string(const Value& v, std::string_view where, std::size_t max_bytes) {
  if (!v.IsString())
    return make_error(errc::malformed_json, std::string(where) + ": must be a string");
  if (v.GetStringLength() > max_bytes) {
    return make_error(errc::payload_too_large,
                      std::string(where) + ": longer than " + std::to_string(max_bytes) + " bytes");
  }
  return std::string(text_of(v));
}

}  // namespace saphan::evidence::lines
