#include <catch2/catch.hpp>

#include <stdlib.h>

#include <filesystem>

#include "catalog/dataset.hpp"
#include "core/files.hpp"

using namespace saphan;

namespace {

const char* const person_schema = R"({"type": "object",
  "properties": {"citizenId": {"type": "string", "format": "thai-id"},
                 "firstNameTh": {"type": "string"}, "lastNameTh": {"type": "string"},
                 "birthDate": {"type": "string"}},
  "required": ["citizenId"]})";

const char* const person_dataset = R"({
  "id": "TH/GOV/DOPA/civil-registry/person@1.0", "schema": "person.schema.json",
  "subjectField": "citizenId", "classification": "confidential",
  "metadata": {"title": "Civil registration: person", "ownerAgency": "DOPA",
    "contactName": "Registration bureau", "contactEmail": "registration@dopa.example.go.th",
    "objective": "Verify identity", "keywords": ["citizen"], "description": "One per citizen",
    "updateFrequency": "daily", "geographicCoverage": "Thailand", "source": "CRD",
    "format": "JSON", "dataCategory": "personal data", "license": "Restricted",
    "accessConditions": "Policy consumers only"},
  "policy": {"grants": [{"consumers": ["TH/GOV/JFO/legal-aid", "group:justice"],
    "rateLimit": {"requests": 600, "windowSeconds": 60},
    "purposes": [{"purpose": "legal-aid-eligibility", "fields": ["citizenId", "firstNameTh"],
                  "lawfulBases": ["consent", "public_task"],
                  "legalInstruments": ["Justice Fund Act B.E. 2558 s.28"],
                  "pseudonymiseSubject": false},
                 {"purpose": "statistics", "fields": ["birthDate"], "lawfulBases": ["consent"],
                  "pseudonymiseSubject": true}]}]}})";

// A scratch schemas directory holding person.schema.json, removed at the end of the test.
class schemas_dir {
 public:
  schemas_dir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "saphan-dataset-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
    REQUIRE(write_file_atomic(path_ + "/person.schema.json", person_schema));
  }
  ~schemas_dir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

rapidjson::Document dataset_doc() {
  auto doc = parse_json(person_dataset);
  REQUIRE(doc);
  return std::move(*doc);
}

void set_string(rapidjson::Value& object, const char* name, const std::string& value,
                rapidjson::Document& doc) {
  object[name].SetString(value.c_str(), static_cast<rapidjson::SizeType>(value.size()),
                         doc.GetAllocator());
}

void require_error(const result<dataset_entry>& entry, errc code, const std::string& prefix) {
  REQUIRE_FALSE(entry);
  INFO(entry.error().detail);
  CHECK(to_string(entry.code()) == to_string(code));
  CHECK(entry.error().detail.rfind(prefix, 0) == 0);
}

}  // namespace

TEST_CASE("a dataset file loads with its schema, metadata and policy", "[catalog][dataset]") {
  schemas_dir dir;
  auto doc = dataset_doc();
  auto entry = dataset_from_json(doc, dir.path());
  REQUIRE(entry);
  CHECK(to_string(entry->id) == "TH/GOV/DOPA/civil-registry/person@1.0");
  CHECK(entry->schema == person_schema);
  CHECK(entry->subject_field == "citizenId");
  CHECK(entry->level == classification::confidential);
  CHECK(entry->metadata.title == "Civil registration: person");
  REQUIRE(entry->policy.grants.size() == 1);
  CHECK(entry->policy.grants[0].purposes.size() == 2);
}

TEST_CASE("the stored form round-trips exactly", "[catalog][dataset]") {
  schemas_dir dir;
  auto doc = dataset_doc();
  auto entry = dataset_from_json(doc, dir.path());
  REQUIRE(entry);
  entry->published_at = *parse_rfc3339("2026-11-21T09:30:00.123456Z");
  auto stored = dataset_to_json(*entry);
  auto back = dataset_from_stored_json(stored);
  REQUIRE(back);
  CHECK(*back == *entry);
  CHECK(dataset_to_json(*back) == stored);
  CHECK(stored.find(R"("publishedAt":"2026-11-21T09:30:00.123456Z")") != std::string::npos);
  CHECK(stored.find(R"("schemaText":)") != std::string::npos);
}

TEST_CASE("the stored form is checked like the file form", "[catalog][dataset]") {
  schemas_dir dir;
  auto doc = dataset_doc();
  auto entry = dataset_from_json(doc, dir.path());
  REQUIRE(entry);
  auto stored = parse_json(dataset_to_json(*entry));
  REQUIRE(stored);

  rapidjson::Document no_time;
  no_time.CopyFrom(*stored, no_time.GetAllocator());
  no_time.RemoveMember("publishedAt");
  require_error(dataset_from_stored_json(write_json(no_time)), errc::invalid_argument,
                "publishedAt: is required");

  rapidjson::Document bad_time;
  bad_time.CopyFrom(*stored, bad_time.GetAllocator());
  set_string(bad_time, "publishedAt", "yesterday", bad_time);
  require_error(dataset_from_stored_json(write_json(bad_time)), errc::invalid_timestamp,
                "publishedAt: ");

  rapidjson::Document no_schema;
  no_schema.CopyFrom(*stored, no_schema.GetAllocator());
  no_schema.RemoveMember("schemaText");
  require_error(dataset_from_stored_json(write_json(no_schema)), errc::invalid_schema,
                "schemaText: is required");

  rapidjson::Document bad_schema;
  bad_schema.CopyFrom(*stored, bad_schema.GetAllocator());
  set_string(bad_schema, "schemaText", R"({"type": "object"})", bad_schema);
  require_error(dataset_from_stored_json(write_json(bad_schema)), errc::invalid_schema, "schema: ");

  require_error(dataset_from_stored_json("{not json"), errc::malformed_json, "at offset");
}

