#include <catch2/catch.hpp>

#include "hub/admission_budget.hpp"

using namespace saphan;
using namespace std::chrono_literals;

TEST_CASE("the admission budget lets a caller's rate through and refuses the excess",
          "[hub][guards]") {
  hub::admission_budget budget(10);
  const auto t0 = hub::admission_budget::clock::time_point{} + 1000s;
  // A full bucket at first: ten at once, then none until it refills.
  for (int i = 0; i < 10; ++i)
    CHECK(budget.take("jfo", t0));
  CHECK_FALSE(budget.take("jfo", t0));
  CHECK_FALSE(budget.take("jfo", t0 + 50ms));
  CHECK(budget.take("jfo", t0 + 100ms));  // one more after a tenth of a second
  CHECK_FALSE(budget.take("jfo", t0 + 100ms));
  // Another caller has its own budget.
  CHECK(budget.take("dbd", t0 + 100ms));
  // The refusals are reported once, per caller, with their count.
  auto first = budget.report();
  REQUIRE(first.size() == 1);
  CHECK(first[0].caller == "jfo");
  CHECK(first[0].count == 3);
  CHECK(budget.report().empty());
  // A long pause refills the bucket to its size, no further.
  for (int i = 0; i < 10; ++i)
    CHECK(budget.take("jfo", t0 + 60s));
  CHECK_FALSE(budget.take("jfo", t0 + 60s));
  // A clock that steps back gives nothing.
  CHECK_FALSE(budget.take("jfo", t0 + 59s));
}

TEST_CASE("the admission budget forgets idle callers before it grows past its bound",
          "[hub][guards]") {
  hub::admission_budget budget(1);
  const auto t0 = hub::admission_budget::clock::time_point{} + 1000s;
  for (std::size_t i = 0; i < hub::admission_budget::max_callers; ++i)
    CHECK(budget.take("caller-" + std::to_string(i), t0));
  // A new caller later: the idle ones (full again) are forgotten, and it is let through.
  CHECK(budget.take("newcomer", t0 + 2s));
  CHECK(budget.report().empty());
}
