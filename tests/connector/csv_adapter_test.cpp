#include <catch2/catch.hpp>

#include "connectors/csv/csv_adapter.hpp"
#include "connectors/registry.hpp"
#include "core/json.hpp"
#include "test_support.hpp"

using namespace saphan;
using namespace saphan::connector;
using saphan::connector::testing::temp_dir;

namespace {

result<std::shared_ptr<record_adapter>> make(const std::string& json, const std::string& base) {
  auto doc = parse_json(json);
  REQUIRE(doc);
  return make_adapter(*doc, base, "adapter");
}

const char* person_csv =
    "citizen_id,first_name_th,last_name_en,moo,alive\r\n"
    "1101700203451,\"สมชาย\",\"Jai-dee, \"\"Som\"\"\",5,true\r\n"
    "3100600123456,\"มานี\",\"Line\nbreak\",,false\r\n";

}  // namespace

TEST_CASE("parse_csv follows RFC 4180", "[connector]") {
  auto rows = parse_csv("a,b\r\n\"x,1\",\"say \"\"hi\"\"\"\r\n\"multi\nline\",\n");
  REQUIRE(rows);
  REQUIRE(rows->size() == 3);
  CHECK((*rows)[1] == csv_row{"x,1", "say \"hi\""});
  CHECK((*rows)[2] == csv_row{"multi\nline", ""});

  auto no_final_newline = parse_csv("a,b\n1,2");
  REQUIRE(no_final_newline);
  CHECK(no_final_newline->size() == 2);

  auto bom = parse_csv(
      "\xEF\xBB\xBF"
      "a\n1\n");
  REQUIRE(bom);
  CHECK((*bom)[0][0] == "a");

  auto blank_lines = parse_csv("a,b\n\n1,2\n\n");
  REQUIRE(blank_lines);
  CHECK(blank_lines->size() == 2);
}

TEST_CASE("parse_csv rejects broken files naming the line", "[connector]") {
  struct bad_case {
    const char* text;
    const char* detail;
  };
  const bad_case cases[] = {
      {"a,b\n1,2,3\n", "line 2"},  {"a,b\n1\n", "line 2"},        {"a,b\n\"open,2\n", "line 2"},
      {"a,b\nx\"y,2\n", "line 2"}, {"a,b\n\"x\"y,2\n", "line 2"}, {"a,b\r1,2\n", "line 1"},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    auto rows = parse_csv(c.text);
    REQUIRE_FALSE(rows);
    CHECK(rows.error().code == errc::invalid_argument);
    CHECK(rows.error().detail.find(c.detail) != std::string::npos);
  }
}

TEST_CASE("parse_csv bounds columns and size", "[connector]") {
  std::string header;
  for (std::size_t i = 0; i < max_csv_columns; ++i)
    header += (i ? ",c" : "c") + std::to_string(i);
  CHECK(parse_csv(header + "\n"));
  CHECK_FALSE(parse_csv(header + ",extra\n"));
  std::string huge(max_csv_bytes + 1, 'a');
  auto too_big = parse_csv(huge);
  REQUIRE_FALSE(too_big);
  CHECK(too_big.error().code == errc::payload_too_large);
}

TEST_CASE("csv adapter maps columns to typed fields", "[connector]") {
  temp_dir dir;
  dir.write("data/person.csv", person_csv);
  auto adapter = make(R"({"type":"csv","path":"data/person.csv","keyColumn":"citizen_id",
      "fields":{"citizenId":"citizen_id","firstNameTh":"first_name_th","lastNameEn":"last_name_en",
                "moo":"moo","alive":"alive"},
      "types":{"moo":"integer","alive":"boolean"}})",
                      dir.path());
  REQUIRE(adapter);
  CHECK((*adapter)->type() == "csv");
  auto found = (*adapter)->fetch("1101700203451");
  REQUIRE(found);
  REQUIRE(found->has_value());
  auto doc = parse_json(**found);
  REQUIRE(doc);
  CHECK(std::string((*doc)["firstNameTh"].GetString()) == "สมชาย");
  CHECK(std::string((*doc)["lastNameEn"].GetString()) == "Jai-dee, \"Som\"");
  CHECK((*doc)["moo"].GetInt64() == 5);
  CHECK((*doc)["alive"].GetBool());

  // An empty cell leaves the member out.
  auto second = (*adapter)->fetch("3100600123456");
  REQUIRE(second);
  REQUIRE(second->has_value());
  auto doc2 = parse_json(**second);
  REQUIRE(doc2);
  CHECK_FALSE(doc2->HasMember("moo"));
  CHECK(std::string((*doc2)["lastNameEn"].GetString()) == "Line\nbreak");

  auto missing = (*adapter)->fetch("1234567890121");
  REQUIRE(missing);
  CHECK_FALSE(missing->has_value());
}

TEST_CASE("csv adapter without fields uses every column by name", "[connector]") {
  temp_dir dir;
  dir.write("p.csv", "id,name\n1,a\n");
  auto adapter = make(R"({"type":"csv","path":"p.csv","keyColumn":"id"})", dir.path());
  REQUIRE(adapter);
  auto found = (*adapter)->fetch("1");
  REQUIRE(found);
  REQUIRE(found->has_value());
  CHECK(**found == R"({"id":"1","name":"a"})");
}

TEST_CASE("csv adapter config and data errors", "[connector]") {
  temp_dir dir;
  dir.write("p.csv", "id,n\n1,x\n");
  dir.write("dup.csv", "id,n\n1,x\n1,y\n");
  dir.write("empty.csv", "");
  struct bad_case {
    const char* json;
    const char* detail;
  };
  const bad_case cases[] = {
      {R"({"type":"csv","path":"none.csv","keyColumn":"id"})", "adapter.path"},
      {R"({"type":"csv","path":"p.csv","keyColumn":"nope"})", "adapter.keyColumn"},
      {R"({"type":"csv","path":"p.csv","keyColumn":"id","fields":{"a":"nope"}})",
       "adapter.fields.a"},
      {R"({"type":"csv","path":"p.csv","keyColumn":"id","fields":{}})", "adapter.fields"},
      {R"({"type":"csv","path":"p.csv","keyColumn":"id","types":{"n":"date"}})", "adapter.types.n"},
      {R"({"type":"csv","path":"p.csv","keyColumn":"id","types":{"zz":"integer"}})",
       "adapter.types.zz"},
      {R"({"type":"csv","path":"p.csv","keyColumn":"id","types":{"n":"integer"}})", "field n"},
      {R"({"type":"csv","path":"dup.csv","keyColumn":"id"})", "appears twice"},
      {R"({"type":"csv","path":"empty.csv","keyColumn":"id"})", "no header"},
      {R"({"type":"csv","path":"p.csv","keyColumn":"id","delimiter":";"})", "adapter.delimiter"},
  };
  for (const auto& c : cases) {
    INFO(c.json);
    auto adapter = make(c.json, dir.path());
    REQUIRE_FALSE(adapter);
    CHECK(adapter.error().code == errc::invalid_argument);
    CHECK(adapter.error().detail.find(c.detail) != std::string::npos);
  }
}

TEST_CASE("adapter factory rejects unknown types and non-objects", "[connector]") {
  auto doc = parse_json(R"({"type":"postgres"})");
  REQUIRE(doc);
  auto unknown = make_adapter(*doc, "", "adapter");
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().detail.find("adapter.type") == 0);
  CHECK(unknown.error().detail.find("sqlite, csv, http") != std::string::npos);
  auto array = parse_json("[]");
  REQUIRE(array);
  CHECK_FALSE(make_adapter(*array, "", "adapter"));
}
