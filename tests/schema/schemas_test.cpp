// The published JSON Schema documents in schemas/: each sample record in tests/data/records/
// passes, and each kind of damage fails with schema_violation naming the damaged field.
#include <catch2/catch.hpp>

#include <string>

#include "schema_test_support.hpp"

using namespace saphan;
using namespace saphan::testing;

namespace {

// A wrong check digit for each valid ID used in the samples (same twelve-digit prefix).
constexpr const char* bad_check_digit = R"("1103702071812")";

void check_address_rules(const record_schema& schema, const std::string& record_name,
                         const std::string& prefix) {
  auto at = [&](const char* field) { return prefix + field; };
  auto check = [&](const char* field, const std::string& json, const std::string& wanted) {
    auto doc = load_record(record_name);
    set_at(doc, at(field).c_str(), json);
    check_violation(schema, doc, wanted);
  };
  check("/postcode", R"("01234")", at("/postcode") + ": pattern");
  check("/postcode", R"("1020")", at("/postcode") + ": pattern");
  check("/provinceCode", R"("100")", at("/provinceCode") + ": pattern");
  check("/provinceCode", R"("11")", at("/districtCode") + ": x-startsWith");
  check("/subdistrictCode", R"("100201")", at("/subdistrictCode") + ": x-startsWith");
  check("/moo", "0", at("/moo") + ": minimum");
  check("/moo", "100", at("/moo") + ": maximum");
  check("/moo", R"("4")", at("/moo") + ": type");
  check("/houseNo", R"("")", at("/houseNo") + ": minLength");
  check("/houseNo", '"' + std::string(33, '1') + '"', at("/houseNo") + ": maxLength");
  check("/village", R"("x")", at("/village") + ": additionalProperties");

  auto missing = load_record(record_name);
  erase_at(missing, at("/houseNo").c_str());
  check_violation(schema, missing, at("/houseNo") + ": required");

  for (const char* moo : {"1", "99"}) {
    auto doc = load_record(record_name);
    set_at(doc, at("/moo").c_str(), moo);
    check_valid(schema, doc);
  }
  auto longest = load_record(record_name);
  set_at(longest, at("/houseNo").c_str(), '"' + std::string(32, '1') + '"');
  check_valid(schema, longest);
}

void check_person_rules(const std::string& name) {
  auto schema = load_schema(name);
  auto check = [&](const char* pointer, const std::string& json, const std::string& wanted) {
    auto doc = load_record(name);
    set_at(doc, pointer, json);
    check_violation(schema, doc, wanted);
  };
  SECTION("the sample passes") {
    check_valid(schema, load_record(name));
  }
  SECTION("wrong check digit") {
    check("/citizenId", bad_check_digit, "/citizenId: thai-id check digit");
  }
  SECTION("ID of the wrong length") {
    check("/citizenId", R"("110370207181")", "/citizenId: pattern");
  }
  SECTION("missing required fields") {
    for (const char* field :
         {"/citizenId", "/firstNameTh", "/lastNameTh", "/birthDate", "/sex", "/nationality"}) {
      auto doc = load_record(name);
      erase_at(doc, field);
      check_violation(schema, doc, std::string(field) + ": required");
    }
  }
  SECTION("wrong type") {
    check("/birthDate", "19850714", "/birthDate: type");
  }
  SECTION("bad date pattern") {
    check("/birthDate", R"("14/07/1985")", "/birthDate: pattern");
  }
  SECTION("Buddhist Era year") {
    check("/birthDate", R"("2528-07-14")", "/birthDate: pattern");
  }
  SECTION("no such date") {
    check("/birthDate", R"("1985-02-30")", "/birthDate: date");
  }
  SECTION("Latin letters in a Thai name") {
    check("/firstNameTh", R"("Somchai")", "/firstNameTh: pattern");
  }
  SECTION("Thai letters in a Latin name") {
    check("/lastNameEn", R"("ใจดี")", "/lastNameEn: pattern");
  }
  SECTION("digits in a Latin name") {
    check("/firstNameEn", R"("S0mchai")", "/firstNameEn: pattern");
  }
  SECTION("extra property") {
    check("/religion", R"("buddhism")", "/religion: additionalProperties");
  }
  SECTION("enum violation") {
    check("/sex", R"("M")", "/sex: enum");
  }
  SECTION("nationality not alpha-3") {
    check("/nationality", R"("TH")", "/nationality: pattern");
  }
  SECTION("the nested address is checked") {
    check_address_rules(schema, name, "/address");
  }
  SECTION("optional names may be given") {
    auto doc = load_record(name);
    set_at(doc, "/middleNameTh", R"("ศรี")");
    set_at(doc, "/middleNameEn", R"("Sri")");
    check_valid(schema, doc);
  }
}

void check_juristic_rules(const std::string& name) {
  auto schema = load_schema(name);
  auto check = [&](const char* pointer, const std::string& json, const std::string& wanted) {
    auto doc = load_record(name);
    set_at(doc, pointer, json);
    check_violation(schema, doc, wanted);
  };
  SECTION("the sample passes") {
    check_valid(schema, load_record(name));
  }
  SECTION("wrong check digit") {
    check("/juristicId", R"("0105550123452")", "/juristicId: thai-id check digit");
  }
  SECTION("a director's ID has a wrong check digit") {
    check("/directors/0/citizenId", bad_check_digit, "/directors/0/citizenId: thai-id check digit");
  }
  SECTION("missing required fields") {
    for (const char* field : {"/juristicId", "/nameTh", "/juristicType", "/status",
                              "/registrationDate", "/registeredCapital"}) {
      auto doc = load_record(name);
      erase_at(doc, field);
      check_violation(schema, doc, std::string(field) + ": required");
    }
  }
  SECTION("a director without a name") {
    auto doc = load_record(name);
    erase_at(doc, "/directors/0/nameTh");
    check_violation(schema, doc, "/directors/0/nameTh: required");
  }
  SECTION("wrong type") {
    check("/registeredCapital", R"("5000000")", "/registeredCapital: type");
  }
  SECTION("negative capital") {
    check("/registeredCapital", "-1", "/registeredCapital: minimum");
  }
  SECTION("zero capital is allowed") {
    auto doc = load_record(name);
    set_at(doc, "/registeredCapital", "0");
    check_valid(schema, doc);
  }
  SECTION("enum violations") {
    check("/juristicType", R"("sole-proprietor")", "/juristicType: enum");
    check("/status", R"("closed")", "/status: enum");
  }
  SECTION("bad pattern") {
    check("/nameEn", R"("บริษัท")", "/nameEn: pattern");
  }
  SECTION("extra property") {
    check("/taxId", R"("x")", "/taxId: additionalProperties");
  }
  SECTION("extra property in a director") {
    check("/directors/0/role", R"("chair")", "/directors/0/role: additionalProperties");
  }
  SECTION("directors: 1..50") {
    auto fifty = load_record(name);
    fill_array(fifty, "/directors", 50);
    check_valid(schema, fifty);
    auto too_many = load_record(name);
    fill_array(too_many, "/directors", 51);
    check_violation(schema, too_many, "/directors: maxItems");
    check("/directors", "[]", "/directors: minItems");
  }
  SECTION("the nested address is checked") {
    check_address_rules(schema, name, "/address");
  }
}

}  // namespace

