#include <catch2/catch.hpp>

#include <string>

#include "core/citizen_id.hpp"

using namespace saphan;
using Catch::Matchers::Contains;

namespace {

// Reference check digit computed independently of the implementation, straight from the rule
// check = (11 - (sum of d[i] * (13 - i), i = 0..11) mod 11) mod 10.
int reference_check_digit(const std::string& twelve) {
  int sum = 0;
  for (int i = 0; i < 12; ++i)
    sum += (twelve[static_cast<std::size_t>(i)] - '0') * (13 - i);
  return (11 - sum % 11) % 10;
}

}  // namespace

TEST_CASE("valid Thai IDs pass", "[core][citizen_id]") {
  // Worked by hand from the rule; 1103702071811 is the commonly printed sample ID.
  for (const char* id : {"1103702071811", "3101001234565", "1234567890121", "1000000000009",
                         "9999999999994", "0105550123451", "0107530001239", "3301200012340"}) {
    INFO(id);
    CHECK(validate_thai_id(id));
  }
}

TEST_CASE("check digit matches the published rule", "[core][citizen_id]") {
  CHECK(compute_check_digit("110370207181") == 1);
  CHECK(compute_check_digit("100000000000") == 9);
  // A sum divisible by 11 gives (11 - 0) mod 10 == 1: the wrap-around case of the rule.
  CHECK(compute_check_digit("000000000000") == 1);
  CHECK(compute_check_digit("330120001234") == 0);
  for (const std::string twelve :
       {"310100123456", "350010044321", "999999999999", "510010012345"}) {
    INFO(twelve);
    CHECK(compute_check_digit(twelve) == reference_check_digit(twelve));
  }
}

TEST_CASE("complete_thai_id appends the check digit", "[core][citizen_id]") {
  CHECK(complete_thai_id("110370207181") == "1103702071811");
  CHECK(complete_thai_id("330120001234") == "3301200012340");
  CHECK(validate_thai_id(complete_thai_id("150990012345")));
}

TEST_CASE("every wrong check digit is rejected", "[core][citizen_id]") {
  const std::string prefix = "110370207181";
  const char right = '1';
  int rejected = 0;
  for (char digit = '0'; digit <= '9'; ++digit) {
    auto r = validate_thai_id(prefix + digit);
    INFO(prefix + digit);
    if (digit == right) {
      CHECK(r);
      continue;
    }
    REQUIRE_FALSE(r);
    CHECK(r.code() == errc::invalid_citizen_id);
    CHECK_THAT(r.error().detail, Contains("check digit"));
    ++rejected;
  }
  CHECK(rejected == 9);
}

TEST_CASE("wrong lengths are rejected", "[core][citizen_id]") {
  for (const char* id : {"", "110370207181", "11037020718111", "1"}) {
    INFO('"' << id << '"');
    auto r = validate_thai_id(id);
    REQUIRE_FALSE(r);
    CHECK(r.code() == errc::invalid_citizen_id);
    CHECK_THAT(r.error().detail, Contains("13 digits"));
  }
}

TEST_CASE("non-digits are rejected", "[core][citizen_id]") {
  // 13 characters each, so only the character rule can fail.
  for (const char* id : {"110370207181A", "A103702071811", "1103702 71811", "1-1037-020718",
                         "+103702071811", "11037020718.1"}) {
    INFO(id);
    auto r = validate_thai_id(id);
    REQUIRE_FALSE(r);
    CHECK(r.code() == errc::invalid_citizen_id);
  }
  // The printed form with dashes is not accepted: callers must normalise first.
  auto dashed = validate_thai_id("1-1037-02071-81-1");
  REQUIRE_FALSE(dashed);
  CHECK(dashed.code() == errc::invalid_citizen_id);
  auto spaced = validate_thai_id("1103702071 81");
  REQUIRE_FALSE(spaced);
  CHECK_THAT(spaced.error().detail, Contains("digits only"));
}
