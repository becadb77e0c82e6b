#include <catch2/catch.hpp>

#include <cstdio>
#include <string>

#include "core/time.hpp"

using namespace saphan;
using namespace std::chrono;
using Catch::Matchers::Contains;

namespace {

timestamp at(int y, unsigned mo, unsigned d, int h, int mi, int s, long long micros = 0) {
  return timestamp{sys_days{year{y} / month{mo} / day{d}} + hours{h} + minutes{mi} + seconds{s} +
                   microseconds{micros}};
}

void check_rejected(const std::string& text, const std::string& wanted) {
  INFO("'" << text << "'");
  auto r = parse_rfc3339(text);
  REQUIRE_FALSE(r);
  CHECK(r.code() == errc::invalid_timestamp);
  CHECK_THAT(r.error().detail, Contains(wanted));
}

}  // namespace

TEST_CASE("format_rfc3339 prints UTC with Z and microseconds only when non-zero", "[core][time]") {
  CHECK(format_rfc3339(at(2026, 11, 21, 9, 30, 0)) == "2026-11-21T09:30:00Z");
  CHECK(format_rfc3339(at(2026, 11, 21, 9, 30, 0, 123456)) == "2026-11-21T09:30:00.123456Z");
  CHECK(format_rfc3339(at(2026, 11, 21, 9, 30, 0, 1)) == "2026-11-21T09:30:00.000001Z");
  CHECK(format_rfc3339(at(1970, 1, 1, 0, 0, 0)) == "1970-01-01T00:00:00Z");
  CHECK(format_rfc3339(at(1969, 12, 31, 23, 59, 59, 500000)) == "1969-12-31T23:59:59.500000Z");
  CHECK(format_rfc3339(at(2024, 2, 29, 23, 59, 59)) == "2024-02-29T23:59:59Z");
  // Outside the four-digit years, as printf writes them.
  CHECK(format_rfc3339(at(10000, 1, 1, 0, 0, 0)) == "10000-01-01T00:00:00Z");
  CHECK(format_rfc3339(at(0, 1, 1, 0, 0, 0, 7)) == "0000-01-01T00:00:00.000007Z");
  CHECK(format_rfc3339(at(-1, 12, 31, 0, 0, 0)) == "-001-12-31T00:00:00Z");
}

TEST_CASE("format_rfc3339 writes what printf writes, for times across the years", "[core][time]") {
  for (long long step = 0; step < 2000; ++step) {
    const timestamp t = at(1900, 1, 1, 0, 0, 0) + microseconds{step * 1'987'654'321'987LL};
    const auto day = floor<days>(t);
    const year_month_day ymd{day};
    const hh_mm_ss<microseconds> tod{t - day};
    char wanted[64];
    int n = std::snprintf(wanted, sizeof wanted, "%04d-%02u-%02uT%02d:%02d:%02d",
                          static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                          static_cast<unsigned>(ymd.day()), static_cast<int>(tod.hours().count()),
                          static_cast<int>(tod.minutes().count()),
                          static_cast<int>(tod.seconds().count()));
    std::string expected(wanted, static_cast<std::size_t>(n));
    if (tod.subseconds().count() != 0) {
      std::snprintf(wanted, sizeof wanted, ".%06lld",
                    static_cast<long long>(tod.subseconds().count()));
      expected += wanted;
    }
    expected += 'Z';
    CHECK(format_rfc3339(t) == expected);
  }
}

TEST_CASE("parse_rfc3339 reads UTC times", "[core][time]") {
  auto r = parse_rfc3339("2026-11-21T09:30:00Z");
  REQUIRE(r);
  CHECK(*r == at(2026, 11, 21, 9, 30, 0));
  auto lower = parse_rfc3339("2026-11-21t09:30:00z");
  REQUIRE(lower);
  CHECK(*lower == *r);
}

TEST_CASE("parse_rfc3339 applies UTC offsets", "[core][time]") {
  auto bangkok = parse_rfc3339("2026-11-21T16:30:00+07:00");
  REQUIRE(bangkok);
  CHECK(*bangkok == at(2026, 11, 21, 9, 30, 0));
  auto west = parse_rfc3339("2026-11-21T04:00:00-05:30");
  REQUIRE(west);
  CHECK(*west == at(2026, 11, 21, 9, 30, 0));
  // Crossing midnight and the year boundary.
  auto new_year = parse_rfc3339("2027-01-01T06:00:00+07:00");
  REQUIRE(new_year);
  CHECK(*new_year == at(2026, 12, 31, 23, 0, 0));
}

