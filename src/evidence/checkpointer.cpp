#include "evidence/checkpointer.hpp"

#include "core/log.hpp"

namespace saphan::evidence {

checkpointer::checkpointer(std::unique_ptr<store> connection, log_identity identity,
                           std::chrono::milliseconds interval, std::function<void()> on_new_head)
    : db_(std::move(connection)),
      identity_(std::move(identity)),
      interval_(interval),
      on_new_head_(std::move(on_new_head)) {}

checkpointer::~checkpointer() { stop(); }

void checkpointer::start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { run(); });
}

void checkpointer::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void checkpointer::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, interval_, [&] { return stopping_; });
    lock.unlock();
    sign_if_grown();
    lock.lock();
  }
  lock.unlock();
  sign_if_grown();  // what was written last gets its head before the hub exits
}

void checkpointer::sign_if_grown() {
  auto size = db_->log_size();
  if (!size) {
    log_event(log_level::warn, "log.checkpoint_failed", {{"detail", size.error().detail}});
    return;
  }
  if (*size == 0 || *size == last_size_) return;
  auto head = make_checkpoint(*db_, identity_, now_utc());
  if (!head) {
    log_event(log_level::warn, "log.checkpoint_failed", {{"detail", head.error().detail}});
    return;
  }
  last_size_ = head->tree_size;
  if (on_new_head_) on_new_head_();
}

}  // namespace saphan::evidence
