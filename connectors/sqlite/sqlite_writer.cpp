#include "connectors/sqlite/sqlite_writer.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <set>

#include "connectors/sqlite/sqlite_adapter.hpp"

namespace saphan::connector {
namespace {

// What write_tables needs of one table, without copying the rows.
struct table_view {
  const std::string& table;
  const std::string& key_column;
  const std::string& record_column;
  const record_rows& rows;
};

std::string quoted(const std::string& identifier) {
  return "\"" + identifier + "\"";
}

result<void> check_identifier(const std::string& name, const char* what) {
  if (!is_sql_identifier(name)) {
    return make_error(errc::invalid_argument, std::string(what) + " \"" + name.substr(0, 80) +
                                                  "\": must match ^[A-Za-z_][A-Za-z0-9_]{0,63}$");
  }
  return ok();
}

result<void> check_tables(const std::vector<table_view>& tables) {
  if (tables.size() > max_writer_tables) {
    return make_error(errc::invalid_argument,
                      "tables: at most " + std::to_string(max_writer_tables));
  }
  std::set<std::string> names;
  for (const auto& t : tables) {
    SAPHAN_TRY_VOID(check_identifier(t.table, "table"));
    SAPHAN_TRY_VOID(check_identifier(t.key_column, "key column"));
    SAPHAN_TRY_VOID(check_identifier(t.record_column, "record column"));
    if (t.key_column == t.record_column) {
      return make_error(errc::invalid_argument,
                        "table " + t.table + ": key and record column are the same");
    }
    if (!names.insert(t.table).second) {
      return make_error(errc::invalid_argument, "table " + t.table + ": given twice");
    }
    if (t.rows.size() > max_writer_rows) {
      return make_error(errc::invalid_argument, "table " + t.table + ": more than " +
                                                    std::to_string(max_writer_rows) + " rows");
    }
  }
  return ok();
}

result<void> check_row(const std::string& table, const std::string& key,
                       const std::string& record) {
  if (key.empty() || key.size() > max_writer_key_bytes) {
    return make_error(errc::invalid_argument, "table " + table + ": key must be 1.." +
                                                  std::to_string(max_writer_key_bytes) + " bytes");
  }
  if (record.size() > max_writer_record_bytes) {
    return make_error(errc::invalid_argument, "table " + table + ", key " + key + ": record over " +
                                                  std::to_string(max_writer_record_bytes) +
                                                  " bytes");
  }
  return ok();
}

// A connection that is always closed, and a statement that is always finalised.
class connection {
 public:
  connection() = default;
  ~connection() {
    if (db_ != nullptr)
      sqlite3_close(db_);
  }
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  result<void> open(const std::string& path) {
    path_ = path;
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
        SQLITE_OK) {
      return fail("open");
    }
    return ok();
  }

  result<void> exec(const std::string& sql) {
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK)
      return fail(sql);
    return ok();
  }

  result<void> close() {
    const int rc = sqlite3_close(db_);
    if (rc != SQLITE_OK)
      return fail("close");
    db_ = nullptr;
    return ok();
  }

  sqlite3* handle() const { return db_; }

  error fail(const std::string& step) const {
    const int code = db_ != nullptr ? sqlite3_extended_errcode(db_) : SQLITE_CANTOPEN;
    const std::string message = db_ != nullptr ? sqlite3_errmsg(db_) : "cannot open";
    // A constraint failure means the caller gave the same key twice: their input, not our I/O.
    const errc code_out =
        (code & 0xff) == SQLITE_CONSTRAINT ? errc::invalid_argument : errc::io_error;
    return make_error(code_out, path_ + ": " + step.substr(0, 120) + ": " + message);
  }

 private:
  sqlite3* db_ = nullptr;
  std::string path_;
};

class statement {
 public:
  explicit statement(sqlite3_stmt* s) : s_(s) {}
  ~statement() { sqlite3_finalize(s_); }
  statement(const statement&) = delete;
  statement& operator=(const statement&) = delete;
  sqlite3_stmt* get() const { return s_; }

 private:
  sqlite3_stmt* s_;
};

