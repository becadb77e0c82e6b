// parse_json with limits (core/json.hpp), and the typed access every message parser builds on.
//
// Input: byte 0 sets max_depth (0..63), byte 1 max_bytes (n * 16, or the 1 MiB default for 255),
// the rest is the document. Checks: errors are payload_too_large or malformed_json, and too
// large exactly when the text is over max_bytes; an accepted document is within both limits;
// the limits are tight (a document within them that parses with looser limits also parses with
// these); write_json's output parses back to an equal document within the same depth; and
// json_object's accessors and find_unexpected_member agree with a plain walk over the members.
#include <rapidjson/document.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/json.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace saphan;

namespace {

std::size_t depth_of(const rapidjson::Value& v) {
  std::size_t inner = 0;
  if (v.IsArray()) {
    for (const auto& item : v.GetArray())
      inner = std::max(inner, depth_of(item));
    return inner + 1;
  }
  if (v.IsObject()) {
    for (auto m = v.MemberBegin(); m != v.MemberEnd(); ++m)
      inner = std::max(inner, depth_of(m->value));
    return inner + 1;
  }
  return 0;
}

const rapidjson::Value* first_member(const rapidjson::Value& object, std::string_view name) {
  for (auto m = object.MemberBegin(); m != object.MemberEnd(); ++m) {
    if (std::string_view(m->name.GetString(), m->name.GetStringLength()) == name)
      return &m->value;
  }
  return nullptr;
}

// json_object's view of one member against what the member is.
void check_accessors(const rapidjson::Value& object, std::string_view name) {
  const json_object obj(object, "doc");
  const auto* v = first_member(object, name);
  FUZZ_CHECK(obj.has(name) == (v != nullptr));
  FUZZ_CHECK(obj.find(name) == v);

  auto s = obj.string(name);
  FUZZ_CHECK(s.has_value() == (v && v->IsString()));
  if (s)
    FUZZ_CHECK(*s == std::string_view(v->GetString(), v->GetStringLength()));
  else
    FUZZ_CHECK_ERROR(s, errc::malformed_json);

  auto i = obj.integer(name);
  FUZZ_CHECK(i.has_value() == (v && v->IsInt64()));
  if (i)
    FUZZ_CHECK(*i == v->GetInt64());

  auto b = obj.boolean(name, false);
  FUZZ_CHECK(b.has_value() == (!v || v->IsBool()));
  if (b)
    FUZZ_CHECK(*b == (v && v->GetBool()));

  auto list = obj.optional_strings(name);
  if (list) {
    FUZZ_CHECK(!v || v->IsArray());
    FUZZ_CHECK(list->size() == (v ? v->Size() : 0));
  } else {
    FUZZ_CHECK_ERROR(list, errc::malformed_json);
  }
}

void check_members(const rapidjson::Value& object) {
  static constexpr std::array<std::string_view, 3> known = {"a", "b", "requestId"};
  auto unexpected = find_unexpected_member(object, known, true);
  std::array<bool, known.size()> seen{};
  for (auto m = object.MemberBegin(); m != object.MemberEnd(); ++m) {
    const std::string_view name(m->name.GetString(), m->name.GetStringLength());
    const auto at = std::find(known.begin(), known.end(), name);
    if (at == known.end() || seen[static_cast<std::size_t>(at - known.begin())]) {
      // The first offending member is the one reported.
      FUZZ_CHECK(unexpected.has_value());
      FUZZ_CHECK(unexpected->name == name);
      FUZZ_CHECK(unexpected->repeated == (at != known.end()));
      return;
    }
    seen[static_cast<std::size_t>(at - known.begin())] = true;
  }
  FUZZ_CHECK(!unexpected.has_value());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2)
    return 0;
  json_limits limits;
  limits.max_depth = data[0] & 0x3f;
  if (data[1] != 0xff)
    limits.max_bytes = std::size_t{data[1]} * 16;
  const auto text = fuzz::text_of(data + 2, size - 2);

  auto doc = parse_json(text, limits);
  // The same text with limits that cannot bind, to show the limits are tight.
  auto loose = parse_json(text, {1 << 20, 64});
  if (!doc) {
    FUZZ_CHECK_ERROR(doc, errc::payload_too_large, errc::malformed_json);
    FUZZ_CHECK((doc.code() == errc::payload_too_large) == (text.size() > limits.max_bytes));
    if (loose && text.size() <= limits.max_bytes)
      FUZZ_CHECK(depth_of(*loose) > limits.max_depth);
    return 0;
  }
  FUZZ_CHECK(text.size() <= limits.max_bytes);
  FUZZ_CHECK(depth_of(*doc) <= limits.max_depth);
  FUZZ_CHECK(loose.has_value());

  const std::string written = write_json(*doc);
  auto again = parse_json(written, {written.size(), limits.max_depth});
  FUZZ_CHECK_MSG(again.has_value(), again ? std::string() : again.error().detail);
  FUZZ_CHECK(fuzz::same_json(*doc, *again));

  if (doc->IsObject()) {
    check_members(*doc);
    for (auto name : {"a", "b", "requestId", ""})
      check_accessors(*doc, name);
    for (auto m = doc->MemberBegin(); m != doc->MemberEnd(); ++m)
      check_accessors(*doc, std::string_view(m->name.GetString(), m->name.GetStringLength()));
  }
  return 0;
}
