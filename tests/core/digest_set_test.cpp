#include <catch2/catch.hpp>

#include <random>
#include <unordered_set>

#include "core/digest_set.hpp"

using namespace saphan;

TEST_CASE("digest_set agrees with std::unordered_set over random inserts and erases",
          "[core][digest_set]") {
  std::mt19937_64 random(20261129);
  digest_set set;
  std::unordered_set<std::uint64_t> reference;
  // Values from a small pool, so inserts hit present values and erases hit absent ones; half of
  // them share their low 12 bits, so runs are long and wrap around the end of the table.
  std::vector<std::uint64_t> pool;
  for (int i = 0; i < 3000; ++i) {
    auto v = random();
    pool.push_back(i % 2 == 0 ? v : (v & ~std::uint64_t{0xfff}) | 0xff0);
  }
  for (int step = 0; step < 200000; ++step) {
    const auto v = pool[random() % pool.size()];
    switch (random() % 3) {
      case 0:
        REQUIRE(set.insert(v) == reference.insert(v).second);
        break;
      case 1:
        REQUIRE(set.erase(v) == (reference.erase(v) == 1));
        break;
      default:
        REQUIRE(set.contains(v) == (reference.count(v) == 1));
    }
    REQUIRE(set.size() == reference.size());
  }
  for (const auto v : pool)
    CHECK(set.contains(v) == (reference.count(v) == 1));
}

TEST_CASE("digest_set grows, shrinks back, and keeps 0 apart from empty slots",
          "[core][digest_set]") {
  digest_set set;
  CHECK_FALSE(set.contains(0));
  CHECK(set.insert(0));
  CHECK(set.contains(0));
  CHECK_FALSE(set.insert(0));
  CHECK(set.erase(0));
  CHECK_FALSE(set.contains(0));

  std::mt19937_64 random(7);
  std::vector<std::uint64_t> values;
  for (int i = 0; i < 100000; ++i) {
    values.push_back(random() | 2);  // never 0 or 1, which share a slot form
    REQUIRE(set.insert(values.back()));
  }
  CHECK(set.size() == values.size());
  // At most 70% full, a power of two.
  CHECK(set.slot_count() * 7 >= set.size() * 10);
  CHECK((set.slot_count() & (set.slot_count() - 1)) == 0);
  const auto grown = set.slot_count();

  for (std::size_t i = 100; i < values.size(); ++i)
    REQUIRE(set.erase(values[i]));
  set.shrink_to_fit();
  CHECK(set.size() == 100);
  CHECK(set.slot_count() < grown / 100);
  for (std::size_t i = 0; i < values.size(); ++i)
    REQUIRE(set.contains(values[i]) == (i < 100));

  for (std::size_t i = 0; i < 100; ++i)
    REQUIRE(set.erase(values[i]));
  set.shrink_to_fit();
  CHECK(set.slot_count() == 0);
  CHECK_FALSE(set.contains(values[0]));
}
