#include "exchange/replay_guard.hpp"

namespace saphan {

namespace {

std::int64_t second_of(timestamp t) {
  return std::chrono::floor<std::chrono::seconds>(t).time_since_epoch().count();
}

}  // namespace

replay_guard::replay_guard(std::chrono::seconds window, std::size_t capacity,
                           crypto::short_hash_key key)
    : window_(window), capacity_(capacity), key_(key) {}

void replay_guard::forget_expired(timestamp now) {
  const auto current = second_of(now);
  bool forgot = false;
  while (!by_expiry_second_.empty() && by_expiry_second_.begin()->first < current) {
    for (const auto id : by_expiry_second_.begin()->second)
      seen_.erase(id);
    by_expiry_second_.erase(by_expiry_second_.begin());
    forgot = true;
  }
  // After a burst the table keeps room for it; once it is mostly empty it moves to a smaller one
  // (after that many forgotten ids, so the copy is paid for).
  if (forgot && seen_.size() * 8 < seen_.slot_count())
    seen_.shrink_to_fit();
}

replay_guard::verdict replay_guard::remember(const std::string& id, timestamp issued_at,
                                             timestamp now) {
  const auto hashed = crypto::short_hash(key_, id);
  std::lock_guard lock(mutex_);
  forget_expired(now);
  if (seen_.contains(hashed))
    return verdict::replayed;
  if (seen_.size() >= capacity_)
    return verdict::full;
  seen_.insert(hashed);
  by_expiry_second_[second_of(issued_at + window_)].push_back(hashed);
  return verdict::fresh;
}

bool replay_guard::holds(const std::string& id, timestamp now) {
  const auto hashed = crypto::short_hash(key_, id);
  std::lock_guard lock(mutex_);
  forget_expired(now);
  return seen_.contains(hashed);
}

std::size_t replay_guard::size() const {
  std::lock_guard lock(mutex_);
  return seen_.size();
}

}  // namespace saphan
