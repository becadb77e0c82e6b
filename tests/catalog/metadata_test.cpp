#include <catch2/catch.hpp>

#include "catalog/metadata.hpp"

using namespace saphan;

namespace {

const char* const complete_metadata = R"({
  "title": "Civil registration: person", "ownerAgency": "DOPA",
  "contactName": "Bureau of Registration Administration",
  "contactEmail": "registration@dopa.example.go.th",
  "objective": "Verify identity", "keywords": ["citizen", "identity"],
  "description": "One record per citizen", "updateFrequency": "daily",
  "geographicCoverage": "Thailand", "source": "Central Registration Database",
  "format": "JSON", "dataCategory": "personal data",
  "license": "Restricted", "accessConditions": "Consumers named in the policy"})";

rapidjson::Document complete_doc() {
  auto doc = parse_json(complete_metadata);
  REQUIRE(doc);
  return std::move(*doc);
}

void set_string(rapidjson::Document& doc, const char* name, const std::string& value) {
  doc[name].SetString(value.c_str(), static_cast<rapidjson::SizeType>(value.size()),
                      doc.GetAllocator());
}

result<catalog_metadata> parse_with_email(const std::string& email) {
  auto doc = complete_doc();
  set_string(doc, "contactEmail", email);
  return metadata_from_json(doc);
}

}  // namespace

TEST_CASE("complete metadata parses into all 14 fields", "[catalog][metadata]") {
  auto doc = complete_doc();
  auto meta = metadata_from_json(doc);
  REQUIRE(meta);
  CHECK(meta->title == "Civil registration: person");
  CHECK(meta->owner_agency == "DOPA");
  CHECK(meta->contact_email == "registration@dopa.example.go.th");
  CHECK(meta->keywords == std::vector<std::string>{"citizen", "identity"});
  CHECK(meta->geographic_coverage == "Thailand");
  CHECK(meta->access_conditions == "Consumers named in the policy");
}

TEST_CASE("the 14 metadata field names are listed in the header's order", "[catalog][metadata]") {
  CHECK(catalog_metadata_fields() ==
        std::vector<std::string>{"title", "ownerAgency", "contactName", "contactEmail", "objective",
                                 "keywords", "description", "updateFrequency", "geographicCoverage",
                                 "source", "format", "dataCategory", "license",
                                 "accessConditions"});
}

TEST_CASE("metadata round-trips through its JSON form", "[catalog][metadata]") {
  auto doc = complete_doc();
  auto meta = metadata_from_json(doc);
  REQUIRE(meta);
  rapidjson::Document out;
  metadata_to_json(*meta, out, out.GetAllocator());
  auto back = metadata_from_json(out);
  REQUIRE(back);
  CHECK(*back == *meta);
  CHECK(out.MemberCount() == 14);
}

TEST_CASE("each missing metadata field is named", "[catalog][metadata]") {
  for (const auto& field : catalog_metadata_fields()) {
    INFO(field);
    auto doc = complete_doc();
    REQUIRE(doc.RemoveMember(field.c_str()));
    auto meta = metadata_from_json(doc);
    REQUIRE_FALSE(meta);
    CHECK(meta.code() == errc::missing_metadata);
    CHECK(meta.error().detail == "metadata." + field + ": is required");
  }
}

TEST_CASE("each empty metadata field is named", "[catalog][metadata]") {
  for (const auto& field : catalog_metadata_fields()) {
    INFO(field);
    auto doc = complete_doc();
    if (field == "keywords") {
      doc["keywords"].SetArray();
    } else {
      set_string(doc, field.c_str(), "");
    }
    auto meta = metadata_from_json(doc);
    REQUIRE_FALSE(meta);
    CHECK(meta.code() == errc::missing_metadata);
    CHECK(meta.error().detail.rfind("metadata." + field + ": is required", 0) == 0);
  }
}

TEST_CASE("the first missing field in header order is the one named", "[catalog][metadata]") {
  auto doc = complete_doc();
  doc.RemoveMember("license");
  doc.RemoveMember("contactEmail");
  doc.RemoveMember("keywords");
  auto meta = metadata_from_json(doc);
  REQUIRE_FALSE(meta);
  CHECK(meta.error().detail == "metadata.contactEmail: is required");
}

TEST_CASE("keywords must be non-empty strings, at most 64", "[catalog][metadata]") {
  auto doc = complete_doc();
  auto& alloc = doc.GetAllocator();
  doc["keywords"].PushBack("", alloc);
  auto empty_item = metadata_from_json(doc);
  REQUIRE_FALSE(empty_item);
  CHECK(empty_item.error().detail == "metadata.keywords[2]: must not be empty");

  doc["keywords"].SetArray();
  for (int i = 0; i < 64; ++i)
    doc["keywords"].PushBack("k", alloc);
  CHECK(metadata_from_json(doc));
  doc["keywords"].PushBack("k", alloc);
  auto too_many = metadata_from_json(doc);
  REQUIRE_FALSE(too_many);
  CHECK(too_many.error().detail.rfind("metadata.keywords: at most 64", 0) == 0);

  doc["keywords"].SetString("citizen");
  auto not_list = metadata_from_json(doc);
  REQUIRE_FALSE(not_list);
  CHECK(not_list.code() == errc::missing_metadata);
  CHECK(not_list.error().detail.rfind("metadata.keywords: ", 0) == 0);
}

TEST_CASE("the contact email must look like an email", "[catalog][metadata]") {
  CHECK(parse_with_email("a@b.go.th"));
  CHECK(parse_with_email("first.last+data@example.go.th"));
  for (const char* bad : {"registration", "@dopa.go.th", "a@b", "a@@b.th", "a@b@c.th", "a b@c.th",
                          "a@.b.th", "a@b.th.", "a@b..th"}) {
    INFO(bad);
    auto meta = parse_with_email(bad);
    REQUIRE_FALSE(meta);
    CHECK(meta.code() == errc::missing_metadata);
    CHECK(meta.error().detail.rfind("metadata.contactEmail: must be an email", 0) == 0);
  }
  auto local = std::string(240, 'a') + "@example.th";  // 251 bytes
  CHECK(parse_with_email(local + "abc"));              // 254: the limit
  CHECK_FALSE(parse_with_email(local + "abcd"));       // 255
}

TEST_CASE("metadata text fields are bounded at 4096 bytes", "[catalog][metadata]") {
  auto doc = complete_doc();
  set_string(doc, "description", std::string(4096, 'd'));
  CHECK(metadata_from_json(doc));
  set_string(doc, "description", std::string(4097, 'd'));
  auto meta = metadata_from_json(doc);
  REQUIRE_FALSE(meta);
  CHECK(meta.error().detail.rfind("metadata.description: at most 4096", 0) == 0);
}

TEST_CASE("metadata fields of the wrong type are named", "[catalog][metadata]") {
  auto doc = complete_doc();
  doc["format"].SetInt(3);
  auto meta = metadata_from_json(doc);
  REQUIRE_FALSE(meta);
  CHECK(meta.code() == errc::missing_metadata);
  CHECK(meta.error().detail == "metadata.format: must be a string");

  auto not_object = parse_json("[]");
  REQUIRE(not_object);
  auto bad = metadata_from_json(*not_object);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().detail == "metadata: must be an object");
}
