#include "crypto/jose_detail.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cstring>
#include <set>

#include "core/json.hpp"
#include "crypto/encoding.hpp"

namespace saphan::crypto::detail {
namespace {

constexpr std::size_t max_member_name = 64;

// The base64url length of max_protected_header_bytes, so oversize headers are refused before
// they are decoded.
constexpr std::size_t max_encoded_header = (max_protected_header_bytes * 4 + 2) / 3;

std::string prefixed(std::string_view what, std::string_view detail) {
  return std::string(what) + ": " + std::string(detail);
}

bool has_duplicate_member(const rapidjson::Value& object) {
  std::set<std::string_view> seen;
  for (auto m = object.MemberBegin(); m != object.MemberEnd(); ++m) {
    if (!seen.emplace(m->name.GetString(), m->name.GetStringLength()).second)
      return true;
  }
  return false;
}

bool contains(std::initializer_list<std::string_view> list, std::string_view name) {
  return std::find(list.begin(), list.end(), name) != list.end();
}

}  // namespace

result<std::vector<std::string_view>> split_compact(std::string_view text, std::size_t parts,
                                                    errc code, std::string_view what) {
  // One pass with memchr: a JWS or JWE on the exchange path is some kilobytes with two or four
  // dots.
  std::vector<std::string_view> out;
  out.reserve(parts);
  std::size_t dots = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    const void* found = std::memchr(text.data() + start, '.', text.size() - start);
    if (found == nullptr)
      break;
    const auto dot = static_cast<std::size_t>(static_cast<const char*>(found) - text.data());
    if (++dots < parts)
      out.push_back(text.substr(start, dot - start));
    start = dot + 1;
  }
  if (dots != parts - 1) {
    return make_error(code,
                      prefixed(what, "compact serialization must have " + std::to_string(parts) +
                                         " parts, found " + std::to_string(dots + 1)));
  }
  out.push_back(text.substr(start));
  return out;
}

result<rapidjson::Document> parse_protected_header(std::string_view encoded, errc code,
                                                   std::string_view what) {
  if (encoded.empty())
    return make_error(code, prefixed(what, "protected header is empty"));
  if (encoded.size() > max_encoded_header) {
    return make_error(code,
                      prefixed(what, "protected header larger than " +
                                         std::to_string(max_protected_header_bytes) + " bytes"));
  }
  auto raw = base64url_decode(encoded);
  if (!raw)
    return make_error(code, prefixed(what, "protected header: " + raw.error().detail));
  auto doc = parse_json(*raw, json_limits{max_protected_header_bytes, max_protected_header_depth});
  if (!doc)
    return make_error(code, prefixed(what, "protected header: " + doc.error().detail));
  if (!doc->IsObject()) {
    return make_error(code, prefixed(what, "protected header must be a JSON object"));
  }
  if (has_duplicate_member(*doc)) {
    return make_error(code, prefixed(what, "protected header names a member twice"));
  }
  return std::move(doc).value();
}

header_members collect_string_members(const rapidjson::Value& header,
                                      std::initializer_list<std::string_view> skip) {
  header_members out;
  for (auto m = header.MemberBegin(); m != header.MemberEnd(); ++m) {
    std::string_view name(m->name.GetString(), m->name.GetStringLength());
    if (!m->value.IsString() || contains(skip, name))
      continue;
    out.emplace(std::string(name), std::string(m->value.GetString(), m->value.GetStringLength()));
  }
  return out;
}

result<void> check_extra_members(const header_members& extra,
                                 std::initializer_list<std::string_view> reserved,
                                 std::string_view what) {
  for (const auto& [name, value] : extra) {
    if (name.empty() || name.size() > max_member_name) {
      return make_error(errc::invalid_argument,
                        prefixed(what, "header member names must be 1..64 characters"));
    }
    if (contains(reserved, name)) {
      return make_error(errc::invalid_argument,
                        prefixed(what, "header member \"" + name + "\" is reserved"));
    }
  }
  return ok();
}

result<std::string> write_object(const std::vector<json_member>& members) {
  rapidjson::StringBuffer buffer;
  // Validating writer: a header with broken UTF-8 would be refused by strict JOSE parsers.
  rapidjson::Writer<rapidjson::StringBuffer, rapidjson::UTF8<>, rapidjson::UTF8<>,
                    rapidjson::CrtAllocator, rapidjson::kWriteValidateEncodingFlag>
      writer(buffer);
  bool written = writer.StartObject();
  for (const auto& m : members) {
    // UTF-8 checked first: the validating writer alone would read the missing bytes of a
    // truncated last sequence from past the end of the member's view.
    written = written && is_utf8(m.name) && (m.raw_json || is_utf8(m.value));
    written = written && writer.Key(m.name.data(), static_cast<rapidjson::SizeType>(m.name.size()));
    if (m.raw_json) {
      written = written && writer.RawValue(m.value.data(), m.value.size(), rapidjson::kObjectType);
    } else {
      written = written &&
                writer.String(m.value.data(), static_cast<rapidjson::SizeType>(m.value.size()));
    }
    if (!written) {
      return make_error(errc::invalid_argument,
                        "header member \"" + std::string(m.name) + "\": not valid UTF-8");
    }
  }
  writer.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace saphan::crypto::detail
