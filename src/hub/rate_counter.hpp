// The hub's rate counts: in memory, bounded and thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/time.hpp"

namespace saphan::hub {

// Sliding-window request counts per key (consumer + dataset). Keeps at most `cap` timestamps
// per key: the decision only needs to know whether the limit is reached.
class rate_counter {
 public:
  // Requests for `key` within (now - window, now].
  std::uint32_t recent(const std::string& key, std::chrono::seconds window, timestamp now);
  void record(const std::string& key, timestamp now, std::size_t cap);
  // recent() and record() in one step: the count before this request, which is counted at once,
  // so that parallel requests each see the ones before them and no more than the limit pass.
  // A request that is then not allowed gives its place back with release().
  std::uint32_t reserve(const std::string& key, std::chrono::seconds window, timestamp now,
                        std::size_t cap);
  void release(const std::string& key, timestamp reserved_at);

 private:
  std::uint32_t prune(std::deque<timestamp>& q, std::chrono::seconds window, timestamp now);

  std::mutex mutex_;
  std::unordered_map<std::string, std::deque<timestamp>> hits_;
};

}  // namespace saphan::hub
