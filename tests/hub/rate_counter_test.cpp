#include <catch2/catch.hpp>

#include <algorithm>
#include <thread>
#include <vector>

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

TEST_CASE("reserve counts and checks in one step, so parallel requests see each other",
          "[hub][guards]") {
  hub::rate_counter counter;
  auto t0 = *parse_rfc3339("2026-11-21T10:00:00Z");
  for (int i = 0; i < 4; ++i)
    counter.record("k", t0, 100);
  // 32 threads reserve at once: each sees a different count before it, 4..35, so against a
  // limit of 5 exactly one of them is under it.
  std::vector<std::uint32_t> seen(32);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < seen.size(); ++i)
    threads.emplace_back([&, i] { seen[i] = counter.reserve("k", 60s, t0 + 1s, 100); });
  for (auto& t : threads)
    t.join();
  std::sort(seen.begin(), seen.end());
  for (std::size_t i = 0; i < seen.size(); ++i)
    CHECK(seen[i] == 4 + i);
  CHECK(std::count_if(seen.begin(), seen.end(), [](std::uint32_t n) { return n < 5; }) == 1);
  // Those that were not allowed give their places back.
  for (int i = 0; i < 31; ++i)
    counter.release("k", t0 + 1s);
  CHECK(counter.recent("k", 60s, t0 + 1s) == 5);
  counter.release("k", t0 + 7s);  // nothing reserved then: nothing changes
  counter.release("none", t0);
  CHECK(counter.recent("k", 60s, t0 + 1s) == 5);
}
