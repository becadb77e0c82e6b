#include "connectors/sqlite/sqlite_adapter.hpp"

#include <sqlite3.h>

#include <mutex>

namespace saphan::connector {
namespace {

struct sqlite_settings {
  std::string path;
  std::string table;
  std::string key_column;
  std::string record_column;
};

// One connection shared under a mutex: lookups by primary key take microseconds, so a mutex
// costs less than a connection per worker thread and keeps the file-handle count fixed.
class sqlite_adapter final : public record_adapter {
 public:
  sqlite_adapter(sqlite3* db, sqlite3_stmt* statement) : db_(db), statement_(statement) {}
  ~sqlite_adapter() override {
    sqlite3_finalize(statement_);
    sqlite3_close(db_);
  }
  sqlite_adapter(const sqlite_adapter&) = delete;
  sqlite_adapter& operator=(const sqlite_adapter&) = delete;

  result<std::optional<std::string>> fetch(std::string_view subject) override {
    if (subject.size() > max_subject_bytes) {
      return make_error(errc::invalid_argument,
                        "subject longer than " + std::to_string(max_subject_bytes) + " bytes");
    }
    std::lock_guard lock(mutex_);
    sqlite3_reset(statement_);
    if (sqlite3_bind_text(statement_, 1, subject.data(), static_cast<int>(subject.size()),
                          SQLITE_TRANSIENT) != SQLITE_OK) {
      return failure("bind");
    }
    auto rc = sqlite3_step(statement_);
    if (rc == SQLITE_DONE)
      return std::optional<std::string>{};
    if (rc != SQLITE_ROW)
      return failure("step");
    auto out = read_record();
    sqlite3_reset(statement_);  // release the read lock now, not at the next lookup
    return out;
  }

  std::string_view type() const override { return "sqlite"; }

 private:
  result<std::optional<std::string>> read_record() {
    auto kind = sqlite3_column_type(statement_, 0);
    if (kind == SQLITE_NULL) {
      return make_error(errc::provider_error, "sqlite: record column is NULL");
    }
    if (kind != SQLITE_TEXT && kind != SQLITE_BLOB) {
      return make_error(errc::provider_error, "sqlite: record column is not text");
    }
    const auto* data = static_cast<const char*>(sqlite3_column_blob(statement_, 0));
    auto size = static_cast<std::size_t>(sqlite3_column_bytes(statement_, 0));
    if (size > max_record_bytes) {
      return make_error(errc::payload_too_large, "sqlite: record larger than " +
                                                     std::to_string(max_record_bytes) + " bytes");
    }
    if (data == nullptr)
      return std::optional<std::string>{std::string{}};
    return std::optional<std::string>{std::string(data, size)};
  }

  error failure(std::string_view step) {
    auto detail = "sqlite " + std::string(step) + ": " + sqlite3_errmsg(db_);
    sqlite3_reset(statement_);
    return make_error(errc::storage_failure, detail);
  }

  std::mutex mutex_;
  sqlite3* db_;
  sqlite3_stmt* statement_;
};

result<sqlite_settings> read_settings(const json_object& config, const std::string& base_dir) {
  sqlite_settings s;
  auto path = SAPHAN_TRY(config.string("path"));
  if (path.empty())
    return config.fail("path", "must not be empty");
  s.path = resolve_path(base_dir, path);
  auto table = SAPHAN_TRY(sql_identifier(config, "table"));
  s.table = table;
  auto key = SAPHAN_TRY(sql_identifier(config, "keyColumn"));
  s.key_column = key;
  auto record = SAPHAN_TRY(sql_identifier(config, "recordColumn"));
  s.record_column = record;
  return s;
}

}  // namespace

result<std::shared_ptr<record_adapter>> make_sqlite_adapter(const rapidjson::Value& value,
                                                            const std::string& where,
                                                            const std::string& base_dir) {
  SAPHAN_TRY_VOID(
      reject_unknown_members(value, where, {"type", "path", "table", "keyColumn", "recordColumn"}));
  json_object config(value, where, errc::invalid_argument);
  auto settings = SAPHAN_TRY(read_settings(config, base_dir));
  sqlite3* db = nullptr;
  // NOMUTEX: the adapter serialises access itself. READONLY: a connector never writes.
  auto rc = sqlite3_open_v2(settings.path.c_str(), &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
                            nullptr);
  if (rc != SQLITE_OK) {
    std::string detail = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    return config.fail("path", "cannot open " + settings.path + " read-only: " + detail);
  }
  // The agency's own writers may hold the database briefly; wait rather than fail at once.
  sqlite3_busy_timeout(db, 2000);
  auto sql = "SELECT \"" + settings.record_column + "\" FROM \"" + settings.table + "\" WHERE \"" +
             settings.key_column + "\" = ?";
  sqlite3_stmt* statement = nullptr;
  rc = sqlite3_prepare_v3(db, sql.c_str(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                          &statement, nullptr);
  if (rc != SQLITE_OK) {
    std::string detail = sqlite3_errmsg(db);
    sqlite3_finalize(statement);
    sqlite3_close(db);
    return config.fail("table", "cannot prepare the lookup: " + detail);
  }
  return std::shared_ptr<record_adapter>(std::make_shared<sqlite_adapter>(db, statement));
}

}  // namespace saphan::connector
