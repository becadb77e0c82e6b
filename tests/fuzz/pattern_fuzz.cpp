// is_supported_pattern (schema/pattern.hpp), the guard in front of RapidJSON's regex engine, and
// record_schema::compile, which relies on it for "pattern" keywords.
//
// Input: the pattern. Checks: a pattern the guard accepts is handed to RapidJSON's engine the
// way record_schema.cpp does (as a C string) without an assertion, a crash or runaway memory
// (this build keeps RapidJSON's assertions on), and then matches a few subjects; a schema with
// the pattern compiles exactly when the guard accepts it and the engine does too, and
// validating records against it gives a result or a schema_violation.
#include <rapidjson/document.h>
#include <rapidjson/internal/regex.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "core/json.hpp"
#include "schema/pattern.hpp"
#include "schema/record_schema.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace saphan;

namespace {

using regex = rapidjson::internal::GenericRegex<rapidjson::UTF8<>>;

// A JSON string literal for `text`; nothing when it is not UTF-8 (no schema can hold it).
std::optional<std::string> json_string(std::string_view text) {
  if (!is_utf8(text))
    return std::nullopt;
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string pattern(fuzz::text_of(data, size));
  const bool supported = is_supported_pattern(pattern);

  bool engine_valid = false;
  if (supported) {
    regex re(pattern.c_str());
    engine_valid = re.IsValid();
    if (engine_valid) {
      for (const char* subject :
           {"", "a", "abc", "0123456789", "a-b_c.d", "\xe0\xb8\x81\xe0\xb8\x82", pattern.c_str()}) {
        (void)re.Match(subject);
        (void)re.Search(subject);
      }
    }
  }

  const auto literal = json_string(pattern);
  if (!literal)
    return 0;
  const std::string schema =
      R"({"type":"object","properties":{"a":{"type":"string","pattern":)" + *literal + "}}}";
  auto compiled = record_schema::compile(schema);
  if (!compiled) {
    FUZZ_CHECK_ERROR(compiled, errc::invalid_schema);
    FUZZ_CHECK_MSG(!(supported && engine_valid), compiled.error().detail);
    return 0;
  }
  FUZZ_CHECK(supported && engine_valid);
  for (std::string_view subject :
       {std::string_view(""), std::string_view("abc"), std::string_view(pattern)}) {
    const auto value = json_string(subject);
    if (!value)
      continue;
    auto checked = compiled->validate_text(R"({"a":)" + *value + "}");
    if (!checked)
      FUZZ_CHECK_ERROR(checked, errc::schema_violation);
  }
  return 0;
}
