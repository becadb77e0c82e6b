#include "hub/guards.hpp"

namespace saphan::hub {

replay_guard::replay_guard(std::chrono::seconds window, std::size_t capacity)
    : window_(window), capacity_(capacity) {}

void replay_guard::forget_expired(timestamp now) {
  while (!by_expiry_.empty() && by_expiry_.top().first < now) {
    seen_.erase(by_expiry_.top().second);
    by_expiry_.pop();
  }
}

replay_guard::verdict replay_guard::remember(const std::string& id, timestamp issued_at,
                                             timestamp now) {
  std::lock_guard lock(mutex_);
  forget_expired(now);
  if (seen_.count(id) != 0)
    return verdict::replayed;
  if (seen_.size() >= capacity_)
    return verdict::full;
  seen_.insert(id);
  by_expiry_.emplace(issued_at + window_, id);
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
