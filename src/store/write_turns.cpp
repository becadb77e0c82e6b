#include "store/write_turns.hpp"

#include <algorithm>
#include <map>

namespace saphan {

std::shared_ptr<write_turns> write_turns::for_file(const std::string& path) {
  static std::mutex registry_mutex;
  static std::map<std::string, std::weak_ptr<write_turns>> registry;
  std::lock_guard lock(registry_mutex);
  // Files whose connections are all closed leave expired entries; drop them as we go.
  std::erase_if(registry, [](const auto& entry) { return entry.second.expired(); });
  auto& slot = registry[path];
  auto turns = slot.lock();
  if (!turns) {
    turns = std::make_shared<write_turns>();
    slot = turns;
  }
  return turns;
}

bool write_turns::wait_for_commit(clock::time_point deadline) {
  const auto now = clock::now();
  if (now >= deadline)
    return false;
  std::unique_lock lock(mutex_);
  const auto seen = commits_;
  ++waiting_;
  changed_.wait_until(lock, std::min(deadline, now + poll_slice), [&] { return commits_ != seen; });
  --waiting_;
  return true;
}

void write_turns::committed() {
  {
    std::lock_guard lock(mutex_);
    ++commits_;
  }
  changed_.notify_all();
}

void write_turns::let_waiters_first() {
  std::unique_lock lock(mutex_);
  if (waiting_ == 0)
    return;
  const auto seen = commits_;
  changed_.wait_for(lock, waiter_grace, [&] { return commits_ != seen; });
}

}  // namespace saphan
