// A budget of requests per caller, spent before the hub parses anything: a member that floods
// the hub with requests (refused ones included) is answered 429 at once, and its refusals are
// reported in one evidence entry per interval with their count, instead of one fsync'd entry
// each. A token bucket per caller (its member, or its address without a certificate): `rate`
// requests a second, up to `rate` at once.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace saphan::hub {

class admission_budget {
 public:
  using clock = std::chrono::steady_clock;
  // Callers remembered at once; beyond it, those with a full bucket (idle) are forgotten.
  static constexpr std::size_t max_callers = 65536;

  explicit admission_budget(std::uint32_t per_second);

  // Spends one request of `caller`'s budget; false (and counted for the report) when none left.
  bool take(const std::string& caller, clock::time_point now);

  struct refusals {
    std::string caller;
    std::uint64_t count = 0;
  };
  // The callers refused since the last report, with how many times; and forgets the counts.
  std::vector<refusals> report();

 private:
  struct bucket {
    double tokens = 0;
    clock::time_point filled{};
    std::uint64_t refused = 0;
  };
  void forget_idle(clock::time_point now);

  double rate_;
  std::mutex mutex_;
  std::unordered_map<std::string, bucket> buckets_;
};

}  // namespace saphan::hub
