#include <catch2/catch.hpp>

#include <array>
#include <string>

#include "core/json.hpp"

using namespace saphan;
using Catch::Matchers::Contains;

namespace {

std::string nested_arrays(std::size_t depth) {
  return std::string(depth, '[') + std::string(depth, ']');
}

rapidjson::Document parse_ok(std::string_view text) {
  auto r = parse_json(text);
  REQUIRE(r);
  return std::move(r).value();
}

}  // namespace

TEST_CASE("parse_json accepts documents and write_json prints them compactly", "[core][json]") {
  auto doc = parse_ok(R"( { "a" : [1, 2.5, "x", true, null], "b": {"c": "ไทย"} } )");
  CHECK(write_json(doc) == R"({"a":[1,2.5,"x",true,null],"b":{"c":"ไทย"}})");
  CHECK(parse_json("42"));
  CHECK(parse_json("\"text\""));
}

TEST_CASE("parse_json rejects malformed JSON with the offset", "[core][json]") {
  for (const char* text :
       {"", "{", "{\"a\":}", "[1,]", "{'a':1}", "nul", "{\"a\":1} x", "[1] [2]"}) {
    INFO(text);
    auto r = parse_json(text);
    REQUIRE_FALSE(r);
    CHECK(r.code() == errc::malformed_json);
    CHECK_THAT(r.error().detail, Contains("offset"));
  }
}

TEST_CASE("parse_json rejects a NUL byte, which RapidJSON would take for the end", "[core][json]") {
  // Found by tests/fuzz/json_fuzz.cpp: "6\0[" parsed as 6, the rest never read.
  using namespace std::string_view_literals;
  for (auto text : {"6\0["sv, "{\"a\":1}\0{\"a\":2}"sv, "[1]\0"sv, "\0"sv, "\"a\0\""sv}) {
    auto r = parse_json(text);
    REQUIRE_FALSE(r);
    CHECK(r.code() == errc::malformed_json);
    CHECK_THAT(r.error().detail, Contains("NUL"));
  }
  // Escaped, a NUL is an ordinary character of a string.
  auto escaped = parse_ok(R"(["a\u0000b"])");
  CHECK(escaped[0].GetStringLength() == 3);
}

TEST_CASE("is_utf8 accepts strict UTF-8 only", "[core][json]") {
  using namespace std::string_view_literals;
  for (auto text : {""sv, "ascii \0 and NUL"sv, "\xc2\x80"sv, "\xe0\xb8\x81\xe0\xb8\x82"sv,
                    "\xef\xbf\xbf"sv, "\xf0\x90\x80\x80"sv, "\xf4\x8f\xbf\xbf"sv}) {
    CHECK(is_utf8(text));
  }
  for (auto text : {"\x80"sv, "\xc3"sv, "ab\xc3"sv, "\xc0\xaf"sv, "\xc1\xbf"sv, "\xe0\x80\xaf"sv,
                    "\xed\xa0\x80"sv, "\xed\xbf\xbf"sv, "\xf0\x8f\xbf\xbf"sv, "\xf4\x90\x80\x80"sv,
                    "\xf5\x80\x80\x80"sv, "\xff"sv, "\xe0\xb8"sv, "\xc3\x28"sv}) {
    CHECK_FALSE(is_utf8(text));
  }
}

TEST_CASE("parse_json rejects an escaped lone surrogate, which RapidJSON writes as no UTF-8",
          "[core][json]") {
  // Found by tests/fuzz/json_fuzz.cpp (and the envelope targets): "\ude00" decoded to the bytes
  // ED B8 80, so write_json's output no longer parsed, and a request's "issue" holding one would
  // have gone into the evidence log as an entry no export can carry.
  for (const char* text : {R"(["\udc00"])", R"({"a":"x\uDFFFy"})", R"({"\ude00":1})",
                           R"(["\ud38d\ude00"])", R"([["\udc00\ud800\udc00"]])"}) {
    INFO(text);
    auto r = parse_json(text);
    REQUIRE_FALSE(r);
    CHECK(r.code() == errc::malformed_json);
    CHECK_THAT(r.error().detail, Contains("surrogate"));
  }
  // A pair is one character; a lone high surrogate was refused by RapidJSON already.
  auto pair = parse_ok(R"(["\ud83d\ude00"])");
  CHECK(std::string(pair[0].GetString()) == "\xf0\x9f\x98\x80");
  CHECK(parse_json(R"(["\ud800"])").code() == errc::malformed_json);
}

TEST_CASE("parse_json rejects a number RapidJSON would make infinite", "[core][json]") {
  // Found by tests/fuzz/json_fuzz.cpp: "184467440737091.5e300" parsed as infinity, which
  // write_json cannot write (the document came out cut short, no longer JSON).
  for (const char* text :
       {"[184467440737091.5e300]", R"({"a":-1844674407370955161.6e300})", "1e400"}) {
    INFO(text);
    auto r = parse_json(text);
    REQUIRE_FALSE(r);
    CHECK(r.code() == errc::malformed_json);
  }
  auto big = parse_ok("[1.5e308,-1.5e300,2.5e-300]");
  CHECK(parse_json(write_json(big)));
}

