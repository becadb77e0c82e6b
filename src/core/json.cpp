#include "core/json.hpp"

#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "core/files.hpp"

namespace saphan {
namespace {

// Counts nesting outside strings so that hostile input cannot drive RapidJSON's recursion deep.
bool within_depth(std::string_view text, std::size_t max_depth) {
  std::size_t depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > max_depth)
        return false;
    } else if ((c == '}' || c == ']') && depth > 0) {
      --depth;
    }
  }
  return true;
}

// What parse_json must refuse although RapidJSON 1.1.0 accepts it, because write_json could not
// write it out again as valid JSON and whatever stores or exports it would fail later: a string
// that escapes a lone low surrogate ("\\udc00", decoded into the three bytes of a surrogate,
// which is not UTF-8), and a number too large for a double ("1.5e300" is one, but
// "184467440737091.5e300" became infinity). Nothing, or why.
const char* unwritable(const rapidjson::Value& v) {
  if (v.IsString()) {
    if (!is_utf8(std::string_view(v.GetString(), v.GetStringLength()))) {
      return "a string escapes a lone surrogate (\\uDC00-\\uDFFF without a high one before "
             "it), which is no Unicode character";
    }
  } else if (v.IsDouble()) {
    if (!std::isfinite(v.GetDouble()))
      return "a number is too large for a double";
  } else if (v.IsArray()) {
    for (const auto& item : v.GetArray()) {
      if (const char* why = unwritable(item))
        return why;
    }
  } else if (v.IsObject()) {
    for (auto m = v.MemberBegin(); m != v.MemberEnd(); ++m) {
      if (const char* why = unwritable(m->name))
        return why;
      if (const char* why = unwritable(m->value))
        return why;
    }
  }
  return nullptr;
}

std::string join(std::string_view where, std::string_view name) {
  if (where.empty())
    return std::string(name);
  return std::string(where) + "." + std::string(name);
}

}  // namespace

result<rapidjson::Document> read_json_file(const std::string& path, json_limits limits) {
  auto text = SAPHAN_TRY(read_file(path, limits.max_bytes));
  auto doc = parse_json(text, limits);
  if (!doc)
    return make_error(doc.error().code, path + ": " + doc.error().detail);
  return doc;
}

std::optional<unexpected_member> find_unexpected_member(const rapidjson::Value& object,
                                                        std::span<const std::string_view> known,
                                                        bool each_once) {
  if (!object.IsObject())
    return std::nullopt;
  std::vector<bool> seen(each_once ? known.size() : 0);
  for (auto m = object.MemberBegin(); m != object.MemberEnd(); ++m) {
    const std::string_view name(m->name.GetString(), m->name.GetStringLength());
    const auto at = std::find(known.begin(), known.end(), name);
    if (at == known.end())
      return unexpected_member{name, false};
    if (each_once) {
      const auto i = static_cast<std::size_t>(at - known.begin());
      if (seen[i])
        return unexpected_member{name, true};
      seen[i] = true;
    }
  }
  return std::nullopt;
}

result<rapidjson::Document> parse_json(std::string_view text, json_limits limits) {
  if (text.size() > limits.max_bytes) {
    return make_error(errc::payload_too_large,
                      "JSON document larger than " + std::to_string(limits.max_bytes) + " bytes");
  }
  if (!within_depth(text, limits.max_depth)) {
    return make_error(errc::malformed_json,
                      "JSON nested deeper than " + std::to_string(limits.max_depth) + " levels");
  }
  // RapidJSON reads a NUL byte as the end of the input, so "{}\0anything" would parse as "{}"
  // with the rest unread. JSON never holds a raw NUL (inside strings it must be escaped), so
  // one anywhere is trailing garbage at best, and two readers could see different documents.
  if (auto nul = text.find('\0'); nul != std::string_view::npos) {
    return make_error(errc::malformed_json,
                      "at offset " + std::to_string(nul) + ": NUL byte (JSON never holds one)");
  }
  // The whole text is checked here, not by RapidJSON's kParseValidateEncodingFlag: that checks
  // only strings (where anything else outside ASCII is a syntax error anyway) but byte by byte,
  // a sixth of the hub's JSON parsing; this check skips ASCII eight bytes at a time.
  if (auto bad = first_invalid_utf8(text)) {
    return make_error(errc::malformed_json,
                      "at offset " + std::to_string(*bad) + ": invalid UTF-8 encoding");
  }
  rapidjson::Document doc;
  doc.Parse(text.data(), text.size());
  if (doc.HasParseError()) {
    return make_error(errc::malformed_json, "at offset " + std::to_string(doc.GetErrorOffset()) +
                                                ": " +
                                                rapidjson::GetParseError_En(doc.GetParseError()));
  }
  // The walk recurses at most max_depth deep: within_depth held.
  if (const char* why = unwritable(doc))
    return make_error(errc::malformed_json, why);
  return doc;
}

