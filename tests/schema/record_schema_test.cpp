#include <catch2/catch.hpp>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "schema/record_schema.hpp"
#include "schema_test_support.hpp"

using namespace saphan;
using namespace saphan::testing;
using Catch::Matchers::Contains;

namespace {

record_schema compile_ok(const std::string& text) {
  auto r = record_schema::compile(text);
  INFO(text << "\n" << (r ? std::string() : r.error().detail));
  REQUIRE(r);
  return std::move(r).value();
}

void check_invalid_schema(const std::string& text, const std::string& wanted) {
  auto r = record_schema::compile(text);
  INFO(text);
  REQUIRE_FALSE(r);
  CHECK(r.code() == errc::invalid_schema);
  CHECK_THAT(r.error().detail, Contains(wanted));
}

void check_text_violation(const record_schema& schema, const std::string& record,
                          const std::string& wanted) {
  auto r = schema.validate_text(record);
  INFO(record);
  REQUIRE_FALSE(r);
  CHECK(r.code() == errc::schema_violation);
  CHECK_THAT(r.error().detail, Contains(wanted));
}

// Valid: 1103702071811. Same prefix, wrong check digit: 1103702071812.
const std::string id_schema = R"({
  "type": "object",
  "properties": {
    "id": {"type": "string", "format": "thai-id"},
    "people": {"type": "array", "items": {"type": "object", "properties": {
      "info": {"type": "object", "properties": {"id": {"type": "string", "format": "thai-id"}}}}}},
    "pair": {"type": "array",
             "items": [{"type": "string"}, {"type": "string", "format": "thai-id"}]},
    "byName": {"type": "object", "additionalProperties": {"type": "string", "format": "thai-id"}},
    "both": {"allOf": [{"type": "string"}, {"format": "thai-id"}]},
    "viaRef": {"$ref": "#/definitions/alias"}
  },
  "definitions": {
    "alias": {"$ref": "#/definitions/id"},
    "id": {"type": "string", "format": "thai-id"}
  }
})";

}  // namespace

TEST_CASE("compile rejects what is not a usable schema", "[schema]") {
  check_invalid_schema("not json", "not JSON");
  check_invalid_schema("{\"properties\": {}", "not JSON");
  check_invalid_schema("[1, 2]", "must be a JSON object");
  check_invalid_schema("\"schema\"", "must be a JSON object");
  check_invalid_schema("{}", "top-level \"properties\"");
  check_invalid_schema(R"({"type": "object"})", "top-level \"properties\"");
  check_invalid_schema(R"({"properties": ["a"]})", "top-level \"properties\"");
  check_invalid_schema(std::string(40, '[') + std::string(40, ']'), "not JSON");
}

TEST_CASE("compile rejects references RapidJSON would silently ignore", "[schema]") {
  check_invalid_schema(R"({"properties": {"a": {"$ref": "address.schema.json#/x"}}})",
                       "remote references are not allowed");
  check_invalid_schema(R"({"properties": {"a": {"$ref": "https://example.org/s.json"}}})",
                       "/properties/a: $ref must be local");
  check_invalid_schema(R"({"properties": {"a": {"$ref": "#/definitions/missing"}}})",
                       "/properties/a: $ref does not resolve");
  check_invalid_schema(R"({"properties": {"a": {"$ref": 5}}})", "$ref must be local");
  check_invalid_schema(R"({"properties": {"a": {"$ref": "#/definitions/x"}},
                           "definitions": {"x": {"$ref": "#/definitions/y"},
                                           "y": {"$ref": "#/definitions/x"}}})",
                       "a cycle");
  // Nested deeper: inside array items.
  check_invalid_schema(R"({"properties": {"a": {"items": {"$ref": "#/nowhere"}}}})",
                       "/properties/a/items: $ref does not resolve");
  // A local reference that resolves is fine.
  CHECK(record_schema::compile(R"({"properties": {"a": {"$ref": "#/definitions/x"}},
                                   "definitions": {"x": {"type": "string"}}})"));
}

