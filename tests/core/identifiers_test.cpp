#include <catch2/catch.hpp>

#include <string>

#include "core/identifiers.hpp"

using namespace saphan;
using Catch::Matchers::Contains;

namespace {

void check_bad_member(const std::string& text, const std::string& wanted) {
  INFO("member id: '" << text << "'");
  auto r = parse_member_id(text);
  REQUIRE_FALSE(r);
  CHECK(r.code() == errc::invalid_member_id);
  CHECK_THAT(r.error().detail, Contains(wanted));
}

void check_bad_dataset(const std::string& text, const std::string& wanted) {
  INFO("dataset id: '" << text << "'");
  auto r = parse_dataset_id(text);
  REQUIRE_FALSE(r);
  CHECK(r.code() == errc::invalid_dataset_id);
  CHECK_THAT(r.error().detail, Contains(wanted));
}

}  // namespace

TEST_CASE("valid member ids parse into their parts", "[core][identifiers]") {
  auto r = parse_member_id("TH/GOV/DOPA/civil-registry");
  REQUIRE(r);
  CHECK(r->instance == "TH");
  CHECK(r->member_class == "GOV");
  CHECK(r->code == "DOPA");
  CHECK(r->subsystem == "civil-registry");

  for (const char* id : {"TH-TEST/COM/0105550123451/api_v2", "X/GO/a/b", "TH/GOV/J.F.O/legal.aid",
                         "TH/ABCDEFGH/DOPA/x"}) {
    INFO(id);
    CHECK(parse_member_id(id));
  }
}

TEST_CASE("member ids round-trip through to_string", "[core][identifiers]") {
  for (const char* text : {"TH/GOV/DOPA/civil-registry", "TH-TEST/COM/0105550123451/api_v2"}) {
    auto r = parse_member_id(text);
    REQUIRE(r);
    CHECK(to_string(*r) == text);
    CHECK(validate(*r));
  }
}

TEST_CASE("malformed member ids give one clear error each", "[core][identifiers]") {
  check_bad_member("", "4 parts");
  check_bad_member("TH/GOV/DOPA", "(4 parts), got 3");
  check_bad_member("TH/GOV/DOPA/civil-registry/extra", "(4 parts), got 5");
  check_bad_member("/GOV/DOPA/x", "instance: length");
  check_bad_member("TH//DOPA/x", "member class: length");
  check_bad_member("TH/GOV//x", "member code: length");
  check_bad_member("TH/GOV/DOPA/", "subsystem: length");
  check_bad_member("th/GOV/DOPA/x", "instance: character not allowed");
  check_bad_member("TH/Gov/DOPA/x", "member class: character not allowed");
  check_bad_member("TH/G0V/DOPA/x", "member class: character not allowed");
  check_bad_member("TH/G/DOPA/x", "member class: length must be 2..8, got 1");
  check_bad_member("TH/ABCDEFGHI/DOPA/x", "member class: length must be 2..8, got 9");
  check_bad_member("TH/GOV/DO PA/x", "member code: character not allowed");
  check_bad_member("TH/GOV/DOPA/civil@registry", "subsystem: character not allowed");
  check_bad_member("ABCDEFGHIJKLMNOPQ/GOV/DOPA/x", "instance: length must be 1..16, got 17");
  check_bad_member("TH/GOV/" + std::string(65, 'A') + "/x", "member code: length must be 1..64");
  check_bad_member("TH/GOV/DOPA/" + std::string(65, 'a'), "subsystem: length must be 1..64");
  check_bad_member(std::string(513, 'A'), "longer than 512");
}

TEST_CASE("member id part lengths are accepted up to their limits", "[core][identifiers]") {
  CHECK(parse_member_id("ABCDEFGHIJKLMNOP/GOV/DOPA/x"));  // instance: 16
  CHECK(parse_member_id("TH/GOV/" + std::string(64, 'A') + "/" + std::string(64, 'a')));
}

