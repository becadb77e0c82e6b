#include "hub/guards.hpp"

#include <algorithm>
#include <functional>

namespace saphan::hub {

namespace {

// Below this many entries the guard keeps whatever it has allocated.
constexpr std::size_t min_kept_capacity = 4096;

}  // namespace

replay_guard::replay_guard(std::chrono::seconds window, std::size_t capacity)
    : window_(window), capacity_(capacity), key_(crypto::short_hash_key::random()) {}

void replay_guard::forget_expired(timestamp now) {
  const auto later_first = std::greater<>{};
  bool forgot = false;
  while (!by_expiry_.empty() && by_expiry_.front().expiry < now) {
    seen_.erase(by_expiry_.front().id);
    std::pop_heap(by_expiry_.begin(), by_expiry_.end(), later_first);
    by_expiry_.pop_back();
    forgot = true;
  }
  if (forgot)
    give_back_unused();
}

// After a burst the heap and the set keep room for it; once three quarters of that room stand
// empty, they shrink to what they hold (each shrink follows that many forgotten ids, so the copy
// is paid for).
void replay_guard::give_back_unused() {
  const auto held = by_expiry_.size();
  if (by_expiry_.capacity() <= min_kept_capacity || held * 4 > by_expiry_.capacity())
    return;
  by_expiry_.shrink_to_fit();
  seen_.rehash(0);
}

replay_guard::verdict replay_guard::remember(const std::string& id, timestamp issued_at,
                                             timestamp now) {
  const auto hashed = crypto::short_hash(key_, id);
  std::lock_guard lock(mutex_);
  forget_expired(now);
  if (seen_.count(hashed) != 0)
    return verdict::replayed;
  if (seen_.size() >= capacity_)
    return verdict::full;
  seen_.insert(hashed);
  by_expiry_.push_back({issued_at + window_, hashed});
  std::push_heap(by_expiry_.begin(), by_expiry_.end(), std::greater<>{});
  return verdict::fresh;
}

std::size_t replay_guard::size() const {
  std::lock_guard lock(mutex_);
  return seen_.size();
}

std::uint32_t rate_counter::recent(const std::string& key, std::chrono::seconds window,
                                   timestamp now) {
  std::lock_guard lock(mutex_);
  auto it = hits_.find(key);
  if (it == hits_.end())
    return 0;
  auto& q = it->second;
  while (!q.empty() && q.front() <= now - window)
    q.pop_front();
  return static_cast<std::uint32_t>(q.size());
}

void rate_counter::record(const std::string& key, timestamp now, std::size_t cap) {
  std::lock_guard lock(mutex_);
  auto& q = hits_[key];
  q.push_back(now);
  while (q.size() > cap && cap > 0)
    q.pop_front();
}

}  // namespace saphan::hub
