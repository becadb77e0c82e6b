#include "hub/log_readers.hpp"

namespace saphan::hub {

log_readers::log_readers(std::vector<std::unique_ptr<store>> stores)
    : stores_(std::move(stores)), threads_(stores_.size()) {
  for (auto& s : stores_)
    free_.push_back(s.get());
}

log_readers::~log_readers() {
  stop();
}

void log_readers::stop() {
  threads_.join();
}

log_readers::lease::lease(log_readers& pool) : pool_(pool) {
  std::unique_lock lock(pool_.mutex_);
  pool_.released_.wait(lock, [&] { return !pool_.free_.empty(); });
  db_ = pool_.free_.back();
  pool_.free_.pop_back();
}

log_readers::lease::~lease() {
  {
    std::lock_guard lock(pool_.mutex_);
    pool_.free_.push_back(db_);
  }
  pool_.released_.notify_one();
}

}  // namespace saphan::hub
