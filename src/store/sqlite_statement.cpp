#include "store/sqlite_statement.hpp"

#include <limits>

namespace saphan::sqlite {
namespace {

// SQLite takes int lengths; anything this large never reaches a bind in practice, but a
// silent truncation would corrupt data, so it is refused.
bool fits_int(std::size_t size) {
  return size <= static_cast<std::size_t>(std::numeric_limits<int>::max());
}

}  // namespace

error failure(sqlite3* db, std::string_view what) {
  const int code = db != nullptr ? sqlite3_extended_errcode(db) : SQLITE_NOMEM;
  const char* message = db != nullptr ? sqlite3_errmsg(db) : "out of memory";
  return make_error(errc::storage_failure,
                    std::string(what) + ": " + message + " (code " + std::to_string(code) + ")");
}

result<statement> statement::prepare(sqlite3* db, std::string_view sql) {
  if (!fits_int(sql.size()))
    return make_error(errc::storage_failure, "prepare: SQL too long");
  sqlite3_stmt* raw = nullptr;
  const char* tail = nullptr;
  int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &raw, &tail);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(raw);
    return failure(db, "prepare");
  }
  if (raw == nullptr)
    return make_error(errc::storage_failure, "prepare: empty SQL");
  return statement(db, raw);
}

result<void> statement::check_bind(int rc, int index) {
  if (rc == SQLITE_OK)
    return ok();
  return failure(db_, "bind parameter " + std::to_string(index));
}

result<void> statement::bind(int index, std::string_view text) {
  if (!fits_int(text.size()))
    return make_error(errc::storage_failure, "bind: text too long");
  return check_bind(sqlite3_bind_text(stmt_.get(), index, text.data(),
                                      static_cast<int>(text.size()), SQLITE_TRANSIENT),
                    index);
}

result<void> statement::bind(int index, std::int64_t value) {
  return check_bind(sqlite3_bind_int64(stmt_.get(), index, value), index);
}

result<void> statement::bind_blob(int index, std::string_view bytes) {
  if (!fits_int(bytes.size()))
    return make_error(errc::storage_failure, "bind: blob too long");
  return check_bind(sqlite3_bind_blob(stmt_.get(), index, bytes.data(),
                                      static_cast<int>(bytes.size()), SQLITE_TRANSIENT),
                    index);
}

result<void> statement::bind_null(int index) {
  return check_bind(sqlite3_bind_null(stmt_.get(), index), index);
}

result<bool> statement::step() {
  int rc = sqlite3_step(stmt_.get());
  if (rc == SQLITE_ROW)
    return true;
  if (rc == SQLITE_DONE)
    return false;
  return failure(db_, "step");
}

result<int> statement::execute() {
  while (true) {
    auto row = SAPHAN_TRY(step());
    if (!row)
      break;
  }
  return sqlite3_changes(db_);
}

std::string statement::text(int column) const {
  const auto* data = sqlite3_column_text(stmt_.get(), column);
  const int size = sqlite3_column_bytes(stmt_.get(), column);
  if (data == nullptr || size <= 0)
    return {};
  return std::string(reinterpret_cast<const char*>(data), static_cast<std::size_t>(size));
}

std::string statement::blob(int column) const {
  const auto* data = sqlite3_column_blob(stmt_.get(), column);
  const int size = sqlite3_column_bytes(stmt_.get(), column);
  if (data == nullptr || size <= 0)
    return {};
  return std::string(static_cast<const char*>(data), static_cast<std::size_t>(size));
}

std::int64_t statement::integer(int column) const {
  return sqlite3_column_int64(stmt_.get(), column);
}

bool statement::is_null(int column) const {
  return sqlite3_column_type(stmt_.get(), column) == SQLITE_NULL;
}

void statement::reset() noexcept {
  // sqlite3_reset repeats the last step's error code, which step() has already reported.
  sqlite3_reset(stmt_.get());
  sqlite3_clear_bindings(stmt_.get());
}

result<statement*> statement_cache::get(std::string_view sql) {
  auto found = statements_.find(sql);
  if (found == statements_.end()) {
    auto prepared = SAPHAN_TRY(statement::prepare(db_, sql));
    found = statements_.emplace(std::string(sql), std::move(prepared)).first;
  }
  found->second.reset();
  return &found->second;
}

result<statement> single_row(sqlite3* db, std::string_view sql) {
  auto s = SAPHAN_TRY(statement::prepare(db, sql));
  auto row = SAPHAN_TRY(s.step());
  if (!row)
    return make_error(errc::storage_failure, std::string(sql) + ": no answer");
  return s;
}

result<void> execute_script(sqlite3* db, std::string_view sql) {
  while (!sql.empty()) {
    sqlite3_stmt* raw = nullptr;
    const char* tail = nullptr;
    if (!fits_int(sql.size()))
      return make_error(errc::storage_failure, "script: too long");
    int rc = sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &raw, &tail);
    if (rc != SQLITE_OK) {
      sqlite3_finalize(raw);
      return failure(db, "prepare script");
    }
    std::unique_ptr<sqlite3_stmt, statement_finalizer> owned(raw);
    // A null statement is whitespace or a comment at the end of the script.
    if (owned != nullptr) {
      while ((rc = sqlite3_step(owned.get())) == SQLITE_ROW) {
      }
      if (rc != SQLITE_DONE)
        return failure(db, "execute script");
    }
    sql.remove_prefix(static_cast<std::size_t>(tail - sql.data()));
  }
  return ok();
}

}  // namespace saphan::sqlite
