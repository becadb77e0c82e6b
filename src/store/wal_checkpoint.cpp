#include "store/wal_checkpoint.hpp"

#include "core/log.hpp"
#include "store/sqlite_statement.hpp"

namespace saphan {

struct wal_checkpointer::connection {
  sqlite::db_handle handle;
};

result<std::unique_ptr<wal_checkpointer>> wal_checkpointer::open(
    const std::string& path, std::chrono::milliseconds interval) {
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
      new wal_checkpointer(std::make_unique<connection>(connection{std::move(db)}), interval));
  return checkpointer;
}

wal_checkpointer::wal_checkpointer(std::unique_ptr<connection> db,
                                   std::chrono::milliseconds interval)
    : db_(std::move(db)), pace_(interval, [this] { run_and_report(); }) {}

wal_checkpointer::~wal_checkpointer() = default;

void wal_checkpointer::start() {
  pace_.start();
}

void wal_checkpointer::stop() {
  pace_.stop();
}

void wal_checkpointer::run_and_report() {
  auto done = run_once();
  if (!done && !failing_)
    log_event(log_level::warn, "store.wal_checkpoint_failed", {{"detail", done.error().detail}});
  if (done && failing_)
    log_event(log_level::info, "store.wal_checkpoint_recovered", {});
  failing_ = !done;
}

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