TEST_CASE("valid dataset ids parse into their parts", "[core][identifiers]") {
  auto r = parse_dataset_id("TH/GOV/DOPA/civil-registry/person@1.0");
  REQUIRE(r);
  CHECK(to_string(r->owner) == "TH/GOV/DOPA/civil-registry");
  CHECK(r->name == "person");
  CHECK(r->version == "1.0");
  CHECK(unversioned(*r) == "TH/GOV/DOPA/civil-registry/person");

  for (const char* id : {"TH/GOV/DOPA/civil-registry/house-registration@1",
                         "TH/GOV/DBD/juristic-registry/juristic-person@1.2.3",
                         "TH/GOV/RTP/criminal-records/0case_v2.x@12345.0.99999"}) {
    INFO(id);
    CHECK(parse_dataset_id(id));
  }
}

TEST_CASE("dataset ids round-trip through to_string", "[core][identifiers]") {
  for (const char* text :
       {"TH/GOV/DOPA/civil-registry/person@1.0", "TH/GOV/DOE/foreign-workers/foreign-worker@2"}) {
    auto r = parse_dataset_id(text);
    REQUIRE(r);
    CHECK(to_string(*r) == text);
    CHECK(validate(*r));
  }
}

TEST_CASE("malformed dataset ids give one clear error each", "[core][identifiers]") {
  const std::string owner = "TH/GOV/DOPA/civil-registry";
  check_bad_dataset(owner + "/person", "missing @version");
  check_bad_dataset("person@1.0", "expected <member>/<dataset>@<version>");
  check_bad_dataset("TH/GOV/DOPA/person@1.0", "owner member id");
  check_bad_dataset("TH/GOV/DOPA/civil-registry/extra/person@1.0", "(4 parts), got 5");
  check_bad_dataset("TH/gov/DOPA/civil-registry/person@1.0", "member class");
  check_bad_dataset(owner + "/@1.0", "dataset name: length");
  check_bad_dataset(owner + "/Person@1.0", "dataset name: character not allowed");
  check_bad_dataset(owner + "/per son@1.0", "dataset name: character not allowed");
  check_bad_dataset(owner + "/-person@1.0", "must start with a-z or 0-9");
  check_bad_dataset(owner + "/.person@1.0", "must start with a-z or 0-9");
  check_bad_dataset(owner + "/_person@1.0", "must start with a-z or 0-9");
  check_bad_dataset(owner + "/" + std::string(65, 'p') + "@1.0",
                    "dataset name: length must be 1..64");
  check_bad_dataset(owner + "/person@", "version: must be N, N.N or N.N.N");
  check_bad_dataset(owner + "/person@1.x", "version: only digits");
  check_bad_dataset(owner + "/person@v1", "version: only digits");
  check_bad_dataset(owner + "/person@1.2.3.4", "version: must be N, N.N or N.N.N");
  check_bad_dataset(owner + "/person@1.", "version: each number must have 1..5 digits");
  check_bad_dataset(owner + "/person@.1", "version: each number must have 1..5 digits");
  check_bad_dataset(owner + "/person@123456", "version: each number must have 1..5 digits");
  check_bad_dataset(owner + "/person@1@2", "dataset name: character not allowed");
  check_bad_dataset(owner + "/" + std::string(600, 'p') + "@1", "longer than 512");
}

TEST_CASE("dataset name and version lengths are accepted up to their limits",
          "[core][identifiers]") {
  CHECK(parse_dataset_id("TH/GOV/DOPA/civil-registry/" + std::string(64, 'p') + "@1"));
  CHECK(parse_dataset_id("TH/GOV/DOPA/civil-registry/p@12345.12345.12345"));
}

TEST_CASE("validate checks identifiers built in code", "[core][identifiers]") {
  member_id member{"TH", "GOV", "DOPA", "civil-registry"};
  CHECK(validate(member));
  member.code = "";
  auto bad_member = validate(member);
  REQUIRE_FALSE(bad_member);
  CHECK(bad_member.code() == errc::invalid_member_id);

  dataset_id dataset{{"TH", "GOV", "DOPA", "civil-registry"}, "person", "1.0"};
  CHECK(validate(dataset));
  dataset.version = "one";
  auto bad_version = validate(dataset);
  REQUIRE_FALSE(bad_version);
  CHECK(bad_version.code() == errc::invalid_dataset_id);
  dataset.version = "1";
  dataset.owner.instance = "";
  auto bad_owner = validate(dataset);
  REQUIRE_FALSE(bad_owner);
  CHECK(bad_owner.code() == errc::invalid_dataset_id);
  CHECK_THAT(bad_owner.error().detail, Contains("owner"));
}
