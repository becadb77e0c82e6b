// The log API's readers: read-only store connections, each with a thread of its own. A log read
// (above all a search, which may read up to the configured scan limit) runs here and never on the
// exchange path's workers or connection: an exchange does not wait behind a search, and with two
// or more readers one long search does not hold up the other log reads either.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include "net/http.hpp"
#include "store/store.hpp"

namespace saphan::hub {

class log_readers {
 public:
  // One thread per store; `stores` must not be empty (each opened with store_access::read_only).
  explicit log_readers(std::vector<std::unique_ptr<store>> stores);
  ~log_readers();
  log_readers(const log_readers&) = delete;
  log_readers& operator=(const log_readers&) = delete;

  // Where the reads run: a job posted here is given a connection by lease().
  net::asio::thread_pool::executor_type executor() { return threads_.get_executor(); }

  // A connection no other job holds, for as long as the lease lives. Taken on one of the pool's
  // threads it never waits: there are as many connections as threads.
  class lease {
   public:
    explicit lease(log_readers& pool);
    ~lease();
    lease(const lease&) = delete;
    lease& operator=(const lease&) = delete;
    store& db() { return *db_; }

   private:
    log_readers& pool_;
    store* db_;
  };

  // Waits for the jobs posted so far (a search ends within its scan limit). Idempotent.
  void stop();

 private:
  std::vector<std::unique_ptr<store>> stores_;
  std::mutex mutex_;
  std::condition_variable released_;
  std::vector<store*> free_;
  net::asio::thread_pool threads_;
};

}  // namespace saphan::hub
