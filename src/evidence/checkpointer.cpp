#include "evidence/checkpointer.hpp"

#include "core/log.hpp"

namespace saphan::evidence {

checkpointer::checkpointer(std::unique_ptr<store> connection, log_identity identity,
                           std::chrono::milliseconds interval, std::function<void()> on_new_head)
    : db_(std::move(connection)),
      identity_(std::move(identity)),
      on_new_head_(std::move(on_new_head)),
      pace_(interval, [this] { sign_if_grown(); }) {}

checkpointer::~checkpointer() {
  stop();
}

void checkpointer::start() {
  pace_.start();
}

// Prompt: wakes the thread, which signs a last head for what is written, and joins.
void checkpointer::stop() {
  pace_.stop();
}

void checkpointer::sign_if_grown() {
  auto size = db_->log_size();
  if (!size) {
    log_event(log_level::warn, "log.checkpoint_failed", {{"detail", size.error().detail}});
    return;
  }
  if (*size == 0 || *size == last_size_)
    return;
  auto head = make_checkpoint(*db_, identity_, now_utc());
  if (!head) {
    log_event(log_level::warn, "log.checkpoint_failed", {{"detail", head.error().detail}});
    return;
  }
  last_size_ = head->tree_size;
  if (on_new_head_)
    on_new_head_();
}

}  // namespace saphan::evidence