TEST_CASE("address.schema.json", "[schema][schemas]") {
  auto schema = load_schema("address");
  CHECK(schema.fields() == std::set<std::string>{"houseNo", "moo", "soi", "road", "subdistrictCode",
                                                 "districtCode", "provinceCode", "postcode"});
  check_valid(schema, load_record("address"));
  check_address_rules(schema, "address", "");
  for (const char* field : {"/subdistrictCode", "/districtCode", "/provinceCode", "/postcode"}) {
    auto doc = load_record("address");
    erase_at(doc, field);
    check_violation(schema, doc, std::string(field) + ": required");
  }
  auto minimal = load_record("address");
  for (const char* optional : {"/moo", "/soi", "/road"})
    erase_at(minimal, optional);
  check_valid(schema, minimal);
}

TEST_CASE("person.schema.json", "[schema][schemas]") {
  CHECK(load_schema("person").fields() ==
        std::set<std::string>{"citizenId", "titleTh", "firstNameTh", "middleNameTh", "lastNameTh",
                              "titleEn", "firstNameEn", "middleNameEn", "lastNameEn", "birthDate",
                              "sex", "nationality", "address"});
  check_person_rules("person");
}

TEST_CASE("dopa-person.schema.json", "[schema][schemas]") {
  auto schema = load_schema("dopa-person");
  CHECK(schema.fields().count("lifeStatus") == 1);
  CHECK(schema.fields().count("citizenId") == 1);
  SECTION("person rules") {
    check_person_rules("dopa-person");
  }
  SECTION("life status is required and enumerated") {
    auto missing = load_record("dopa-person");
    erase_at(missing, "/lifeStatus");
    check_violation(schema, missing, "/lifeStatus: required");
    auto wrong = load_record("dopa-person");
    set_at(wrong, "/lifeStatus", R"("dead")");
    check_violation(schema, wrong, "/lifeStatus: enum");
  }
}

