#include "store/sqlite_connection.hpp"

#include <map>
#include <mutex>

#include "store/migrations.hpp"
#include "store/rows.hpp"

namespace saphan::sqlite {
namespace {

// SQLite's busy handler. `attempt` is 0 on the first call of each statement step, which is when
// the busy timeout starts, as with SQLite's own handler. Called from C: nothing may throw.
int wait_for_write_turn(void* context, int attempt) noexcept {
  auto& hooks = *static_cast<connection_hooks*>(context);
  if (attempt == 0)
    hooks.busy_since = write_turns::clock::now();
  return hooks.turns->wait_for_release(hooks.busy_since + hooks.busy_timeout) ? 1 : 0;
}

// SQLite's WAL hook: runs after each commit that wrote something, with the write lock already
// released. (Transactions also announce their end themselves: see release_on_exit.)
int after_commit(void* context, sqlite3* db, const char* schema, int wal_pages) noexcept {
  auto& hooks = *static_cast<connection_hooks*>(context);
  hooks.turns->released();
  // A connection has one WAL hook, and SQLite's automatic checkpoint is one: this one does its
  // work too, as SQLite's does (a passive copy once the WAL reaches the configured size).
  if (hooks.wal_autocheckpoint_pages > 0 && wal_pages >= hooks.wal_autocheckpoint_pages)
    sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  return SQLITE_OK;
}

// However a transaction ends (commit, rollback, exception), the write lock is free again: tells
// the waiters. The WAL hook alone misses rollbacks and commits that changed nothing.
struct release_on_exit {
  connection_hooks* hooks;
  ~release_on_exit() {
    if (hooks)
      hooks->turns->released();
  }
};

result<db_handle> open_connection(const sqlite_options& options) {
  sqlite3* raw = nullptr;
  const int mode =
      options.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  int rc = sqlite3_open_v2(options.path.c_str(), &raw, mode | SQLITE_OPEN_FULLMUTEX, nullptr);
  db_handle db(raw);
  if (rc != SQLITE_OK)
    return failure(db.get(), "open " + options.path);
  if (sqlite3_extended_result_codes(db.get(), 1) != SQLITE_OK) {
    return failure(db.get(), "extended result codes");
  }
  if (sqlite3_busy_timeout(db.get(), options.busy_timeout_ms) != SQLITE_OK) {
    return failure(db.get(), "busy timeout");
  }
  return db;
}

// Takes the file's write turns in place of SQLite's busy timeout and automatic checkpoint. An
// in-memory database is private to its connection: it keeps SQLite's own.
std::unique_ptr<connection_hooks> install_hooks(sqlite3* db, const sqlite_options& options) {
  const char* file = sqlite3_db_filename(db, "main");
  if (file == nullptr || *file == '\0')
    return nullptr;
  auto hooks = std::make_unique<connection_hooks>();
  hooks->turns = write_turns::for_file(file);
  hooks->busy_timeout = std::chrono::milliseconds(options.busy_timeout_ms);
  hooks->wal_autocheckpoint_pages = options.wal_autocheckpoint_pages;
  sqlite3_busy_handler(db, wait_for_write_turn, hooks.get());
  sqlite3_wal_hook(db, after_commit, hooks.get());
  return hooks;
}

result<std::string> pragma_text(sqlite3* db, std::string_view sql) {
  auto row = SAPHAN_TRY(single_row(db, sql));
  return row.text(0);
}

result<void> configure(sqlite3* db, bool in_memory) {
  auto mode = SAPHAN_TRY(pragma_text(db, "PRAGMA journal_mode = WAL"));
  // An in-memory database answers "memory"; a file that cannot do WAL (e.g. some network file
  // systems) must not silently run in a weaker mode.
  if (!in_memory && mode != "wal") {
    return make_error(errc::storage_failure, "journal_mode: expected wal, got " + mode);
  }
  // temp_store = MEMORY: a SAVEPOINT (one per consent use in a group commit) otherwise gets its
  // statement journal as a new file in /var/tmp, created and unlinked every time.
  SAPHAN_TRY_VOID(execute_script(
      db, "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY;"));
  // No PRAGMA wal_autocheckpoint here or anywhere: it would replace the WAL hook install_hooks
  // sets, which does the automatic checkpoint itself and wakes the connections waiting to write.
  auto fk = SAPHAN_TRY(pragma_text(db, "PRAGMA foreign_keys"));
  if (fk != "1")
    return make_error(errc::storage_failure, "foreign_keys: could not be enabled");
  auto sync = SAPHAN_TRY(pragma_text(db, "PRAGMA synchronous"));
  if (sync != "2")
    return make_error(errc::storage_failure, "synchronous: could not be set to FULL");
  return ok();
}

// A read-only connection: it cannot set WAL mode, so the file must already be in it (a reader in
// another journal mode would block writers and be blocked by them), nor migrate, so the file must
// be at this program's schema. query_only as well: a second guard on the connection itself.
result<void> configure_reader(sqlite3* db) {
  auto mode = SAPHAN_TRY(pragma_text(db, "PRAGMA journal_mode"));
  if (mode != "wal")
    return make_error(errc::storage_failure, "journal_mode: expected wal, got " + mode);
  SAPHAN_TRY_VOID(execute_script(db, "PRAGMA query_only = 1; PRAGMA temp_store = MEMORY;"));
  auto version = SAPHAN_TRY(read_user_version(db));
  if (version != latest_schema_version()) {
    return make_error(errc::storage_failure, "schema version " + std::to_string(version) +
                                                 ", this program reads only " +
                                                 std::to_string(latest_schema_version()) +
                                                 " (a read-write open migrates the file)");
  }
  return ok();
}

result<opened_connection> open_reader(const sqlite_options& options) {
  if (options.path == ":memory:") {
    return make_error(errc::invalid_argument,
                      "read_only: a private in-memory database cannot be opened read-only");
  }
  auto db = SAPHAN_TRY(open_connection(options));
  SAPHAN_TRY_VOID(configure_reader(db.get()));
  return opened_connection{nullptr, std::move(db), nullptr};
}

// The process's background checkpointer of each file, shared by the connections that asked for
// one and stopped with the last of them.
result<std::shared_ptr<wal_checkpointer>> shared_checkpointer(const std::string& path) {
  static std::mutex mutex;
  static std::map<std::string, std::weak_ptr<wal_checkpointer>> running;
  std::lock_guard lock(mutex);
  if (auto existing = running[path].lock())
    return existing;
  auto made = SAPHAN_TRY(wal_checkpointer::open(path));
  std::shared_ptr<wal_checkpointer> shared = std::move(made);
  shared->start();
  running[path] = shared;
  return shared;
}

}  // namespace

result<opened_connection> connection::open(const sqlite_options& options) {
  if (options.path.empty())
    return make_error(errc::invalid_argument, "path: must not be empty");
  if (options.busy_timeout_ms < 0) {
    return make_error(errc::invalid_argument, "busy_timeout_ms: must not be negative");
  }
  if (options.wal_autocheckpoint_pages < 0) {
    return make_error(errc::invalid_argument, "wal_autocheckpoint_pages: must not be negative");
  }
  if (options.max_pages < 0)
    return make_error(errc::invalid_argument, "max_pages: must not be negative");
  if (options.read_only)
    return open_reader(options);
  const bool in_memory = options.path == ":memory:";
  auto db = SAPHAN_TRY(open_connection(options));
  opened_connection c{nullptr, std::move(db), nullptr};
  SAPHAN_TRY_VOID(configure(c.db.get(), in_memory));
  const bool background = options.background_checkpoints && !in_memory;
  auto hooked = options;
  if (background)
    hooked.wal_autocheckpoint_pages = writer_wal_autocheckpoint_pages;
  c.hooks = install_hooks(c.db.get(), hooked);
  SAPHAN_TRY_VOID(migrate(c.db.get()));
  if (options.max_pages > 0) {
    SAPHAN_TRY_VOID(execute_script(
        c.db.get(), "PRAGMA max_page_count = " + std::to_string(options.max_pages) + ";"));
  }
  if (background) {
    auto shared = SAPHAN_TRY(shared_checkpointer(sqlite3_db_filename(c.db.get(), "main")));
    c.background = std::move(shared);
  }
  return c;
}

connection::connection(opened_connection opened)
    : background_(std::move(opened.background)),
      hooks_(std::move(opened.hooks)),
      db_(std::move(opened.db)),
      statements_(db_.get()) {}

result<void> connection::atomically(const std::function<result<void>()>& body) {
  const bool outer = depth_ == 0;
  if (outer && hooks_)
    hooks_->turns->let_waiters_first();
  release_on_exit announce{outer ? hooks_.get() : nullptr};
  // Cached statements: the group commit runs these for every batch and every consent use.
  return store_rows::run_nested(
      depth_, [&](bool o) { return control(o ? "BEGIN IMMEDIATE" : "SAVEPOINT nested"); },
      [&](bool o) { return control(o ? "COMMIT" : "RELEASE nested"); },
      [&](bool o) { return undo(o); }, body);
}

result<void> connection::check_transaction_kept() const {
  if (depth_ > 0 && sqlite3_get_autocommit(db_.get()) != 0) {
    return make_error(errc::storage_failure,
                      "SQLite rolled the transaction back after an earlier error (disk full, "
                      "I/O error or out of memory): nothing of it was kept");
  }
  return ok();
}

result<void> connection::control(std::string_view sql) {
  SAPHAN_TRY_VOID(run(sql));
  return ok();
}

result<void> connection::undo(bool outer) {
  // After some errors (SQLITE_FULL, SQLITE_IOERR, SQLITE_NOMEM) SQLite has already rolled the
  // whole transaction back; there is nothing left to undo.
  if (sqlite3_get_autocommit(db_.get()) != 0)
    return ok();
  return execute_script(db_.get(), outer ? "ROLLBACK" : "ROLLBACK TO nested; RELEASE nested");
}
}  // namespace saphan::sqlite