TEST_CASE("compile rejects patterns the validator cannot compile", "[schema]") {
  check_invalid_schema(R"({"properties": {"a": {"pattern": "^[a-"}}})", "/properties/a: pattern");
  // RapidJSON 1.1.0's regex parser asserts (aborts the process) on these; compile() must refuse
  // them before RapidJSON sees them.
  for (const char* pattern :
       {"(ab", "{1", "x(^)", "-.()", "a(|b)", "^$", "a{1001}", "a{3,2}", "\\\\q"}) {
    check_invalid_schema(std::string(R"({"properties": {"a": {"pattern": ")") + pattern + "\"}}}",
                         "/properties/a: pattern");
  }
  CHECK(record_schema::compile(R"({"properties": {"a": {"pattern": "^a{1000}$"}}})"));
  check_invalid_schema(R"({"properties": {"a": {"pattern": 5}}})", "pattern");
  check_invalid_schema(R"({"properties": {}, "patternProperties": {"[": {}}})",
                       "patternProperties");
  // A property that is merely *named* "pattern" is not a pattern keyword.
  CHECK(record_schema::compile(R"({"properties": {"pattern": {"type": "string"}}})"));
}

TEST_CASE("compile rejects thai-id formats the post-validation walk cannot reach", "[schema]") {
  check_invalid_schema(R"({"properties": {"a": {"anyOf": [{"format": "thai-id"}]}}})",
                       "/properties/a/anyOf/0: \"format\": \"thai-id\" is only checked");
  check_invalid_schema(R"({"properties": {"a": {"oneOf": [{"type": "object",
                           "properties": {"id": {"format": "thai-id"}}}]}}})",
                       "/properties/a/oneOf/0/properties/id");
  check_invalid_schema(R"({"properties": {}, "patternProperties": {"^id": {"format": "thai-id"}}})",
                       "thai-id");
  check_invalid_schema(R"({"properties": {"a": {"not": {"format": "thai-id"}}}})", "thai-id");
  // Other formats there are harmless.
  CHECK(record_schema::compile(R"({"properties": {"a": {"anyOf": [{"format": "email"}]}}})"));
}

TEST_CASE("compile rejects a malformed x-startsWith annotation", "[schema]") {
  check_invalid_schema(R"({"properties": {"a": {"type": "string", "x-startsWith": 1}}})",
                       "x-startsWith must name a sibling property");
}

TEST_CASE("fields are the top-level property names and text is kept", "[schema]") {
  const std::string text =
      R"({"properties": {"b": {}, "a": {"type": "object", "properties": {"inner": {}}}}})";
  auto schema = compile_ok(text);
  CHECK(schema.fields() == std::set<std::string>{"a", "b"});
  CHECK(schema.text() == text);
  auto copy = schema;  // copies share the compiled schema
  CHECK(copy.fields() == schema.fields());
  CHECK(copy.validate_text(R"({"a": {}})"));
}

TEST_CASE("RapidJSON failures name the field and the keyword", "[schema]") {
  auto schema = compile_ok(R"({
    "type": "object",
    "properties": {
      "name": {"type": "string", "pattern": "^[a-z]+$", "maxLength": 5},
      "a/b": {"type": "integer"},
      "list": {"type": "array", "maxItems": 2, "items": {"type": "object",
        "properties": {"x": {"type": "integer"}}, "required": ["x"], "additionalProperties": false}}
    },
    "required": ["name", "list"],
    "additionalProperties": false
  })");
  CHECK(schema.validate_text(R"({"name": "abc", "list": [{"x": 1}]})"));
  check_text_violation(schema, R"({"name": "ABC", "list": []})", "/name: pattern");
  check_text_violation(schema, R"({"name": "abcdef", "list": []})", "/name: maxLength");
  check_text_violation(schema, R"({"name": 5, "list": []})", "/name: type");
  check_text_violation(schema, R"({"name": "a", "list": [], "a/b": "x"})", "/a~1b: type");
  check_text_violation(schema, R"({"name": "a", "list": [{"x": 1}, {"x": 2}, {"x": 3}]})",
                       "/list: maxItems");
  check_text_violation(schema, R"({"name": "a", "list": [{"x": 1}, {}]})", "/list/1/x: required");
  check_text_violation(schema, R"({"name": "a", "list": [{"x": 1, "y": 2}]})",
                       "/list/0/y: additionalProperties");
  check_text_violation(schema, R"({"name": "a", "list": [], "extra": true})",
                       "/extra: additionalProperties");
  check_text_violation(schema, R"([1])", "(root): type");
  // Every missing required member is named.
  auto r = schema.validate_text("{}");
  REQUIRE_FALSE(r);
  CHECK(r.error().detail == "/name, /list: required");
}

TEST_CASE("thai-id is checked at every depth", "[schema]") {
  auto schema = compile_ok(id_schema);
  const std::string good = "1103702071811";
  const std::string bad = "1103702071812";
  CHECK(schema.validate_text(R"({"id": ")" + good + R"(", "people": [{"info": {"id": ")" + good +
                             R"("}}], "pair": ["x", ")" + good + R"("], "byName": {"k": ")" + good +
                             R"("}, "both": ")" + good + R"(", "viaRef": ")" + good + R"("})"));

  check_text_violation(schema, R"({"id": ")" + bad + R"("})", "/id: thai-id check digit");
  check_text_violation(
      schema,
      R"({"people": [{"info": {"id": ")" + good + R"("}}, {"info": {"id": ")" + bad + R"("}}]})",
      "/people/1/info/id: thai-id check digit");
  check_text_violation(schema, R"({"pair": [")" + bad + R"(", ")" + bad + R"("]})",
                       "/pair/1: thai-id");
  check_text_violation(schema, R"({"byName": {"k": ")" + bad + R"("}})", "/byName/k: thai-id");
  check_text_violation(schema, R"({"both": ")" + bad + R"("})", "/both: thai-id");
  check_text_violation(schema, R"({"viaRef": ")" + bad + R"("})", "/viaRef: thai-id");
}