TEST_CASE("juristic-person.schema.json", "[schema][schemas]") {
  check_juristic_rules("juristic-person");
}

TEST_CASE("dbd-juristic-person.schema.json", "[schema][schemas]") {
  CHECK(load_schema("dbd-juristic-person").fields() == load_schema("juristic-person").fields());
  check_juristic_rules("dbd-juristic-person");
}

TEST_CASE("dopa-house-registration.schema.json", "[schema][schemas]") {
  const std::string name = "dopa-house-registration";
  auto schema = load_schema(name);
  auto check = [&](const char* pointer, const std::string& json, const std::string& wanted) {
    auto doc = load_record(name);
    set_at(doc, pointer, json);
    check_violation(schema, doc, wanted);
  };
  check_valid(schema, load_record(name));
  check("/citizenId", bad_check_digit, "/citizenId: thai-id check digit");
  check("/householderCitizenId", bad_check_digit, "/householderCitizenId: thai-id check digit");
  check("/residents/2/citizenId", bad_check_digit, "/residents/2/citizenId: thai-id check digit");
  check("/houseId", R"("1001012345")", "/houseId: pattern");
  check("/houseId", "10010123456", "/houseId: type");
  check("/houseType", R"("castle")", "/houseType: enum");
  check("/residents/1/relation", R"("son")", "/residents/1/relation: enum");
  check("/residents/0/nickname", R"("x")", "/residents/0/nickname: additionalProperties");
  check("/movedInDate", R"("2015-13-01")", "/movedInDate: pattern");
  check("/owner", R"("x")", "/owner: additionalProperties");
  check("/residents", "[]", "/residents: minItems");
  for (const char* field : {"/citizenId", "/houseId", "/address", "/residents"}) {
    auto doc = load_record(name);
    erase_at(doc, field);
    check_violation(schema, doc, std::string(field) + ": required");
  }
  auto no_relation = load_record(name);
  erase_at(no_relation, "/residents/2/relation");
  check_violation(schema, no_relation, "/residents/2/relation: required");

  auto hundred = load_record(name);
  fill_array(hundred, "/residents", 100);
  check_valid(schema, hundred);
  auto too_many = load_record(name);
  fill_array(too_many, "/residents", 101);
  check_violation(schema, too_many, "/residents: maxItems");

  check_address_rules(schema, name, "/address");
}

TEST_CASE("doe-foreign-worker.schema.json", "[schema][schemas]") {
  const std::string name = "doe-foreign-worker";
  auto schema = load_schema(name);
  auto check = [&](const char* pointer, const std::string& json, const std::string& wanted) {
    auto doc = load_record(name);
    set_at(doc, pointer, json);
    check_violation(schema, doc, wanted);
  };
  auto valid_with = [&](const char* pointer, const std::string& json) {
    auto doc = load_record(name);
    set_at(doc, pointer, json);
    check_valid(schema, doc);
  };
  check_valid(schema, load_record(name));
  check("/workerId", R"("0012345678900")", "/workerId: thai-id check digit");
  check("/employerJuristicId", R"("0105550123452")", "/employerJuristicId: thai-id check digit");
  check("/nationality", R"("THA")", "/nationality: enum");
  check("/passportNo", R"("ma1234567")", "/passportNo: pattern");
  check("/passportNo", R"("MA123")", "/passportNo: pattern");          // 5 characters
  check("/passportNo", R"("MA12345678901")", "/passportNo: pattern");  // 13 characters
  valid_with("/passportNo", R"("MA1234")");                            // 6
  valid_with("/passportNo", R"("MA1234567890")");                      // 12
  check("/workPermitNo", R"("WP_2566_001234")", "/workPermitNo: pattern");
  check("/workPermitNo", R"("WP-25")", "/workPermitNo: pattern");
  check("/workProvinceCode", "10", "/workProvinceCode: type");
  check("/sex", R"("x")", "/sex: enum");
  check("/permitValidUntil", R"("2025-02-29")", "/permitValidUntil: date");
  check("/firstNameEn", R"("อ่อง")", "/firstNameEn: pattern");
  check("/employer", R"("x")", "/employer: additionalProperties");
  for (const char* field :
       {"/workerId", "/firstNameEn", "/lastNameEn", "/nationality", "/passportNo", "/birthDate",
        "/sex", "/employerJuristicId", "/workPermitNo", "/permitValidFrom", "/permitValidUntil",
        "/workProvinceCode"}) {
    auto doc = load_record(name);
    erase_at(doc, field);
    check_violation(schema, doc, std::string(field) + ": required");
  }
  auto no_occupation = load_record(name);
  erase_at(no_occupation, "/occupation");
  check_valid(schema, no_occupation);
}

