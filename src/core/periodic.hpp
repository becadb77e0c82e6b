// A background thread that runs one task at a steady pace until stopped: the pattern of the
// hub's housekeeping (signing tree heads, expiring consents). stop() wakes the thread at once,
// runs the task a last time (so what happened just before a shutdown is not left undone) and
// joins. The task must not throw.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace saphan {

class periodic {
 public:
  periodic(std::chrono::milliseconds interval, std::function<void()> task);
  ~periodic();
  periodic(const periodic&) = delete;
  periodic& operator=(const periodic&) = delete;

  void start();  // idempotent
  void stop();   // idempotent; prompt

 private:
  void run();

  std::chrono::milliseconds interval_;
  std::function<void()> task_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace saphan
