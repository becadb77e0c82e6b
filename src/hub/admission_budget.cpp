#include "hub/admission_budget.hpp"

#include <algorithm>

namespace saphan::hub {

admission_budget::admission_budget(std::uint32_t per_second)
    : rate_(static_cast<double>(std::max<std::uint32_t>(per_second, 1))) {}

bool admission_budget::take(const std::string& caller, clock::time_point now) {
  std::lock_guard lock(mutex_);
  auto it = buckets_.find(caller);
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_callers)
      forget_idle(now);
    it = buckets_.emplace(caller, bucket{rate_, now, 0}).first;
  }
  auto& b = it->second;
  const std::chrono::duration<double> elapsed = now - b.filled;
  b.tokens = std::min(rate_, b.tokens + std::max(0.0, elapsed.count()) * rate_);
  b.filled = std::max(b.filled, now);
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return true;
  }
  ++b.refused;
  return false;
}

std::vector<admission_budget::refusals> admission_budget::report() {
  std::lock_guard lock(mutex_);
  std::vector<refusals> out;
  for (auto& [caller, b] : buckets_) {
    if (b.refused > 0) {
      out.push_back({caller, b.refused});
      b.refused = 0;
    }
  }
  std::sort(out.begin(), out.end(),
            [](const refusals& a, const refusals& b) { return a.caller < b.caller; });
  return out;
}

void admission_budget::forget_idle(clock::time_point now) {
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    const std::chrono::duration<double> idle = now - it->second.filled;
    const bool full = it->second.tokens + idle.count() * rate_ >= rate_;
    it = full && it->second.refused == 0 ? buckets_.erase(it) : std::next(it);
  }
}

}  // namespace saphan::hub
