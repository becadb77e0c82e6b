// In-memory guards the hub consults on every exchange. Both are bounded and thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <queue>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/time.hpp"

namespace saphan::hub {

// Remembers request ids for as long as a request with that id could still pass the freshness
// check (issued_at within +-window of now). Older ids can be forgotten safely: their requests
// are refused as stale before the replay check matters.
class replay_guard {
 public:
  replay_guard(std::chrono::seconds window, std::size_t capacity);

  enum class verdict { fresh, replayed, full };
  // Records `id` if unseen. `full`: the capacity is reached by ids still inside the window
  // (the hub then refuses with `overloaded`, failing closed rather than forgetting).
  verdict remember(const std::string& id, timestamp issued_at, timestamp now);
  std::size_t size() const;

 private:
  void forget_expired(timestamp now);

  std::chrono::seconds window_;
  std::size_t capacity_;
  mutable std::mutex mutex_;
  using expiring_id = std::pair<timestamp, std::string>;  // expiry = issued_at + window
  std::unordered_set<std::string> seen_;
  // Soonest expiry on top. A heap, not a sorted list: ids restored at start-up that were received
  // within the last window expire after every new one, and a sorted list moved all of them on
  // each request.
  std::priority_queue<expiring_id, std::vector<expiring_id>, std::greater<>> by_expiry_;
};

// Sliding-window request counts per key (consumer + dataset). Keeps at most `cap` timestamps
// per key: the decision only needs to know whether the limit is reached.
class rate_counter {
 public:
  // Requests for `key` within (now - window, now].
  std::uint32_t recent(const std::string& key, std::chrono::seconds window, timestamp now);
  void record(const std::string& key, timestamp now, std::size_t cap);

 private:
  std::mutex mutex_;
  std::unordered_map<std::string, std::deque<timestamp>> hits_;
};

}  // namespace saphan::hub