TEST_CASE("police-criminal-record.schema.json", "[schema][schemas]") {
  const std::string name = "police-criminal-record";
  auto schema = load_schema(name);
  auto check = [&](const char* pointer, const std::string& json, const std::string& wanted) {
    auto doc = load_record(name);
    set_at(doc, pointer, json);
    check_violation(schema, doc, wanted);
  };
  check_valid(schema, load_record(name));
  check("/citizenId", bad_check_digit, "/citizenId: thai-id check digit");
  check("/hasRecord", R"("yes")", "/hasRecord: type");
  check("/cases/1/verdict", R"("guilty")", "/cases/1/verdict: enum");
  check("/cases/0/verdictDate", R"("30/08/2019")", "/cases/0/verdictDate: pattern");
  check("/cases/0/judge", R"("x")", "/cases/0/judge: additionalProperties");
  check("/checkedAt", R"("2026-11-21 16:30:00")", "/checkedAt: pattern");
  check("/checkedAt", R"("2026-02-30T16:30:00Z")", "/checkedAt: date-time");
  check("/source", R"("x")", "/source: additionalProperties");
  for (const char* field : {"/citizenId", "/hasRecord", "/cases"}) {
    auto doc = load_record(name);
    erase_at(doc, field);
    check_violation(schema, doc, std::string(field) + ": required");
  }
  auto no_court = load_record(name);
  erase_at(no_court, "/cases/1/court");
  check_violation(schema, no_court, "/cases/1/court: required");

  auto clean = load_record(name);
  set_at(clean, "/hasRecord", "false");
  set_at(clean, "/cases", "[]");
  check_valid(schema, clean);
  auto two_hundred = load_record(name);
  fill_array(two_hundred, "/cases", 200);
  check_valid(schema, two_hundred);
  auto too_many = load_record(name);
  fill_array(too_many, "/cases", 201);
  check_violation(schema, too_many, "/cases: maxItems");
}

TEST_CASE("request.schema.json", "[schema][schemas]") {
  const std::string name = "request";
  auto schema = load_schema(name);
  auto check = [&](const char* pointer, const std::string& json, const std::string& wanted) {
    auto doc = load_record(name);
    set_at(doc, pointer, json);
    check_violation(schema, doc, wanted);
  };
  auto valid_with = [&](const char* pointer, const std::string& json) {
    auto doc = load_record(name);
    set_at(doc, pointer, json);
    check_valid(schema, doc);
  };
  auto field_list = [](int count) {
    std::string list = "[";
    for (int i = 0; i < count; ++i)
      list += (i ? ",\"f" : "\"f") + std::to_string(i) + "\"";
    return list + "]";
  };
  check_valid(schema, load_record(name));
  check("/purpose", R"("Legal-Aid")", "/purpose: pattern");
  check("/purpose", R"("-legal-aid")", "/purpose: pattern");
  check("/purpose", '"' + std::string(65, 'a') + '"', "/purpose: pattern");
  valid_with("/purpose", '"' + std::string(64, 'a') + '"');
  check("/lawfulBasis", R"("because")", "/lawfulBasis: enum");
  check("/subject", "1103702071811", "/subject: type");
  check("/fields", R"(["citizenId", "citizenId"])", "/fields/1: uniqueItems");
  check("/fields", R"(["citizenId", 5])", "/fields/1: type");
  check("/fields", field_list(65), "/fields: maxItems");
  valid_with("/fields", field_list(64));
  check("/legalInstrument", '"' + std::string(201, 'x') + '"', "/legalInstrument: maxLength");
  valid_with("/legalInstrument", '"' + std::string(200, 'x') + '"');
  check("/callback", R"("https://example.org")", "/callback: additionalProperties");
  for (const char* field : {"/dataset", "/subject", "/purpose", "/lawfulBasis"}) {
    auto doc = load_record(name);
    erase_at(doc, field);
    check_violation(schema, doc, std::string(field) + ": required");
  }
  auto minimal = load_record(name);
  erase_at(minimal, "/consentId");
  erase_at(minimal, "/fields");
  check_valid(schema, minimal);
}
