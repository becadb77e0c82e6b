#include "store/write_turns.hpp"

#include <algorithm>
#include <map>

namespace saphan {

write_turns::write_turns(std::chrono::milliseconds poll_slice,
                         std::chrono::milliseconds waiter_grace)
    : poll_slice_(poll_slice), waiter_grace_(waiter_grace) {}

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

bool write_turns::wait_for_release(clock::time_point deadline) {
  const auto now = clock::now();
  if (now >= deadline)
    return false;
  std::unique_lock lock(mutex_);
  // A release between SQLite's failed try and this point is not seen: the slice bounds the cost.
  const auto seen = wake_ups_;
  ++waiting_;
  changed_.wait_until(lock, std::min(deadline, now + poll_slice_),
                      [&] { return wake_ups_ != seen; });
  if (--waiting_ == 0)
    changed_.notify_all();  // a connection holding back for the waiters may go on
  return true;
}

void write_turns::released() {
  {
    std::lock_guard lock(mutex_);
    ++releases_;
    ++wake_ups_;
  }
  changed_.notify_all();
}

void write_turns::let_waiters_first() {
  std::unique_lock lock(mutex_);
  if (waiting_ == 0)
    return;
  // The lock is free now (this connection holds no transaction): a waiter that missed the last
  // release may take it at once. Whether it then writes or finds nothing to change (a statement
  // that changes nothing releases the lock unannounced), it has had its turn.
  const auto seen = releases_;
  ++wake_ups_;
  changed_.notify_all();
  changed_.wait_for(lock, waiter_grace_, [&] { return releases_ != seen || waiting_ == 0; });
}

int write_turns::waiting() {
  std::lock_guard lock(mutex_);
  return waiting_;
}

}  // namespace saphan