TEST_CASE("the schema file name cannot leave the schemas directory", "[catalog][dataset]") {
  schemas_dir dir;
  auto doc = dataset_doc();
  for (const char* name :
       {"../person.schema.json", "sub/person.schema.json", "/etc/passwd", "..", "a\\b.json", ""}) {
    INFO(name);
    set_string(doc, "schema", name, doc);
    require_error(dataset_from_json(doc, dir.path()), errc::invalid_schema, "schema: ");
  }
  set_string(doc, "schema", "missing.schema.json", doc);
  require_error(dataset_from_json(doc, dir.path()), errc::io_error, dir.path());
  doc.RemoveMember("schema");
  require_error(dataset_from_json(doc, dir.path()), errc::invalid_schema, "schema: is required");
}

TEST_CASE("a schema that does not compile is invalid_schema", "[catalog][dataset]") {
  schemas_dir dir;
  REQUIRE(write_file_atomic(dir.path() + "/broken.schema.json", R"({"type": "object"})"));
  REQUIRE(write_file_atomic(dir.path() + "/garbage.schema.json", "not json"));
  auto doc = dataset_doc();
  set_string(doc, "schema", "broken.schema.json", doc);
  require_error(dataset_from_json(doc, dir.path()), errc::invalid_schema, "schema: ");
  set_string(doc, "schema", "garbage.schema.json", doc);
  require_error(dataset_from_json(doc, dir.path()), errc::invalid_schema, "schema: ");
}

TEST_CASE("the subject field must be a schema field", "[catalog][dataset]") {
  schemas_dir dir;
  auto doc = dataset_doc();
  set_string(doc, "subjectField", "citizenID", doc);
  require_error(dataset_from_json(doc, dir.path()), errc::invalid_schema, "subjectField: ");
  doc.RemoveMember("subjectField");
  require_error(dataset_from_json(doc, dir.path()), errc::invalid_argument,
                "subjectField: is required");
}

TEST_CASE("policy fields must exist in the schema", "[catalog][dataset]") {
  schemas_dir dir;
  auto doc = dataset_doc();
  auto& fields = doc["policy"]["grants"][0]["purposes"][1]["fields"];
  fields.PushBack("religion", doc.GetAllocator());
  auto entry = dataset_from_json(doc, dir.path());
  require_error(entry, errc::invalid_policy, "policy.grants[0].purposes[1].fields: ");
  CHECK(entry.error().detail.find("religion") != std::string::npos);
}

TEST_CASE("dataset file errors name their field and carry their code", "[catalog][dataset]") {
  schemas_dir dir;
  auto doc = dataset_doc();
  set_string(doc, "classification", "classified", doc);
  require_error(dataset_from_json(doc, dir.path()), errc::invalid_argument, "classification: ");
  doc.RemoveMember("classification");
  require_error(dataset_from_json(doc, dir.path()), errc::invalid_argument,
                "classification: is required");

  doc = dataset_doc();
  set_string(doc, "id", "TH/GOV/DOPA/civil-registry/person", doc);
  require_error(dataset_from_json(doc, dir.path()), errc::invalid_dataset_id, "id: ");

  doc = dataset_doc();
  doc["metadata"].RemoveMember("license");
  require_error(dataset_from_json(doc, dir.path()), errc::missing_metadata,
                "metadata.license: is required");
  doc.RemoveMember("metadata");
  require_error(dataset_from_json(doc, dir.path()), errc::missing_metadata,
                "metadata: is required");

  doc = dataset_doc();
  doc["policy"]["grants"][0]["consumers"].SetArray();
  require_error(dataset_from_json(doc, dir.path()), errc::invalid_policy,
                "policy.grants[0].consumers: must not be empty");
  doc.RemoveMember("policy");
  require_error(dataset_from_json(doc, dir.path()), errc::invalid_policy, "policy: is required");
}

TEST_CASE("schema_fields lists the top-level properties", "[catalog][dataset]") {
  auto fields = schema_fields(person_schema);
  REQUIRE(fields);
  CHECK(*fields == std::set<std::string>{"citizenId", "firstNameTh", "lastNameTh", "birthDate"});
  auto bad = schema_fields("[]");
  REQUIRE_FALSE(bad);
  CHECK(bad.code() == errc::invalid_schema);
}

TEST_CASE("every dataset file under config/datasets loads against schemas/", "[catalog][dataset]") {
  const std::string root = SAPHAN_SOURCE_DIR;
  std::size_t count = 0;
  for (const auto& file : std::filesystem::directory_iterator(root + "/config/datasets")) {
    if (file.path().extension() != ".json")
      continue;
    INFO(file.path().string());
    auto text = read_file(file.path().string());
    REQUIRE(text);
    auto doc = parse_json(*text);
    REQUIRE(doc);
    auto entry = dataset_from_json(*doc, root + "/schemas");
    INFO((entry ? std::string() : entry.error().detail));
    CHECK(entry);
    ++count;
  }
  CHECK(count > 0);
}
