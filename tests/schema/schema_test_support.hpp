// Helpers shared by the schema tests: load schema files and sample records from the source tree,
// and mutate a record at a JSON pointer to build the invalid cases.
#pragma once

#include <rapidjson/pointer.h>
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <string>
#include <utility>

#include "schema/record_schema.hpp"

namespace saphan::testing {

inline std::string read_source_file(const std::string& relative) {
  std::ifstream in(std::string(SAPHAN_SOURCE_DIR) + "/" + relative, std::ios::binary);
  REQUIRE(in.good());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

inline record_schema load_schema(const std::string& name) {
  auto schema = record_schema::compile(read_source_file("schemas/" + name + ".schema.json"));
  INFO(name << ": " << (schema ? std::string() : schema.error().detail));
  REQUIRE(schema);
  return std::move(schema).value();
}

inline rapidjson::Document parse_document(const std::string& text) {
  auto doc = parse_json(text);
  INFO(text);
  REQUIRE(doc);
  return std::move(doc).value();
}

inline rapidjson::Document load_record(const std::string& name) {
  return parse_document(read_source_file("tests/data/records/" + name + ".json"));
}

// The container holding the last token of `pointer`, and that token. (rapidjson::Pointer's own
// Set and Erase do not compile with RAPIDJSON_NOMEMBERITERATORCLASS in RapidJSON 1.1.0.)
inline std::pair<rapidjson::Value*, std::string> parent_of(rapidjson::Document& doc,
                                                           const std::string& pointer) {
  auto slash = pointer.rfind('/');
  REQUIRE(slash != std::string::npos);
  auto* parent = rapidjson::Pointer(pointer.substr(0, slash).c_str()).Get(doc);
  REQUIRE(parent != nullptr);
  return {parent, pointer.substr(slash + 1)};
}

// Sets the value at `pointer` (adding the member if needed) to the JSON in `json_text`.
inline void set_at(rapidjson::Document& doc, const std::string& pointer,
                   const std::string& json_text) {
  auto parsed = parse_document(json_text);
  rapidjson::Value value(parsed, doc.GetAllocator());
  auto [parent, token] = parent_of(doc, pointer);
  if (parent->IsArray()) {
    auto index = static_cast<rapidjson::SizeType>(std::stoul(token));
    REQUIRE(index < parent->Size());
    (*parent)[index] = value;
    return;
  }
  REQUIRE(parent->IsObject());
  rapidjson::Value key(token.c_str(), static_cast<rapidjson::SizeType>(token.size()),
                       doc.GetAllocator());
  auto it = parent->FindMember(key);
  if (it != parent->MemberEnd()) {
    it->value = value;
  } else {
    parent->AddMember(key, value, doc.GetAllocator());
  }
}

inline void erase_at(rapidjson::Document& doc, const std::string& pointer) {
  auto [parent, token] = parent_of(doc, pointer);
  REQUIRE(parent->IsObject());
  rapidjson::Value key(rapidjson::StringRef(token.c_str(), token.size()));
  REQUIRE(parent->RemoveMember(key));
}

// An array of `count` copies of the array's first element.
inline void fill_array(rapidjson::Document& doc, const std::string& pointer, std::size_t count) {
  auto* array = rapidjson::Pointer(pointer.c_str()).Get(doc);
  REQUIRE(array != nullptr);
  REQUIRE(array->IsArray());
  REQUIRE(!array->Empty());
  rapidjson::Value first((*array)[0], doc.GetAllocator());
  array->Clear();
  for (std::size_t i = 0; i < count; ++i)
    array->PushBack(rapidjson::Value(first, doc.GetAllocator()), doc.GetAllocator());
}

inline void check_violation(const record_schema& schema, const rapidjson::Document& doc,
                            const std::string& wanted) {
  auto r = schema.validate(doc);
  INFO("record: " << write_json(doc));
  REQUIRE_FALSE(r);
  CHECK(r.code() == errc::schema_violation);
  CHECK_THAT(r.error().detail, Catch::Matchers::Contains(wanted));
}

inline void check_valid(const record_schema& schema, const rapidjson::Document& doc) {
  auto r = schema.validate(doc);
  INFO("record: " << write_json(doc) << "\nerror: " << (r ? std::string() : r.error().detail));
  CHECK(r);
}

}  // namespace saphan::testing
