// Internal to src/console: reading members of the hub's and the provider's JSON answers, where a
// missing or mistyped member reads as empty (pages show what is there; decisions check more).
#pragma once

#include <rapidjson/document.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace saphan::console {

inline std::string text_of(const rapidjson::Value& v, std::string_view name) {
  if (!v.IsObject())
    return {};
  auto it = v.FindMember(rapidjson::StringRef(name.data(), name.size()));
  return it != v.MemberEnd() && it->value.IsString()
             ? std::string(it->value.GetString(), it->value.GetStringLength())
             : std::string();
}

inline std::uint64_t number_of(const rapidjson::Value& v, std::string_view name) {
  if (!v.IsObject())
    return 0;
  auto it = v.FindMember(rapidjson::StringRef(name.data(), name.size()));
  return it != v.MemberEnd() && it->value.IsUint64() ? it->value.GetUint64() : 0;
}

inline bool has_number(const rapidjson::Value& v, std::string_view name) {
  if (!v.IsObject())
    return false;
  auto it = v.FindMember(rapidjson::StringRef(name.data(), name.size()));
  return it != v.MemberEnd() && it->value.IsUint64();
}

inline std::vector<std::string> texts_of(const rapidjson::Value& v, std::string_view name) {
  std::vector<std::string> out;
  if (!v.IsObject())
    return out;
  auto it = v.FindMember(rapidjson::StringRef(name.data(), name.size()));
  if (it == v.MemberEnd() || !it->value.IsArray())
    return out;
  for (const auto& s : it->value.GetArray()) {
    if (s.IsString())
      out.emplace_back(s.GetString(), s.GetStringLength());
  }
  return out;
}

// The array member `name`, or an empty array.
inline const rapidjson::Value& array_of(const rapidjson::Value& v, std::string_view name) {
  static const rapidjson::Value empty(rapidjson::kArrayType);
  if (!v.IsObject())
    return empty;
  auto it = v.FindMember(rapidjson::StringRef(name.data(), name.size()));
  return it != v.MemberEnd() && it->value.IsArray() ? it->value : empty;
}

}  // namespace saphan::console
