#include "hub/rate_counter.hpp"

namespace saphan::hub {

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