TEST_CASE("parse_json rejects invalid UTF-8", "[core][json]") {
  auto r = parse_json("{\"a\":\"\xff\xfe\"}");
  REQUIRE_FALSE(r);
  CHECK(r.code() == errc::malformed_json);
  CHECK(r.error().detail == "at offset 6: invalid UTF-8 encoding");
  // Past the eight-byte ASCII steps, in a name, and a sequence cut by the end of a string.
  auto late = parse_json("{\"abcdefghijklmnop\":\"\xed\xa0\x80\"}");
  REQUIRE_FALSE(late);
  CHECK(late.error().detail == "at offset 21: invalid UTF-8 encoding");
  CHECK(parse_json("{\"n\xc3\":1}").code() == errc::malformed_json);
  CHECK(parse_json("[\"\xe0\xb8\"]").code() == errc::malformed_json);
  auto thai = parse_json(
      "{\"firstNameTh\":\"\xe0\xb8\xaa\xe0\xb8\xa1\xe0\xb8\x8a\xe0\xb8\xb2\xe0\xb8\xa2\"}");
  REQUIRE(thai);
  CHECK((*thai)["firstNameTh"].GetStringLength() == 15);
}

TEST_CASE("first_invalid_utf8 finds the first bad byte, in and after ASCII runs", "[core][json]") {
  using namespace std::string_view_literals;
  CHECK_FALSE(first_invalid_utf8(""sv));
  CHECK_FALSE(
      first_invalid_utf8("0123456789abcdef\xe0\xb8\xaa"
                         "0123456789"sv));
  CHECK(first_invalid_utf8("0123456789abcdef\x80"sv) == 16u);
  CHECK(first_invalid_utf8("01234567\xc3"sv) == 8u);
  CHECK(first_invalid_utf8("0123\xff"
                           "4567890123"sv) == 4u);
  CHECK(first_invalid_utf8("\xe0\xb8\xaa"
                           "012345678\xc0\xaf"sv) == 12u);
}

TEST_CASE("parse_json enforces the size limit on both sides", "[core][json]") {
  json_limits limits;
  limits.max_bytes = 10;
  CHECK(parse_json("[1,2,3,44]", limits));  // exactly 10 bytes
  auto r = parse_json("[1,2,3,444]", limits);
  REQUIRE_FALSE(r);
  CHECK(r.code() == errc::payload_too_large);
}

TEST_CASE("parse_json enforces the depth limit on both sides", "[core][json]") {
  json_limits limits;
  limits.max_depth = 5;
  CHECK(parse_json(nested_arrays(5), limits));
  auto deep = parse_json(nested_arrays(6), limits);
  REQUIRE_FALSE(deep);
  CHECK(deep.code() == errc::malformed_json);
  CHECK_THAT(deep.error().detail, Contains("deeper than 5"));

  // The default limit is 32.
  CHECK(parse_json(nested_arrays(32)));
  CHECK_FALSE(parse_json(nested_arrays(33)));
  // Objects count too.
  CHECK_FALSE(parse_json(R"({"a":{"b":{"c":{"d":{"e":{"f":1}}}}}})", limits));
}