result<void> insert_rows(connection& db, const table_view& t) {
  SAPHAN_TRY_VOID(db.exec("CREATE TABLE " + quoted(t.table) + " (" + quoted(t.key_column) +
                          " TEXT PRIMARY KEY, " + quoted(t.record_column) + " TEXT NOT NULL)"));
  const std::string sql = "INSERT INTO " + quoted(t.table) + " (" + quoted(t.key_column) + ", " +
                          quoted(t.record_column) + ") VALUES (?, ?)";
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db.handle(), sql.c_str(), -1, &raw, nullptr) != SQLITE_OK) {
    return db.fail(sql);
  }
  statement insert(raw);
  for (const auto& [key, record] : t.rows) {
    SAPHAN_TRY_VOID(check_row(t.table, key, record));
    if (sqlite3_bind_text(insert.get(), 1, key.data(), static_cast<int>(key.size()),
                          SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_text(insert.get(), 2, record.data(), static_cast<int>(record.size()),
                          SQLITE_STATIC) != SQLITE_OK) {
      return db.fail("bind");
    }
    if (sqlite3_step(insert.get()) != SQLITE_DONE) {
      return db.fail("insert into " + t.table + " key " + key);
    }
    if (sqlite3_reset(insert.get()) != SQLITE_OK)
      return db.fail("reset");
  }
  return ok();
}

result<void> fill(const std::string& temp_path, const std::vector<table_view>& tables) {
  connection db;
  SAPHAN_TRY_VOID(db.open(temp_path));
  // The file is private until renamed, so no journal is needed; one fsync at the end suffices.
  SAPHAN_TRY_VOID(db.exec("PRAGMA journal_mode=OFF"));
  SAPHAN_TRY_VOID(db.exec("PRAGMA synchronous=FULL"));
  SAPHAN_TRY_VOID(db.exec("BEGIN"));
  for (const auto& t : tables) {
    auto inserted = insert_rows(db, t);
    if (!inserted) {
      (void)db.exec("ROLLBACK");
      return inserted;
    }
  }
  SAPHAN_TRY_VOID(db.exec("COMMIT"));
  return db.close();
}

result<void> fsync_path(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0)
    return make_error(errc::io_error, path + ": open: " + std::strerror(errno));
  const int rc = ::fsync(fd);
  const int saved = errno;
  ::close(fd);
  if (rc != 0)
    return make_error(errc::io_error, path + ": fsync: " + std::strerror(saved));
  return ok();
}

std::string parent_of(const std::string& path) {
  auto parent = std::filesystem::path(path).parent_path();
  return parent.empty() ? "." : parent.string();
}

// A new empty file beside `path`, so the final rename stays on one file system.
result<std::string> make_temp_beside(const std::string& path) {
  std::string name = path + ".tmp-XXXXXX";
  const int fd = ::mkstemp(name.data());
  if (fd < 0)
    return make_error(errc::io_error, name + ": mkstemp: " + std::strerror(errno));
  ::close(fd);
  return name;
}

result<void> write_views(const std::string& path, const std::vector<table_view>& tables) {
  SAPHAN_TRY_VOID(check_tables(tables));
  auto temp = SAPHAN_TRY(make_temp_beside(path));
  auto done = fill(temp, tables);
  if (done)
    done = fsync_path(temp, O_RDONLY);
  if (done && std::rename(temp.c_str(), path.c_str()) != 0) {
    done = make_error(errc::io_error, path + ": rename: " + std::strerror(errno));
  }
  if (!done) {
    std::remove(temp.c_str());
    return done;
  }
  return fsync_path(parent_of(path), O_RDONLY | O_DIRECTORY);
}

}  // namespace

result<void> write_tables(const std::string& path, const std::vector<table_rows>& tables) {
  std::vector<table_view> views;
  views.reserve(tables.size());
  for (const auto& t : tables)
    views.push_back({t.table, t.key_column, t.record_column, t.rows});
  return write_views(path, views);
}

result<void> write_records(const std::string& path, const std::string& table,
                           const std::string& key_column, const std::string& record_column,
                           const record_rows& rows) {
  return write_views(path, {table_view{table, key_column, record_column, rows}});
}

}  // namespace saphan::connector
