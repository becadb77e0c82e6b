// Thin RAII wrappers over the SQLite C API, private to the store module. Values only ever reach
// SQL through bound parameters; every return code becomes a storage_failure carrying
// sqlite3_errmsg.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace saphan::sqlite {

// sqlite3_close_v2 always returns SQLITE_OK (it defers the close until statements are
// finalized), and sqlite3_finalize only repeats the error the last step already reported.
struct db_closer {
  void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
};
using db_handle = std::unique_ptr<sqlite3, db_closer>;

struct statement_finalizer {
  void operator()(sqlite3_stmt* stmt) const noexcept { sqlite3_finalize(stmt); }
};

// storage_failure "<what>: <sqlite3_errmsg> (code N)".
error failure(sqlite3* db, std::string_view what);

class statement {
 public:
  // Errors: storage_failure (syntax, missing table, ...). `sql` must hold one statement.
  static result<statement> prepare(sqlite3* db, std::string_view sql);

  result<void> bind(int index, std::string_view text);
  result<void> bind(int index, const std::string& text) {
    return bind(index, std::string_view(text));
  }
  result<void> bind(int index, const char* text) { return bind(index, std::string_view(text)); }
  result<void> bind(int index, std::int64_t value);
  result<void> bind(int index, int value) { return bind(index, static_cast<std::int64_t>(value)); }
  result<void> bind_blob(int index, std::string_view bytes);
  result<void> bind_null(int index);

  // true: a row is ready to read; false: the statement has finished.
  result<bool> step();
  // Steps to the end, expecting no rows; returns the number of rows changed.
  result<int> execute();

  std::string text(int column) const;
  std::string blob(int column) const;
  std::int64_t integer(int column) const;
  bool is_null(int column) const;

  // Ends the current use: releases read locks and clears the bindings.
  void reset() noexcept;

 private:
  statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  result<void> check_bind(int rc, int index);

  sqlite3* db_;
  std::unique_ptr<sqlite3_stmt, statement_finalizer> stmt_;
};

// Binds its arguments to parameters 1..N in order (for NULL, call bind_null).
template <class... Args>
result<void> bind_all(statement& s, const Args&... args) {
  int index = 0;
  result<void> outcome;
  // Stops at the first failure: later binds are skipped once `outcome` holds an error.
  ((outcome = outcome ? s.bind(++index, args) : outcome), ...);
  return outcome;
}

// Prepared statements kept for the life of the connection, keyed by their SQL text (a bounded set:
// every key is a statement this module spells out). Handed out reset, so no earlier use leaks.
class statement_cache {
 public:
  explicit statement_cache(sqlite3* db) : db_(db) {}
  result<statement*> get(std::string_view sql);
  void clear() noexcept { statements_.clear(); }

 private:
  sqlite3* db_;
  std::map<std::string, statement, std::less<>> statements_;
};

// Resets a statement when the scope that used it ends, even on an early return.
class statement_use {
 public:
  explicit statement_use(statement& s) : s_(s) {}
  ~statement_use() { s_.reset(); }
  statement_use(const statement_use&) = delete;
  statement_use& operator=(const statement_use&) = delete;
  statement& operator*() const { return s_; }
  statement* operator->() const { return &s_; }

 private:
  statement& s_;
};

// Runs every statement in `sql` in turn (DDL scripts, BEGIN/COMMIT). No parameters.
result<void> execute_script(sqlite3* db, std::string_view sql);

// Prepares `sql` (a pragma or a query that answers one row) and steps to that row.
// Errors: storage_failure, also when there is no row.
result<statement> single_row(sqlite3* db, std::string_view sql);

}  // namespace saphan::sqlite
