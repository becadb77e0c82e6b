// Signs a tree head at a steady pace while entries arrive (every `interval`, only when the log
// grew), on its own thread and its own store connection. Heads on demand come from
// make_checkpoint directly (log.hpp); both are safe together, one head per size.
#pragma once

#include <chrono>
#include <functional>
#include <memory>

#include "core/periodic.hpp"
#include "evidence/log.hpp"

namespace saphan::evidence {

class checkpointer {
 public:
  // `on_new_head` runs on the checkpointer's thread after each new head (e.g. to wake the
  // timestamper).
  checkpointer(std::unique_ptr<store> connection, log_identity identity,
               std::chrono::milliseconds interval, std::function<void()> on_new_head = {});
  ~checkpointer();
  checkpointer(const checkpointer&) = delete;
  checkpointer& operator=(const checkpointer&) = delete;

  void start();
  void stop();  // prompt: wakes the thread, signs a last head for what is written, joins

 private:
  void sign_if_grown();

  std::unique_ptr<store> db_;
  log_identity identity_;
  std::function<void()> on_new_head_;
  std::uint64_t last_size_ = 0;
  periodic pace_;  // last: its thread stops before the members it uses go
};

}  // namespace saphan::evidence
