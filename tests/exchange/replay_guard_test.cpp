#include <catch2/catch.hpp>

#include "exchange/replay_guard.hpp"

using namespace saphan;
using namespace std::chrono_literals;

TEST_CASE("the replay guard refuses a seen id and forgets it after the window",
          "[exchange][replay]") {
  replay_guard guard(60s, 100);
  auto t0 = *parse_rfc3339("2026-11-21T10:00:00Z");
  CHECK(guard.remember("id-1", t0, t0) == replay_guard::verdict::fresh);
  CHECK(guard.remember("id-1", t0, t0 + 1s) == replay_guard::verdict::replayed);
  CHECK(guard.remember("id-1", t0, t0 + 60s) == replay_guard::verdict::replayed);
  // Past issued_at + window the request would be stale anyway, so the id may go.
  CHECK(guard.remember("id-2", t0 + 61s, t0 + 61s) == replay_guard::verdict::fresh);
  CHECK(guard.size() == 1);
}

TEST_CASE("each remembered id expires at its own time, whatever the order it came in",
          "[exchange][replay]") {
  replay_guard guard(60s, 100);
  auto t0 = *parse_rfc3339("2026-11-21T10:00:00Z");
  // As after a restart: ids restored with a late expiry come first, then new ones expiring sooner.
  CHECK(guard.remember("restored", t0 + 100s, t0) == replay_guard::verdict::fresh);
  CHECK(guard.remember("later", t0 + 20s, t0) == replay_guard::verdict::fresh);
  CHECK(guard.remember("sooner", t0, t0) == replay_guard::verdict::fresh);
  CHECK(guard.size() == 3);

  CHECK(guard.remember("probe-1", t0 + 61s, t0 + 61s) == replay_guard::verdict::fresh);
  CHECK(guard.size() == 3);  // "sooner" went, the probe came
  CHECK(guard.remember("sooner", t0 + 61s, t0 + 61s) == replay_guard::verdict::fresh);
  CHECK(guard.remember("later", t0 + 20s, t0 + 61s) == replay_guard::verdict::replayed);
  CHECK(guard.remember("restored", t0 + 100s, t0 + 61s) == replay_guard::verdict::replayed);

  CHECK(guard.remember("probe-2", t0 + 161s, t0 + 161s) == replay_guard::verdict::fresh);
  CHECK(guard.size() == 1);  // everything else expired, in whatever order it was stored
  CHECK(guard.remember("restored", t0 + 161s, t0 + 161s) == replay_guard::verdict::fresh);
}

TEST_CASE("a full replay guard fails closed instead of forgetting live ids", "[exchange][replay]") {
  replay_guard guard(60s, 2);
  auto t0 = *parse_rfc3339("2026-11-21T10:00:00Z");
  CHECK(guard.remember("a", t0, t0) == replay_guard::verdict::fresh);
  CHECK(guard.remember("b", t0, t0) == replay_guard::verdict::fresh);
  CHECK(guard.remember("c", t0, t0) == replay_guard::verdict::full);
  CHECK(guard.remember("a", t0, t0) == replay_guard::verdict::replayed);
  CHECK(guard.remember("c", t0 + 61s, t0 + 61s) == replay_guard::verdict::fresh);
}

TEST_CASE("the replay guard holds 50,000 ids at once and forgets them together",
          "[exchange][replay]") {
  // Ids are kept as keyed hashes in a table that grows and shrinks: every id must still be told
  // from every other, here 50,000 request ids that share all but a few characters.
  constexpr int count = 50000;
  replay_guard guard(60s, count);
  auto t0 = *parse_rfc3339("2026-11-21T10:00:00Z");
  auto id = [](int i) { return "8f6c1d2e-5a4b-4c3d-9e8f-" + std::to_string(100000000000 + i); };
  int fresh = 0;
  for (int i = 0; i < count; ++i)
    fresh += guard.remember(id(i), t0, t0) == replay_guard::verdict::fresh ? 1 : 0;
  CHECK(fresh == count);
  CHECK(guard.size() == count);
  int replayed = 0;
  for (int i = 0; i < count; ++i)
    replayed += guard.remember(id(i), t0, t0 + 1s) == replay_guard::verdict::replayed ? 1 : 0;
  CHECK(replayed == count);
  CHECK(guard.remember("one more", t0, t0 + 1s) == replay_guard::verdict::full);

  // All expire at once; the guard gives its room back and takes them again.
  CHECK(guard.remember(id(0), t0 + 61s, t0 + 61s) == replay_guard::verdict::fresh);
  CHECK(guard.size() == 1);
  CHECK(guard.remember(id(1), t0 + 61s, t0 + 61s) == replay_guard::verdict::fresh);
  CHECK(guard.remember(id(0), t0 + 61s, t0 + 62s) == replay_guard::verdict::replayed);
}

TEST_CASE("the replay guard never forgets an id before its expiry, fractions of a second included",
          "[exchange][replay]") {
  replay_guard guard(60s, 100);
  auto t0 = *parse_rfc3339("2026-11-21T10:00:00Z");
  const auto issued = t0 + 900ms;  // expires at t0 + 60.9 s
  CHECK(guard.remember("x", issued, issued) == replay_guard::verdict::fresh);
  CHECK(guard.remember("x", issued, t0 + 60s + 850ms) == replay_guard::verdict::replayed);
  CHECK(guard.remember("x", issued, t0 + 60s + 900ms) == replay_guard::verdict::replayed);
  // Kept until its second has passed: later than needed, never earlier.
  CHECK(guard.remember("x", issued, t0 + 60s + 950ms) == replay_guard::verdict::replayed);
  CHECK(guard.remember("y", t0 + 62s, t0 + 62s) == replay_guard::verdict::fresh);
  CHECK(guard.size() == 1);
}