TEST_CASE("brackets inside strings do not count towards depth", "[core][json]") {
  json_limits limits;
  limits.max_depth = 2;
  CHECK(parse_json(R"({"a":"[[[[{{{{", "b":["\"[[[["]})", limits));
  CHECK(parse_json(R"(["\\", [1]])", limits));  // an escaped backslash ends before the quote
}

TEST_CASE("json_object reads typed members", "[core][json]") {
  auto doc = parse_ok(R"({"s":"text","i":-7,"b":true,"list":["x","y"],"n":null,"d":1.5,"o":{}})");
  auto obj = json_object::of(doc, "policy");
  REQUIRE(obj);
  CHECK(obj->has("s"));
  CHECK_FALSE(obj->has("missing"));
  CHECK(*obj->string("s") == "text");
  CHECK(*obj->integer("i") == -7);
  CHECK(*obj->boolean("b") == true);
  CHECK(*obj->boolean("missing", false) == false);
  CHECK(*obj->strings("list") == std::vector<std::string>{"x", "y"});
  CHECK(obj->optional_strings("missing")->empty());
  CHECK_FALSE(obj->optional_string("missing")->has_value());
  CHECK_FALSE(obj->optional_string("n")->has_value());
  CHECK(*obj->optional_string("s") == std::optional<std::string>("text"));
  CHECK(*obj->optional_integer("i") == std::optional<std::int64_t>(-7));
  CHECK_FALSE(obj->optional_integer("missing")->has_value());
  REQUIRE(obj->member("o"));
  CHECK((*obj->member("o"))->IsObject());
  CHECK(obj->find("missing") == nullptr);
}

TEST_CASE("json_object errors name the field and the rule", "[core][json]") {
  auto doc = parse_ok(R"({"s":1,"i":"x","d":1.5,"b":"yes","list":["x",2],"notlist":"x"})");
  json_object obj(doc, "policy.purposes[2]", errc::invalid_policy);

  auto check_fails = [](const auto& r, const std::string& wanted) {
    INFO(wanted);
    REQUIRE_FALSE(r);
    CHECK(r.code() == errc::invalid_policy);
    CHECK_THAT(r.error().detail, Contains(wanted));
  };
  check_fails(obj.string("missing"), "policy.purposes[2].missing: is required");
  check_fails(obj.string("s"), "policy.purposes[2].s: must be a string");
  check_fails(obj.integer("i"), "policy.purposes[2].i: must be an integer");
  check_fails(obj.integer("d"), "policy.purposes[2].d: must be an integer");
  check_fails(obj.integer("missing"), "is required");
  check_fails(obj.boolean("b"), "policy.purposes[2].b: must be true or false");
  check_fails(obj.boolean("missing"), "is required");
  check_fails(obj.strings("list"), "policy.purposes[2].list: must be an array of strings");
  check_fails(obj.strings("notlist"), "must be an array of strings");
  check_fails(obj.optional_strings("list"), "must be an array of strings");
  check_fails(obj.optional_string("s"), "must be a string");
  check_fails(obj.optional_integer("i"), "must be an integer");
  check_fails(obj.member("missing"), "policy.purposes[2].missing: is required");
}

TEST_CASE("json_object without a prefix names the bare field", "[core][json]") {
  auto doc = parse_ok(R"({})");
  json_object obj(doc, "");
  auto r = obj.string("name");
  REQUIRE_FALSE(r);
  CHECK(r.code() == errc::malformed_json);
  CHECK(r.error().detail == "name: is required");
}

TEST_CASE("json_object::of rejects non-objects", "[core][json]") {
  auto doc = parse_ok("[1]");
  auto r = json_object::of(doc, "", errc::invalid_policy);
  REQUIRE_FALSE(r);
  CHECK(r.code() == errc::invalid_policy);
  CHECK_THAT(r.error().detail, Contains("document: must be an object"));
  auto named = json_object::of(doc, "policy");
  REQUIRE_FALSE(named);
  CHECK_THAT(named.error().detail, Contains("policy: must be an object"));
}

// Regression: member lookup used to go through RapidJSON's `const char*` overload, which reads
// up to a NUL and so ignored the string_view's length.
TEST_CASE("json_object looks members up by the exact name, not up to a NUL", "[core][json]") {
  auto doc = parse_ok(R"({"name":"short","nameSuffix":"long"})");
  json_object obj(doc, "");
  const std::string buffer = "nameSuffix";
  std::string_view prefix = std::string_view(buffer).substr(0, 4);  // "name", no NUL after it
  auto r = obj.string(prefix);
  REQUIRE(r);
  CHECK(*r == "short");

  auto only_long = parse_ok(R"({"nameSuffix":"long"})");
  json_object other(only_long, "");
  CHECK_FALSE(other.has(prefix));
}

TEST_CASE("find_unexpected_member names the first unknown member", "[core][json]") {
  const std::array<std::string_view, 2> known = {"a", "b"};
  CHECK_FALSE(find_unexpected_member(parse_ok(R"({"a": 1, "b": 2})"), known));
  CHECK_FALSE(find_unexpected_member(parse_ok(R"({})"), known));
  const auto doc = parse_ok(R"({"a": 1, "c": 2, "d": 3})");
  auto unknown = find_unexpected_member(doc, known);
  REQUIRE(unknown);
  CHECK(unknown->name == "c");
  CHECK_FALSE(unknown->repeated);
  // A braced list works too, and a name is compared whole, not up to a NUL.
  const auto with_nul = parse_ok(R"({"a\u0000b": 1})");
  auto nul = find_unexpected_member(with_nul, {"a"});
  REQUIRE(nul);
  CHECK(nul->name == std::string_view("a\0b", 3));
  CHECK_FALSE(find_unexpected_member(parse_ok("[1]"), known));  // not an object: nothing
}

TEST_CASE("find_unexpected_member refuses repeats only when asked, in member order",
          "[core][json]") {
  const std::array<std::string_view, 2> known = {"a", "b"};
  const auto twice = parse_ok(R"({"a": 1, "b": 2, "a": 3, "c": 4})");
  auto unknown = find_unexpected_member(twice, known);
  REQUIRE(unknown);
  CHECK(unknown->name == "c");
  auto repeated = find_unexpected_member(twice, known, true);
  REQUIRE(repeated);
  CHECK(repeated->name == "a");
  CHECK(repeated->repeated);
  const auto unknown_first = parse_ok(R"({"c": 1, "a": 2, "a": 3})");
  auto first = find_unexpected_member(unknown_first, known, true);
  REQUIRE(first);
  CHECK(first->name == "c");
  CHECK_FALSE(first->repeated);
}