TEST_CASE("parse_rfc3339 reads fractions and truncates beyond microseconds", "[core][time]") {
  auto one = parse_rfc3339("2026-11-21T09:30:00.1Z");
  REQUIRE(one);
  CHECK(*one == at(2026, 11, 21, 9, 30, 0, 100000));
  auto six = parse_rfc3339("2026-11-21T09:30:00.123456Z");
  REQUIRE(six);
  CHECK(*six == at(2026, 11, 21, 9, 30, 0, 123456));
  auto nine = parse_rfc3339("2026-11-21T09:30:00.123456789Z");
  REQUIRE(nine);
  CHECK(*nine == at(2026, 11, 21, 9, 30, 0, 123456));
}

TEST_CASE("format and parse round-trip", "[core][time]") {
  for (auto t : {at(2026, 11, 21, 9, 30, 0), at(2026, 11, 21, 9, 30, 0, 654321),
                 at(2000, 2, 29, 0, 0, 0, 7), at(1999, 12, 31, 23, 59, 59)}) {
    auto text = format_rfc3339(t);
    INFO(text);
    auto back = parse_rfc3339(text);
    REQUIRE(back);
    CHECK(*back == t);
  }
  auto now = now_utc();
  auto back = parse_rfc3339(format_rfc3339(now));
  REQUIRE(back);
  CHECK(*back == now);
}

TEST_CASE("parse_rfc3339 rejects malformed times", "[core][time]") {
  check_rejected("", "expected YYYY-MM-DDTHH:MM:SS");
  check_rejected("2026-11-21", "expected YYYY-MM-DDTHH:MM:SS");
  check_rejected("2026-11-21 09:30:00Z", "expected YYYY-MM-DDTHH:MM:SS");
  check_rejected("2026/11/21T09:30:00Z", "expected YYYY-MM-DDTHH:MM:SS");
  check_rejected("26-11-21T09:30:00Z", "expected YYYY-MM-DDTHH:MM:SS");
  check_rejected("2026-11-21T9:30:00Z", "expected YYYY-MM-DDTHH:MM:SS");
  check_rejected("2026-11-21T09:30:00", "missing time zone");
  check_rejected("2026-11-21T09:30:00+0700", "bad UTC offset");
  check_rejected("2026-11-21T09:30:00+24:00", "bad UTC offset");
  check_rejected("2026-11-21T09:30:00+07:60", "bad UTC offset");
  check_rejected("2026-11-21T09:30:00.Z", "empty fraction");
  check_rejected("2026-11-21T09:30:00Zjunk", "trailing characters");
  check_rejected("2026-11-21T09:30:00+07:00 ", "trailing characters");
  check_rejected("2026-11-21T09:30:00Z" + std::string(50, '0'), "too long");
}

TEST_CASE("parse_rfc3339 rejects impossible dates and times", "[core][time]") {
  check_rejected("2026-02-29T00:00:00Z", "no such date");  // 2026 is not a leap year
  check_rejected("2100-02-29T00:00:00Z", "no such date");  // nor is 2100
  check_rejected("2026-13-01T00:00:00Z", "no such date");
  check_rejected("2026-00-10T00:00:00Z", "no such date");
  check_rejected("2026-04-31T00:00:00Z", "no such date");
  check_rejected("2026-11-00T00:00:00Z", "no such date");
  check_rejected("2026-11-21T24:00:00Z", "time of day out of range");
  check_rejected("2026-11-21T23:60:00Z", "time of day out of range");
  check_rejected("2026-11-21T23:59:60Z", "time of day out of range");
  // The boundaries themselves are fine.
  CHECK(parse_rfc3339("2024-02-29T23:59:59Z"));
  CHECK(parse_rfc3339("2000-02-29T00:00:00+23:59"));
  CHECK(parse_rfc3339("2026-12-31T23:59:59.999999Z"));
}
