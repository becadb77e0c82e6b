#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <thread>

#include "core/periodic.hpp"

using namespace std::chrono_literals;

TEST_CASE("periodic runs its task at its pace, and once more when stopped", "[core][periodic]") {
  std::atomic<int> runs{0};
  saphan::periodic pace(20ms, [&] { ++runs; });
  pace.start();
  pace.start();  // a second start is harmless
  for (int i = 0; i < 200 && runs.load() < 3; ++i)
    std::this_thread::sleep_for(10ms);
  CHECK(runs.load() >= 3);
  const int before_stop = runs.load();
  pace.stop();
  const int after_stop = runs.load();
  CHECK(after_stop >= before_stop + 1);  // the last run
  std::this_thread::sleep_for(60ms);
  CHECK(runs.load() == after_stop);  // and nothing after it
  pace.stop();                       // idempotent
}

TEST_CASE("periodic stops promptly even with a long interval", "[core][periodic]") {
  std::atomic<int> runs{0};
  saphan::periodic pace(std::chrono::hours(1), [&] { ++runs; });
  pace.start();
  const auto began = std::chrono::steady_clock::now();
  pace.stop();
  CHECK(std::chrono::steady_clock::now() - began < 5s);
  CHECK(runs.load() == 1);
}

TEST_CASE("periodic never started runs nothing", "[core][periodic]") {
  std::atomic<int> runs{0};
  {
    saphan::periodic pace(10ms, [&] { ++runs; });
  }
  CHECK(runs.load() == 0);
}
