#include "core/periodic.hpp"

namespace saphan {

periodic::periodic(std::chrono::milliseconds interval, std::function<void()> task)
    : interval_(interval), task_(std::move(task)) {}

periodic::~periodic() {
  stop();
}

void periodic::start() {
  std::lock_guard lock(mutex_);
  if (thread_.joinable() || stopping_)
    return;
  thread_ = std::thread([this] { run(); });
}

void periodic::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable())
    thread_.join();
}

void periodic::run() {
  std::unique_lock lock(mutex_);
  while (!wake_.wait_for(lock, interval_, [&] { return stopping_; })) {
    lock.unlock();
    task_();
    lock.lock();
  }
  lock.unlock();
  task_();  // the last run, for what happened just before the stop
}

}  // namespace saphan
