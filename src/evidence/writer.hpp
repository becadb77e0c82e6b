// Group commit for the evidence log. Callers on many threads hand entries to one writer thread,
// which appends everything waiting in ONE transaction (one fsync) and then wakes each caller. A
// caller returns only once its entry is durable, so no exchange is ever answered before its
// evidence is on disk, while the disk is synced once per batch instead of once per entry.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "merkle/merkle.hpp"
#include "store/store.hpp"

namespace saphan::evidence {

class log_writer {
 public:
  // A change that must commit together with its entry (e.g. spending one use of a consent). It
  // runs inside the batch's transaction on the writer's connection, just before its entry.
  // When it fails, only its own writes are undone and `on_failure` names the entry to log instead.
  struct item {
    log_append record;
    std::function<result<void>(store&)> effect;
    std::function<log_append(const error&)> on_failure;
  };
  struct appended {
    std::uint64_t index = 0;
    std::optional<error> effect_error;  // set when the effect failed and on_failure was logged
  };

  struct stats {
    std::uint64_t batches = 0;
    std::uint64_t entries = 0;
    std::uint64_t failed_batches = 0;
    // False from a failed batch until a later batch or a probe (store::check_writable, every
    // probe_interval while nothing is queued) commits: what a readiness check reports.
    bool writable = true;
    std::string last_failure;  // why the last failed batch or probe failed
  };

  // How often a writer whose last batch failed checks whether the store takes writes again.
  static constexpr std::chrono::milliseconds probe_interval{1000};

  // `connection` is used only by the writer thread. max_batch bounds one transaction.
  explicit log_writer(std::unique_ptr<store> connection, std::size_t max_batch = 1024);
  ~log_writer();
  log_writer(const log_writer&) = delete;
  log_writer& operator=(const log_writer&) = delete;

  // Blocks until the entry is durable. Errors: evidence_unavailable (the batch could not be
  // written, the entry is refused by check_log_entry, or the writer has stopped).
  //
  // A batch commits whole or not at all. When a write fails (a full disk, an I/O error), even
  // inside an item's effect, nothing of the batch is kept, no effect stays applied, and every
  // caller in it gets evidence_unavailable; the writer goes on with the next batch.
  result<appended> append(item entry);
  // The same without blocking: `done` runs once the entry's batch has committed (or failed), on
  // the writer's thread, so it must be short (e.g. post the result to an executor). When the
  // entry is refused at once, `done` runs on the caller's thread before submit returns.
  using completion = std::function<void(result<appended>)>;
  void submit(item entry, completion done);
  result<std::uint64_t> append(log_append record);

  // Finishes what is queued, then stops; later appends fail. Idempotent.
  void stop();
  stats snapshot() const;

 private:
  struct waiter;
  void run();
  void write_batch(std::deque<waiter*>& batch);
  void probe();

  std::unique_ptr<store> db_;
  std::size_t max_batch_;
  merkle::compact_tree tree_;  // the writer thread's cache of the tree; see append_entries
  mutable std::mutex mutex_;
  std::condition_variable work_ready_;
  std::deque<waiter*> queue_;
  bool stopping_ = false;
  stats stats_;
  std::thread thread_;
};

}  // namespace saphan::evidence
