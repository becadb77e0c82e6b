#include "store/wal_checkpoint.hpp"

#include "store/sqlite_statement.hpp"

namespace saphan {

struct wal_checkpointer::connection {
  sqlite::db_handle handle;
};

result<std::unique_ptr<wal_checkpointer>> wal_checkpointer::open(const std::string& path) {
  sqlite3* raw = nullptr;
  // No SQLITE_OPEN_CREATE: checkpointing a database that is not there is a mistake to report.
  const int rc =
      sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, nullptr);
  sqlite::db_handle db(raw);
  if (rc != SQLITE_OK)
    return sqlite::failure(db.get(), "open " + path);
  // FULL, as the writer: the copied pages are synced to the database file before the WAL may be
  // reused, so a crash during or after a checkpoint loses nothing.
  SAPHAN_TRY_VOID(sqlite::execute_script(db.get(), "PRAGMA synchronous = FULL"));
  auto checkpointer = std::unique_ptr<wal_checkpointer>(
      new wal_checkpointer(std::make_unique<connection>(connection{std::move(db)})));
  return checkpointer;
}

wal_checkpointer::wal_checkpointer(std::unique_ptr<connection> db) : db_(std::move(db)) {}

wal_checkpointer::~wal_checkpointer() = default;

result<wal_progress> wal_checkpointer::run_once() {
  wal_progress progress;
  const int rc = sqlite3_wal_checkpoint_v2(db_->handle.get(), nullptr, SQLITE_CHECKPOINT_PASSIVE,
                                           &progress.log_frames, &progress.copied_frames);
  if (rc == SQLITE_BUSY)
    return wal_progress{};
  if (rc != SQLITE_OK)
    return sqlite::failure(db_->handle.get(), "wal checkpoint");
  // -1: the database is not in WAL mode, so there was nothing to copy and never will be.
  if (progress.log_frames < 0)
    return make_error(errc::storage_failure, "wal checkpoint: the database is not in WAL mode");
  return progress;
}

}  // namespace saphan
