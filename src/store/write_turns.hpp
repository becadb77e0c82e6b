// Fair turns at SQLite's write lock among one process's connections to one database file.
//
// In WAL mode one connection writes at a time. A connection that finds the lock taken runs its
// busy handler, and SQLite's own sleeps 1, 2, 5 ... 100 ms between tries. Under steady load the
// evidence group commit takes the lock again microseconds after each commit, so a connection
// sleeping that way almost never finds it free: it waits out its whole busy timeout and fails.
// That is how tree heads went unsigned for seconds while exchanges kept the writer busy.
//
// Instead, the hub's connections to a file share one write_turns. A connection that finds the
// lock taken waits until another one commits (told by SQLite's WAL hook) and tries again at
// once; a connection about to open a write transaction while another is waiting lets it go first.
// The holder may be another process, whose commits are not seen here: waits are sliced, so the
// lock is tried again at least every `poll_slice`.
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

  // How long a waiter sleeps before trying the lock again without having seen a commit.
  static constexpr std::chrono::milliseconds poll_slice{10};
  // How long a connection about to write holds back for a waiter to take the lock and commit;
  // past it, it goes ahead and (if the waiter holds the lock) waits for that commit instead.
  static constexpr std::chrono::milliseconds waiter_grace{5};

  // The one instance for the database file at `path`, shared by every connection of this process
  // that asks with the same path (SQLite's absolute file name, sqlite3_db_filename).
  static std::shared_ptr<write_turns> for_file(const std::string& path);

  // A connection found the lock taken: sleeps until another connection commits, at most one
  // poll slice and never past `deadline`. False once the deadline has passed (give up).
  bool wait_for_commit(clock::time_point deadline);
  // A connection of this process committed: wakes the waiters.
  void committed();
  // Before a write transaction: when a connection is waiting for the lock, holds back (at most
  // waiter_grace) until someone else commits.
  void let_waiters_first();

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::uint64_t commits_ = 0;
  int waiting_ = 0;
};

}  // namespace saphan
