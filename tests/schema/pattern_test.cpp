#include <catch2/catch.hpp>

#include <string>
#include <string_view>

#include "schema/pattern.hpp"
#include "schema/record_schema.hpp"

using namespace saphan;
using namespace std::string_view_literals;

TEST_CASE("is_supported_pattern refuses a NUL byte, where RapidJSON stops reading", "[schema]") {
  // Found by tests/fuzz/pattern_fuzz.cpp: "1(\0)\b" passed the check, and RapidJSON, reading
  // "1(", failed its assertion (in a release build: read past its operator stack).
  for (auto pattern : {"1(\0)\b"sv, "(\0)"sv, "a\0"sv, "\0"sv, "[\0]"sv}) {
    INFO(std::string(pattern));
    CHECK_FALSE(is_supported_pattern(pattern));
  }
  CHECK(is_supported_pattern("1(a)b"));
  // Through a schema, as a publisher would write it.
  auto compiled = record_schema::compile(R"js({"properties": {"a": {"pattern": "1(\u0000)"}}})js");
  REQUIRE_FALSE(compiled);
  CHECK(compiled.code() == errc::invalid_schema);
  CHECK_FALSE(
      record_schema::compile(R"js({"properties": {}, "patternProperties": {"(\u0000)": {}}})js"));
}