std::optional<std::size_t> first_invalid_utf8(std::string_view text) noexcept {
  std::size_t i = 0;
  while (i < text.size()) {
    // Eight ASCII bytes at a time: nearly everything the protocol carries is ASCII (base64,
    // identifiers), and this check runs over every JSON document read.
    if (text.size() - i >= 8) {
      std::uint64_t word;
      std::memcpy(&word, text.data() + i, sizeof word);
      if ((word & 0x8080808080808080u) == 0) {
        i += 8;
        continue;
      }
    }
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t length = 0;
    unsigned min = 0, code = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if (c >= 0xc2 && c <= 0xdf) {
      length = 2, min = 0x80, code = c & 0x1fu;
    } else if (c >= 0xe0 && c <= 0xef) {
      length = 3, min = 0x800, code = c & 0x0fu;
    } else if (c >= 0xf0 && c <= 0xf4) {
      length = 4, min = 0x10000, code = c & 0x07u;
    } else {
      return i;
    }
    if (text.size() - i < length)
      return i;
    for (std::size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xc0) != 0x80)
        return i;
      code = code << 6 | (next & 0x3fu);
    }
    if (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff))
      return i;
    i += length;
  }
  return std::nullopt;
}

bool is_utf8(std::string_view text) noexcept {
  return !first_invalid_utf8(text);
}

std::string write_json(const rapidjson::Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  value.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

result<json_object> json_object::of(const rapidjson::Value& value, std::string where, errc code) {
  if (!value.IsObject()) {
    return make_error(code,
                      (where.empty() ? std::string("document") : where) + ": must be an object");
  }
  return json_object(value, std::move(where), code);
}

error json_object::fail(std::string_view name, std::string_view rule) const {
  return make_error(code_, join(where_, name) + ": " + std::string(rule));
}

bool json_object::has(std::string_view name) const {
  return find(name) != nullptr;
}

const rapidjson::Value* json_object::find(std::string_view name) const {
  // Through a Value, not StringRef alone: StringRef converts to `const char*`, and that
  // FindMember overload reads up to a NUL, ignoring the string_view's length.
  const rapidjson::Value key(rapidjson::StringRef(name.data(), name.size()));
  auto it = value_.FindMember(key);
  return it == value_.MemberEnd() ? nullptr : &it->value;
}

result<const rapidjson::Value*> json_object::member(std::string_view name) const {
  const auto* v = find(name);
  if (v == nullptr)
    return fail(name, "is required");
  return v;
}

result<std::string> json_object::string(std::string_view name) const {
  const auto* v = find(name);
  if (v == nullptr)
    return fail(name, "is required");
  if (!v->IsString())
    return fail(name, "must be a string");
  return std::string(v->GetString(), v->GetStringLength());
}

result<std::optional<std::string>> json_object::optional_string(std::string_view name) const {
  const auto* v = find(name);
  if (v == nullptr || v->IsNull())
    return std::optional<std::string>{};
  if (!v->IsString())
    return fail(name, "must be a string");
  return std::optional<std::string>{std::string(v->GetString(), v->GetStringLength())};
}

result<std::int64_t> json_object::integer(std::string_view name) const {
  const auto* v = find(name);
  if (v == nullptr)
    return fail(name, "is required");
  if (!v->IsInt64())
    return fail(name, "must be an integer");
  return v->GetInt64();
}

result<std::optional<std::int64_t>> json_object::optional_integer(std::string_view name) const {
  const auto* v = find(name);
  if (v == nullptr || v->IsNull())
    return std::optional<std::int64_t>{};
  if (!v->IsInt64())
    return fail(name, "must be an integer");
  return std::optional<std::int64_t>{v->GetInt64()};
}

result<bool> json_object::boolean(std::string_view name, std::optional<bool> fallback) const {
  const auto* v = find(name);
  if (v == nullptr) {
    if (fallback)
      return *fallback;
    return fail(name, "is required");
  }
  if (!v->IsBool())
    return fail(name, "must be true or false");
  return v->GetBool();
}

result<std::vector<std::string>> json_object::strings(std::string_view name) const {
  const auto* v = find(name);
  if (v == nullptr)
    return fail(name, "is required");
  if (!v->IsArray())
    return fail(name, "must be an array of strings");
  std::vector<std::string> out;
  out.reserve(v->Size());
  for (const auto& item : v->GetArray()) {
    if (!item.IsString())
      return fail(name, "must be an array of strings");
    out.emplace_back(item.GetString(), item.GetStringLength());
  }
  return out;
}

result<std::vector<std::string>> json_object::optional_strings(std::string_view name) const {
  if (find(name) == nullptr)
    return std::vector<std::string>{};
  return strings(name);
}

}  // namespace saphan
