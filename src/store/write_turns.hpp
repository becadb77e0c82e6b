// Fair turns at SQLite's write lock among one process's connections to one database file.
//
// In WAL mode one connection writes at a time. A connection that finds the lock taken runs its
// busy handler, and SQLite's own sleeps 1, 2, 5 ... 100 ms between tries. Under steady load the
// evidence group commit takes the lock again microseconds after each commit, so a connection
// sleeping that way almost never finds it free: it waits out its whole busy timeout and fails.
// That is how tree heads went unsigned for seconds while exchanges kept the writer busy.
//
// Instead, the hub's connections to a file share one write_turns. A connection that finds the
// lock taken waits until another one releases it (a commit or a rollback) and tries again at
// once; a connection about to open a write transaction while another is waiting wakes it and
// lets it go first (until it releases the lock or at least has tried it). Some releases are not
// seen (another process's, or a single statement that changed nothing), so waits are sliced: the
// lock is tried again at least every poll slice.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

namespace saphan {

class write_turns {
 public:
  using clock = std::chrono::steady_clock;

  // How long a waiter sleeps before trying the lock again without having seen a release.
  static constexpr std::chrono::milliseconds default_poll_slice{2};
  // How long a connection about to write holds back for a waiter to take the lock and release
  // it; past it, it goes ahead (and, if the waiter holds the lock, waits for it in turn).
  static constexpr std::chrono::milliseconds default_waiter_grace{50};

  explicit write_turns(std::chrono::milliseconds poll_slice = default_poll_slice,
                       std::chrono::milliseconds waiter_grace = default_waiter_grace);

  // The one instance for the database file at `path`, shared by every connection of this process
  // that asks with the same path (SQLite's absolute file name, sqlite3_db_filename).
  static std::shared_ptr<write_turns> for_file(const std::string& path);

  // A connection found the lock taken: sleeps until another connection releases it, at most one
  // poll slice and never past `deadline`. False once the deadline has passed (give up).
  bool wait_for_release(clock::time_point deadline);
  // A connection of this process released the lock: wakes the waiters.
  void released();
  // Before a write transaction: when connections are waiting, wakes them and holds back until
  // one releases the lock or all have tried it again, at most the waiter grace. A waiter that
  // finds the lock held by another process waits again, and this then costs the whole grace;
  // that is rare and bounded, and the lock was not free for this connection either.
  void let_waiters_first();

  // How many connections are in wait_for_release now (for tests and diagnostics).
  int waiting();

 private:
  const std::chrono::milliseconds poll_slice_;
  const std::chrono::milliseconds waiter_grace_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::uint64_t releases_ = 0;
  std::uint64_t wake_ups_ = 0;  // releases and let_waiters_first's calls: what waiters wait for
  int waiting_ = 0;
};

}  // namespace saphan
