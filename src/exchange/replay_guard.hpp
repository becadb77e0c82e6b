// The protocol's replay rule: a request id is spent once. The hub keeps one guard for every
// consumer's requests, and each provider connector keeps its own for what the hub forwards, so a
// hub cannot replay an old forwarded request to a provider either. Bounded and thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "core/digest_set.hpp"
#include "core/time.hpp"
#include "crypto/hash.hpp"

namespace saphan {

// Remembers request ids for as long as a request with that id could still pass the freshness
// check (issued_at within +-window of now). Older ids can be forgotten safely: their requests
// are refused as stale before the replay check matters.
class replay_guard {
 public:
  // `key` keys the hashes the ids are kept as; a random one unless a test pins it.
  replay_guard(std::chrono::seconds window, std::size_t capacity,
               crypto::short_hash_key key = crypto::short_hash_key::random());

  enum class verdict { fresh, replayed, full };
  // Records `id` if unseen. `full`: the capacity is reached by ids still inside the window
  // (the hub then refuses with `overloaded`, failing closed rather than forgetting).
  verdict remember(const std::string& id, timestamp issued_at, timestamp now);
  // Whether `id` is remembered now (what remember would answer replayed to).
  bool holds(const std::string& id, timestamp now);
  std::size_t size() const;

 private:
  void forget_expired(timestamp now);

  std::chrono::seconds window_;
  std::size_t capacity_;
  // Ids are kept as their keyed 64-bit hash in a flat table, not as strings: 20-39 bytes each
  // with their expiry instead of about 100, so ten minutes of a busy hub's request ids (hundreds of
  // thousands) stay a few megabytes. Two ids share a hash with probability 2^-64 per pair; with a
  // random key per guard no member can craft one that refuses another member's request.
  crypto::short_hash_key key_;
  mutable std::mutex mutex_;
  digest_set seen_;
  // The ids by the second their expiry (issued_at + window) falls in, soonest first. An id is
  // forgotten once its whole second has passed: up to a second late, which only keeps refusing
  // requests that are stale anyway. By second, not sorted by exact expiry: ids restored at
  // start-up expire after every new one, and any order-keeping list moved them on each request.
  std::map<std::int64_t, std::vector<std::uint64_t>> by_expiry_second_;
};

}  // namespace saphan
