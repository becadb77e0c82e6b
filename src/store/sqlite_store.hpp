// The SQLite store: one connection to one database file (or a private in-memory database).
// open_store() picks it for a path; the settings here are SQLite's own and no caller outside the
// store needs them but the tests of SQLite's behaviour.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "store/store.hpp"

namespace saphan {

// SQLite's own default for sqlite_options::wal_autocheckpoint_pages.
inline constexpr int sqlite_default_wal_autocheckpoint_pages = 1000;

struct sqlite_options {
  std::string path;  // file path; ":memory:" for tests
  // How long a write waits for the lock (taking turns with this process's other connections to
  // the file, store/write_turns.hpp) before it fails with storage_failure.
  int busy_timeout_ms = 5000;
  // The WAL size, in pages, at which a commit on this connection also copies the WAL into the
  // database file (SQLite's automatic checkpoint); 0 turns it off.
  int wal_autocheckpoint_pages = sqlite_default_wal_autocheckpoint_pages;
  // Copy the WAL back from a thread of the store's own (store/wal_checkpoint.hpp), shared by
  // every connection of this process to the file that asks for it; the connection's own
  // automatic checkpoint is then only a backstop (writer_wal_autocheckpoint_pages).
  bool background_checkpoints = false;
  // The most pages the file may hold on this connection (PRAGMA max_page_count); 0 leaves
  // SQLite's own limit. A write that needs more fails as on a full disk.
  std::int64_t max_pages = 0;
  // Open the connection read-only (SQLITE_OPEN_READONLY): SQLite refuses every write on it, no
  // migration runs (the file must exist at the latest schema version), and it has none of the
  // writers' hooks. Readers of a WAL file never wait for writers, nor writers for them.
  bool read_only = false;
};

// Opens (creating if needed) and migrates to the latest schema. WAL mode, foreign keys on.
// Errors: invalid_argument (bad options), storage_failure with SQLite's message.
result<std::unique_ptr<store>> open_sqlite_store(const sqlite_options& options);

}  // namespace saphan
