#include "hub/rate_counter.hpp"

namespace saphan::hub {

std::uint32_t rate_counter::recent(const std::string& key, std::chrono::seconds window,
                                   timestamp now) {
  std::lock_guard lock(mutex_);
  auto it = hits_.find(key);
  if (it == hits_.end())
    return 0;
  return prune(it->second, window, now);
}

std::uint32_t rate_counter::prune(std::deque<timestamp>& q, std::chrono::seconds window,
                                  timestamp now) {
  while (!q.empty() && q.front() <= now - window)
    q.pop_front();
  return static_cast<std::uint32_t>(q.size());
}

std::uint32_t rate_counter::reserve(const std::string& key, std::chrono::seconds window,
                                    timestamp now, std::size_t cap) {
  std::lock_guard lock(mutex_);
  auto& q = hits_[key];
  const auto before = prune(q, window, now);
  q.push_back(now);
  while (q.size() > cap && cap > 0)
    q.pop_front();
  return before;
}

void rate_counter::release(const std::string& key, timestamp reserved_at) {
  std::lock_guard lock(mutex_);
  auto it = hits_.find(key);
  if (it == hits_.end())
    return;
  auto& q = it->second;
  // Newest first: a reservation is given back within the request that made it.
  for (auto hit = q.rbegin(); hit != q.rend(); ++hit) {
    if (*hit == reserved_at) {
      q.erase(std::next(hit).base());
      return;
    }
  }
}

void rate_counter::record(const std::string& key, timestamp now, std::size_t cap) {
  std::lock_guard lock(mutex_);
  auto& q = hits_[key];
  q.push_back(now);
  while (q.size() > cap && cap > 0)
    q.pop_front();
}

}  // namespace saphan::hub
