#include <catch2/catch.hpp>

#include "hub/rate_counter.hpp"

using namespace saphan;
using namespace std::chrono_literals;

TEST_CASE("the rate counter counts within a sliding window", "[hub][guards]") {
  hub::rate_counter counter;
  auto t0 = *parse_rfc3339("2026-11-21T10:00:00Z");
  CHECK(counter.recent("k", 60s, t0) == 0);
  counter.record("k", t0, 10);
  counter.record("k", t0 + 30s, 10);
  CHECK(counter.recent("k", 60s, t0 + 59s) == 2);
  CHECK(counter.recent("k", 60s, t0 + 60s) == 1);
  CHECK(counter.recent("other", 60s, t0 + 60s) == 0);
  for (int i = 0; i < 50; ++i)
    counter.record("k", t0 + 61s, 10);
  CHECK(counter.recent("k", 60s, t0 + 61s) == 10);  // bounded by the cap
}
