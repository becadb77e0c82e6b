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

TEST_CASE("is_supported_pattern refuses what is not UTF-8, where RapidJSON stops too", "[schema]") {
  // Found by tests/fuzz/pattern_fuzz.cpp: a schema's date pattern with one byte changed,
  // "...|\xd2[12][0-9]|3[01])$", reached the engine cut short at the byte it could not decode.
  // A schema arrives as JSON, which parse_json checks is UTF-8; the check does not rely on that.
  for (auto pattern : {"(0|\xd2[12])"sv, "(\xc0\xaf)"sv, "(\xed\xa0\x80)"sv, "(\xf4\x90\x80\x80)"sv,
                       "(\xe0\xb8)"sv, "(\xff)"sv, "(\x80)"sv}) {
    INFO(std::string(pattern));
    CHECK_FALSE(is_supported_pattern(pattern));
  }
  for (auto pattern : {"^[\xe0\xb8\x80-\xe0\xb9\xbf .]+$"sv, "(\xc2\xa0|\xf0\x9f\x98\x80)"sv,
                       "\xef\xbf\xbd"sv, "\xf4\x8f\xbf\xbf"sv}) {
    INFO(std::string(pattern));
    CHECK(is_supported_pattern(pattern));
  }
}

TEST_CASE("is_supported_pattern refuses repeating what can match empty", "[schema]") {
  // Found by tests/fuzz/pattern_fuzz.cpp on the seed "^(a|bc)+(d{2,5}|[^x-z]?)*$": RapidJSON
  // follows empty paths without marking the splits it passes, so a repetition of something that
  // can match empty loops until the stack overflows, on every subject.
  for (const char* pattern : {"(a?)*", "(a*)+", "(a?){2,}", "(a|b?)*", "(a?b?)+", "(a?){0,3}",
                              "(a*){1,2}", "^(a|bc)+(d{2,5}|[^x-z]?)*$", "((a?))*"}) {
    INFO(pattern);
    CHECK_FALSE(is_supported_pattern(pattern));
  }
  // Nor two empty paths through one part ("(a?)?", "(a?|b?)"), which multiply: sixteen in a row
  // took seconds on every subject, twenty more than a minute.
  for (const char* pattern : {"(a?)?", "(a?|b?)", "(a*|b?)c", "(a?|b*)", "a?|b?", "(|a)"}) {
    INFO(pattern);
    CHECK_FALSE(is_supported_pattern(pattern));
  }
  // What the project's schemas use, and other patterns with at most one empty path per part.
  for (const char* pattern :
       {"^[0-9]{4}-(0[1-9]|1[0-2])(\\.[0-9]{1,9})?(Z|[+-][0-9]{2})$", "(a?b?){3}", "(a?|b)c",
        "(ab?)+", "(a?b)*", "a?b?c?", "(a|b)?", "((a)?)c", "(a{0,5}b)+", "a{0,3}", "(a?){3}",
        "^(a|bc)+(d{2,5}|[^x-z])*$"}) {
    INFO(pattern);
    CHECK(is_supported_pattern(pattern));
  }
}

TEST_CASE("is_supported_pattern takes a character of several bytes as one atom", "[schema]") {
  // Found by tests/fuzz/pattern_fuzz.cpp: "(\xe0\xb8\x81*|\x04)*" (Thai ko kai, repeated) passed
  // the check, which read the '*' as repeating the character's last byte only, so the group could
  // not match empty; RapidJSON repeats the whole code point, and its outer '*' overflowed the
  // stack.
  for (auto pattern : {"(\xe0\xb8\x81*|\x04)*"sv, "(\xe0\xb8\x81?)*"sv, "(\xc2\xa0*)+"sv,
                       "(\xf0\x9f\x98\x80?){0,3}"sv, "(\xe0\xb8\x81?|\xe0\xb8\x82?)"sv}) {
    INFO(std::string(pattern));
    CHECK_FALSE(is_supported_pattern(pattern));
  }
  for (auto pattern : {"^\xe0\xb8\x81*$"sv, "(\xe0\xb8\x81\xe0\xb8\x82?)*"sv, "(\xe0\xb8\x81|b)+"sv,
                       "\xf0\x9f\x98\x80{2,4}"sv}) {
    INFO(std::string(pattern));
    CHECK(is_supported_pattern(pattern));
  }
  CHECK_FALSE(
      record_schema::compile(R"js({"properties": {"a": {"pattern": "(\u0e01*|\u0004)*"}}})js"));
}

TEST_CASE("patterns the check accepts match in time linear in their size", "[schema]") {
  // Forty optional parts in a row: each subject is checked in well under a second.
  std::string pattern = "^";
  for (int i = 0; i < 40; ++i)
    pattern += "(a?|b)";
  pattern += "$";
  REQUIRE(is_supported_pattern(pattern));
  auto schema = record_schema::compile(R"({"properties": {"a": {"type": "string", "pattern": ")" +
                                       pattern + R"("}}})");
  REQUIRE(schema);
  CHECK(schema->validate_text(R"({"a": "abababab"})"));
  CHECK(schema->validate_text(R"({"a": "c"})").code() == errc::schema_violation);
}

TEST_CASE("is_supported_pattern bounds the engine's states and its work per character",
          "[schema]") {
  // Nested counts multiply the states: the first asked RapidJSON for 10^9 (out of memory in the
  // pattern fuzz target), the second for 10^4.
  for (const char* pattern : {"((a{1000}){1000}){1000}", "(a{100}){100}", "((ab){64}){64}"}) {
    INFO(pattern);
    CHECK_FALSE(is_supported_pattern(pattern));
  }
  // Long optional runs: every live state walks the splits after it on each character
  // ("^[a-z]{1,1000}$" took 0.8 s on 1000 letters; the fuzz target's slow input was a class of
  // fifty escapes repeated {0,663}).
  for (const char* pattern :
       {"^[a-z]{1,1000}$", "^a{0,1000}$", "^.{1,200}$", "(a{0,30}){30}", "b{0,100}c"}) {
    INFO(pattern);
    CHECK_FALSE(is_supported_pattern(pattern));
  }
  // Counts without optional copies cost states only; short optional runs little.
  for (const char* pattern :
       {"^a{1000}$", "(a{10}){100}", "^[a-z]{1,100}$", "b{0,99}c", "^[0-9]{1,9}$", "a{2,}"}) {
    INFO(pattern);
    CHECK(is_supported_pattern(pattern));
  }
}
