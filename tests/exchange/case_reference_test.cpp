#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "core/citizen_id.hpp"
#include "exchange/case_reference.hpp"

using namespace saphan;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

// A valid ID (check digit appended) and the same twelve digits with every wrong check digit.
const std::string id = complete_thai_id("110170020345");

std::string wrong_check_digit() {
  auto other = id;
  other.back() = other.back() == '9' ? '0' : static_cast<char>(other.back() + 1);
  return other;
}

// 1-1017-00203-45-x, as printed on the card.
std::string printed(const std::string& digits, char separator = '-') {
  return digits.substr(0, 1) + separator + digits.substr(1, 4) + separator + digits.substr(5, 5) +
         separator + digits.substr(10, 2) + separator + digits.substr(12, 1);
}

}  // namespace

TEST_CASE("case references: the form ^[A-Za-z0-9][A-Za-z0-9._:/#-]{0,63}$", "[exchange]") {
  for (const auto& ok : std::vector<std::string>{
           "officer-01", "JFO-2026-0001", "CASE-1", "a", "7", "case/2026#12", "jfo:legal-aid.3_b",
           "officer-crash", "BENCH-1", std::string(64, 'x'), "A" + std::string(63, '-')}) {
    INFO(ok);
    CHECK(check_case_reference("X-Road-Issue", ok));
  }
  for (const auto& bad : std::vector<std::string>{"",
                                                  std::string(65, 'x'),
                                                  ".case",
                                                  "-case",
                                                  "_case",
                                                  "/case",
                                                  "#1",
                                                  "Somchai Jaidee",
                                                  "case 1",
                                                  "case\t1",
                                                  "case\n1",
                                                  "case;1",
                                                  "case@jfo",
                                                  "case,1",
                                                  "caseé",
                                                  "ทดสอบ",
                                                  std::string("case\0"
                                                              "1",
                                                              6),
                                                  "case%201",
                                                  "\"case\"",
                                                  "case'1",
                                                  "case+1"}) {
    INFO(bad);
    auto refused = check_case_reference("X-Road-Issue", bad);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == errc::malformed_body);
    CHECK_THAT(refused.error().detail, StartsWith("X-Road-Issue: must match "));
  }
}

TEST_CASE("case references: a Thai citizen ID is refused, in any place and as printed",
          "[exchange]") {
  REQUIRE(validate_thai_id(id));
  for (const auto& bad : std::vector<std::string>{id, "ID" + id, "case-" + id, id + "-2026",
                                                  "x/" + id + "/y", printed(id), printed(id, '.'),
                                                  printed(id, '/'), "card:" + printed(id) + "#2"}) {
    INFO(bad);
    auto refused = check_case_reference("X-Road-UserId", bad);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == errc::malformed_body);
    CHECK_THAT(refused.error().detail, StartsWith("X-Road-UserId: holds a Thai citizen ID"));
    // The detail never repeats the value.
    CHECK_THAT(refused.error().detail, !Contains(id.substr(1, 11)));
  }
}

TEST_CASE("case references: numbers that are not a citizen ID are accepted", "[exchange]") {
  // The check digit is what tells an ID from another 13-digit number (documented choice).
  const auto wrong = wrong_check_digit();
  REQUIRE_FALSE(validate_thai_id(wrong));
  CHECK_FALSE(holds_thai_id(wrong));
  CHECK(check_case_reference("issue", wrong));
  CHECK(check_case_reference("issue", printed(wrong)));
  // A longer or shorter run is another number; so is a grouping other than 1-4-5-2-1, or groups
  // joined by two characters.
  CHECK(check_case_reference("issue", id + "7"));
  CHECK(check_case_reference("issue", "9" + id));
  CHECK(check_case_reference("issue", id.substr(0, 12)));
  CHECK(check_case_reference("issue", id.substr(0, 4) + "-" + id.substr(4)));
  CHECK(check_case_reference("issue", id.substr(0, 1) + "--" + id.substr(1)));
  CHECK(check_case_reference("issue", "2026-" + id.substr(0, 6) + "-" + id.substr(6)));
  // Letters between the groups are not the printed form.
  CHECK(check_case_reference("issue", id.substr(0, 1) + "a" + id.substr(1, 4) + "b" +
                                          id.substr(5, 5) + "c" + id.substr(10, 2) + "d" +
                                          id.substr(12)));
  // Dates, docket numbers and counters.
  CHECK(check_case_reference("issue", "JFO-2026-0001"));
  CHECK(check_case_reference("issue", "2026-11-21T09:30:00"));
}

TEST_CASE("holds_thai_id finds the ID among other digit groups", "[exchange]") {
  CHECK(holds_thai_id(id));
  CHECK(holds_thai_id("12-" + printed(id)));
  CHECK(holds_thai_id(printed(id) + "-12"));
  CHECK(holds_thai_id("1-2-" + id));
  CHECK_FALSE(holds_thai_id(""));
  CHECK_FALSE(holds_thai_id("no digits here"));
  CHECK_FALSE(holds_thai_id("12" + printed(id)));  // the first group has 3 digits
}
