// Copying the SQLite write-ahead log back into the database file, away from the group commit.
//
// SQLite checkpoints automatically inside the commit that takes the WAL past 1,000 pages: that
// commit then copies every page and syncs the database file before it returns, and every
// exchange waiting on its batch waits too (tens of milliseconds, once a second at full load).
// A passive checkpoint from a connection of its own copies the same pages meanwhile, without
// blocking the writer or the readers, so the writer's own checkpoint finds little or nothing left.
// The SQLite store runs one per file for the connections opened with background_checkpoints
// (every connection open_store makes); the tests drive one directly.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "core/periodic.hpp"
#include "core/result.hpp"

namespace saphan {

// How often the committed pages are copied back.
inline constexpr std::chrono::milliseconds wal_checkpoint_interval{200};

// A connection with background checkpoints checkpoints in its own commits only past this many WAL
// pages (about 40 MB): a backstop for when the passive copies cannot catch up. The WAL starts over
// only once every page is copied, and under steady load new commits keep arriving while a copy
// runs.
inline constexpr int writer_wal_autocheckpoint_pages = 10000;

struct wal_progress {
  int log_frames = 0;     // frames in the WAL when the checkpoint ran
  int copied_frames = 0;  // of which are now in the database file
};

class wal_checkpointer {
 public:
  // A connection of its own to the existing database at `path`, checkpointing every `interval`
  // once started. Errors: storage_failure.
  static result<std::unique_ptr<wal_checkpointer>> open(
      const std::string& path, std::chrono::milliseconds interval = wal_checkpoint_interval);
  ~wal_checkpointer();
  wal_checkpointer(const wal_checkpointer&) = delete;
  wal_checkpointer& operator=(const wal_checkpointer&) = delete;

  // On a thread of its own. A failure is logged when it starts and when it ends, not at every
  // interval while it lasts.
  void start();
  void stop();

  // One passive checkpoint: copies what no reader still needs, never waits for a lock.
  // A checkpoint already running elsewhere is not an error (nothing copied this time).
  result<wal_progress> run_once();

 private:
  struct connection;
  wal_checkpointer(std::unique_ptr<connection> db, std::chrono::milliseconds interval);
  void run_and_report();

  std::unique_ptr<connection> db_;
  bool failing_ = false;
  periodic pace_;  // last: its thread stops before the members it uses go
};

}  // namespace saphan
