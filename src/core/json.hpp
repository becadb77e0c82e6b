// Bounded JSON parsing and typed field access on RapidJSON. Every untrusted document enters
// through parse_json, which enforces a size and a nesting limit before RapidJSON sees it.
#pragma once

#include <rapidjson/document.h>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace saphan {

struct json_limits {
  std::size_t max_bytes = 1 << 20;
  std::size_t max_depth = 32;
};

// Parses a whole document (trailing garbage is an error, and so is a NUL byte anywhere); every
// string of the result is UTF-8 (an escaped lone surrogate is an error) and every number finite,
// so write_json can always write it out again. Errors: payload_too_large, malformed_json (with
// the offset and RapidJSON's reason).
result<rapidjson::Document> parse_json(std::string_view text, json_limits limits = {});

// Reads and parses a JSON file. Errors: those of read_file (the size limit is limits.max_bytes),
// and of parse_json prefixed with the path.
result<rapidjson::Document> read_json_file(const std::string& path, json_limits limits = {});

// Serialises compactly.
std::string write_json(const rapidjson::Value& value);

// True when `text` is strict UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing above
// U+10FFFF), what a JSON string may hold. Check before handing text to RapidJSON's validating
// writer (kWriteValidateEncodingFlag): it reads a truncated sequence's missing bytes from past
// the end of the string.
bool is_utf8(std::string_view text) noexcept;
// The offset of the first byte where `text` stops being strict UTF-8, or none when it is.
std::optional<std::size_t> first_invalid_utf8(std::string_view text) noexcept;

// A member an object may not hold: the first whose name is not in `known` or, with `each_once`,
// the first that repeats a member before it. Unknown members are refused rather than ignored, so
// that a misspelt "pseudonymiseSubject" cannot silently turn pseudonymisation off; repeated ones,
// so that two readers can never see different values. `name` is the member's own (cut it before
// it goes into a message). Nothing for a value that is not an object.
struct unexpected_member {
  std::string_view name;
  bool repeated = false;  // known, but already there
};
std::optional<unexpected_member> find_unexpected_member(const rapidjson::Value& object,
                                                        std::span<const std::string_view> known,
                                                        bool each_once = false);
inline std::optional<unexpected_member> find_unexpected_member(
    const rapidjson::Value& object, std::initializer_list<std::string_view> known,
    bool each_once = false) {
  return find_unexpected_member(object, std::span(known.begin(), known.size()), each_once);
}

// Typed access to an object's members. `where` prefixes error details (e.g. "policy.purposes[2]").
// Missing required members and wrong types are errors with the given code.
class json_object {
 public:
  json_object(const rapidjson::Value& value, std::string where, errc code = errc::malformed_json)
      : value_(value), where_(std::move(where)), code_(code) {}

  static result<json_object> of(const rapidjson::Value& value, std::string where,
                                errc code = errc::malformed_json);

  bool has(std::string_view name) const;
  result<std::string> string(std::string_view name) const;
  result<std::optional<std::string>> optional_string(std::string_view name) const;
  result<std::int64_t> integer(std::string_view name) const;
  result<std::optional<std::int64_t>> optional_integer(std::string_view name) const;
  result<bool> boolean(std::string_view name, std::optional<bool> fallback = std::nullopt) const;
  result<std::vector<std::string>> strings(std::string_view name) const;
  result<std::vector<std::string>> optional_strings(std::string_view name) const;
  result<const rapidjson::Value*> member(std::string_view name) const;  // required, any type
  const rapidjson::Value* find(std::string_view name) const;            // optional, any type

  const std::string& where() const { return where_; }
  error fail(std::string_view name, std::string_view rule) const;

 private:
  const rapidjson::Value& value_;
  std::string where_;
  errc code_;
};

}  // namespace saphan
