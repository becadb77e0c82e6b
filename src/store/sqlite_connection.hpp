// One SQLite connection and the helpers every statement of the store goes through. Private to
// the store module: the SQLite store (sqlite_store_impl.hpp) is built on it.
//
// Thread safety: one connection, guarded by a recursive mutex. Every public call of the store
// holds it for its whole duration, and a transaction holds it while the body runs, so the body's
// own calls (same thread) re-enter while other threads wait: their statements can never slip into
// someone else's transaction. A body must call the store from its own thread only (another thread
// would wait for the body to finish). Callers must not run the store on an I/O thread (it blocks
// on disk).
//
// Atomicity: `atomically` opens BEGIN IMMEDIATE at the outermost level and a SAVEPOINT when
// already inside a transaction, so a nested call neither starts a second transaction nor commits
// the outer one early, and a failed nested step undoes only itself.
//
// Durability: WAL with synchronous=FULL, so a returned append or update survives power loss.
//
// Waiting for the write lock: the connections of one process to one file take turns
// (write_turns.hpp), so a connection that writes now and then is not starved by the group commit.
// Copying the WAL back (wal_checkpoint.hpp) is shared by the connections to one file that ask for
// it.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/sqlite_statement.hpp"
#include "store/sqlite_store.hpp"
#include "store/wal_checkpoint.hpp"
#include "store/write_turns.hpp"

namespace saphan::sqlite {

// What SQLite's callbacks on one connection use. It must outlive the connection.
struct connection_hooks {
  std::shared_ptr<write_turns> turns;
  std::chrono::milliseconds busy_timeout{0};
  write_turns::clock::time_point busy_since;
  int wal_autocheckpoint_pages = 0;
};

// A connection just opened, and what must live as long as it does.
struct opened_connection {
  std::unique_ptr<connection_hooks> hooks;  // null for an in-memory database
  db_handle db;
  std::shared_ptr<wal_checkpointer> background;  // null unless background_checkpoints
};

class connection {
 public:
  // Opens, configures (WAL, synchronous=FULL, foreign keys) and migrates the database of
  // `options`. Errors: invalid_argument, storage_failure.
  static result<opened_connection> open(const sqlite_options& options);
  explicit connection(opened_connection opened);
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  // Runs `body` as one transaction (or a savepoint inside one). The caller holds mutex.
  result<void> atomically(const std::function<result<void>()>& body);

  // Runs `use` on the cached statement for `sql`, resetting it afterwards whatever happens.
  template <class F>
  auto with(std::string_view sql, F&& use) -> decltype(use(std::declval<statement&>())) {
    SAPHAN_TRY_VOID(check_transaction_kept());
    auto s = SAPHAN_TRY(statements_.get(sql));
    statement_use in_use(*s);
    return use(*s);
  }

  // Binds `args` and runs a statement that returns no rows; the result is the rows changed.
  template <class... Args>
  result<int> run(std::string_view sql, const Args&... args) {
    return with(sql, [&](statement& s) -> result<int> {
      SAPHAN_TRY_VOID(sqlite::bind_all(s, args...));
      return s.execute();
    });
  }

  // An INSERT ... ON CONFLICT DO NOTHING that changed nothing hit an existing key.
  template <class... Args>
  result<void> insert_new(const std::string& what, std::string_view sql, const Args&... args) {
    auto changed = SAPHAN_TRY(run(sql, args...));
    if (changed == 0)
      return make_error(errc::already_exists, what + " already exists");
    return ok();
  }

  // Every remaining row of `s`, each made by `read` (returning T or result<T>).
  template <class T, class Read>
  static result<std::vector<T>> collect_rows(statement& s, Read read) {
    std::vector<T> out;
    while (true) {
      auto row = SAPHAN_TRY(s.step());
      if (!row)
        return out;
      result<T> item = read(s);
      if (!item)
        return item.error();
      out.push_back(std::move(*item));
    }
  }

  static result<std::vector<std::string>> collect_texts(statement& s) {
    return collect_rows<std::string>(s, [](statement& row) { return row.text(0); });
  }

  template <class... Args>
  result<std::vector<std::string>> texts(std::string_view sql, const Args&... args) {
    return with(sql, [&](statement& s) -> result<std::vector<std::string>> {
      SAPHAN_TRY_VOID(sqlite::bind_all(s, args...));
      return collect_texts(s);
    });
  }

  template <class... Args>
  result<std::optional<std::string>> first_text(std::string_view sql, const Args&... args) {
    return with(sql, [&](statement& s) -> result<std::optional<std::string>> {
      SAPHAN_TRY_VOID(sqlite::bind_all(s, args...));
      auto row = SAPHAN_TRY(s.step());
      if (!row)
        return std::optional<std::string>{};
      return std::optional<std::string>{s.text(0)};
    });
  }

  std::recursive_mutex mutex;

 protected:
  sqlite3* handle() const { return db_.get(); }

 private:
  result<void> control(std::string_view sql);
  result<void> undo(bool outer);
  // Inside atomically, SQLite may already have rolled the whole transaction back after an
  // error (SQLITE_FULL, SQLITE_IOERR, SQLITE_NOMEM). A statement run then would commit on its
  // own, so a group commit that went on past a failed step would keep part of its batch.
  // Errors: storage_failure.
  result<void> check_transaction_kept() const;

  std::shared_ptr<wal_checkpointer> background_;  // shared with this file's other connections
  std::unique_ptr<connection_hooks> hooks_;       // declared before db_: destroyed after the close
  db_handle db_;
  statement_cache statements_;  // declared after db_: finalized before the close
  int depth_ = 0;
};

}  // namespace saphan::sqlite