TEST_CASE("thai-id reports length and character rules", "[schema]") {
  auto schema = compile_ok(id_schema);
  check_text_violation(schema, R"({"id": "110370207181"})",
                       "/id: thai-id must have exactly 13 digits");
  check_text_violation(schema, R"({"id": "11037020718111"})",
                       "/id: thai-id must have exactly 13 digits");
  check_text_violation(schema, R"({"id": "1-1037-020718"})",
                       "/id: thai-id must contain digits only");
}

TEST_CASE("violation details never echo the record's values", "[schema]") {
  auto schema = compile_ok(id_schema);
  auto r = schema.validate_text(R"({"id": "1103702071812"})");
  REQUIRE_FALSE(r);
  CHECK_THAT(r.error().detail, !Contains("1103702071812"));
}

TEST_CASE("date and date-time formats check the calendar", "[schema]") {
  auto schema = compile_ok(R"({"properties": {
    "d": {"type": "string", "format": "date"},
    "t": {"type": "string", "format": "date-time"},
    "n": {"format": "date"}}})");
  CHECK(schema.validate_text(R"({"d": "2024-02-29", "t": "2024-02-29T23:59:59+07:00", "n": 5})"));
  check_text_violation(schema, R"({"d": "2023-02-29"})", "/d: date (no such calendar date)");
  check_text_violation(schema, R"({"d": "2023-04-31"})", "/d: date (no such calendar date)");
  check_text_violation(schema, R"({"d": "2023-4-1"})", "/d: date (must be YYYY-MM-DD)");
  check_text_violation(schema, R"({"t": "2023-02-29T00:00:00Z"})", "/t: date-time");
  check_text_violation(schema, R"({"t": "2023-02-28 00:00:00Z"})", "/t: date-time");
}

TEST_CASE("x-startsWith ties a code to its sibling's prefix", "[schema]") {
  auto schema = compile_ok(R"({"properties": {
    "district": {"type": "string"},
    "subdistrict": {"type": "string", "x-startsWith": "district"}}})");
  CHECK(schema.validate_text(R"({"district": "1001", "subdistrict": "100101"})"));
  CHECK(schema.validate_text(R"({"subdistrict": "100101"})"));  // "required" decides presence
  check_text_violation(schema, R"({"district": "1001", "subdistrict": "100201"})",
                       "/subdistrict: x-startsWith (must start with district)");
  check_text_violation(schema, R"({"district": "1001", "subdistrict": "10"})", "/subdistrict");
}

TEST_CASE("validate_text rejects malformed, oversized and too-deep JSON", "[schema]") {
  auto schema = compile_ok(R"({"properties": {"a": {}}})");
  auto malformed = schema.validate_text(R"({"a": )");
  REQUIRE_FALSE(malformed);
  CHECK(malformed.code() == errc::malformed_json);

  json_limits limits;
  limits.max_depth = 4;
  CHECK(schema.validate_text(R"({"a": [[[1]]]})", limits));
  auto deep = schema.validate_text(R"({"a": [[[[1]]]]})", limits);
  REQUIRE_FALSE(deep);
  CHECK(deep.code() == errc::malformed_json);
  CHECK_THAT(deep.error().detail, Contains("deeper than 4"));

  limits.max_bytes = 8;
  CHECK(schema.validate_text(R"({"a": 1})", limits));  // 8 bytes
  auto large = schema.validate_text(R"({"a": 12})", limits);
  REQUIRE_FALSE(large);
  CHECK(large.code() == errc::payload_too_large);
}

TEST_CASE("one compiled schema validates from many threads", "[schema]") {
  auto schema = load_schema("dopa-house-registration");
  auto good = load_record("dopa-house-registration");
  auto bad = load_record("dopa-house-registration");
  set_at(bad, "/houseId", R"("1001012345")");  // 10 digits: a pattern failure
  const auto good_text = write_json(good);
  const auto bad_text = write_json(bad);
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, copy = schema] {
      for (int i = 0; i < 200; ++i) {
        if (!copy.validate_text(good_text))
          ++wrong;
        if (copy.validate_text(bad_text))
          ++wrong;
      }
    });
  }
  for (auto& thread : threads)
    thread.join();
  CHECK(wrong.load() == 0);
}
