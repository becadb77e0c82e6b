#include "connectors/postgresql/pg_adapter.hpp"

#include <libpq-fe.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <vector>

namespace saphan::connector {
namespace {

constexpr const char* lookup_statement = "saphan_lookup";
// PostgreSQL's SQLSTATE for a statement cancelled by statement_timeout.
constexpr std::string_view query_canceled = "57014";

struct pg_settings {
  std::string connection;
  std::string schema;
  std::string table;
  std::string key_column;
  std::string record_column;
  std::size_t connections = 2;
  std::chrono::milliseconds statement_timeout{2000};
  std::chrono::seconds connect_timeout{5};
};

struct result_deleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using result_ptr = std::unique_ptr<PGresult, result_deleter>;

std::string lookup_sql(const pg_settings& s) {
  // ::text: json, jsonb and text columns all come back as JSON text.
  return "SELECT \"" + s.record_column + "\"::text FROM \"" + s.schema + "\".\"" + s.table +
         "\" WHERE \"" + s.key_column + "\" = $1";
}

// libpq's messages end in a newline and may run over several lines: one line is enough here.
std::string first_line(const char* message) {
  std::string text = message ? message : "";
  if (auto nl = text.find('\n'); nl != std::string::npos)
    text.resize(nl);
  return text.substr(0, 300);
}

// One connection and its prepared lookup. Read-only and the statement timeout are session
// settings sent at connection start (the "options" parameter), so a reset connection keeps them.
class pg_link {
 public:
  explicit pg_link(const pg_settings& s) : settings_(s) {}
  ~pg_link() { PQfinish(conn_); }
  pg_link(const pg_link&) = delete;
  pg_link& operator=(const pg_link&) = delete;

  // Errors: storage_failure (cannot connect; the message never repeats the connection string,
  // which may hold a password), invalid_argument (the lookup does not prepare: table or column).
  result<void> open() {
    const auto options = "-c default_transaction_read_only=on -c statement_timeout=" +
                         std::to_string(settings_.statement_timeout.count());
    const auto timeout = std::to_string(settings_.connect_timeout.count());
    const char* keys[] = {"dbname", "application_name", "connect_timeout", "options", nullptr};
    const char* values[] = {settings_.connection.c_str(), "saphan-connector", timeout.c_str(),
                            options.c_str(), nullptr};
    PQfinish(conn_);
    conn_ = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
    if (conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK) {
      return make_error(errc::storage_failure,
                        "postgresql: cannot connect: " + first_line(PQerrorMessage(conn_)));
    }
    return prepare();
  }

  result<std::optional<std::string>> lookup(std::string_view subject) {
    auto r = execute(subject);
    // A connection the server or the network dropped: connect again once, then give up.
    if (PQstatus(conn_) != CONNECTION_OK) {
      if (auto reopened = open(); !reopened)
        return make_error(errc::storage_failure, reopened.error().detail);
      r = execute(subject);
    }
    return read(r.get());
  }

 private:
  result<void> prepare() {
    const auto sql = lookup_sql(settings_);
    result_ptr r(PQprepare(conn_, lookup_statement, sql.c_str(), 1, nullptr));
    if (PQresultStatus(r.get()) != PGRES_COMMAND_OK) {
      return make_error(errc::invalid_argument,
                        "cannot prepare the lookup: " + first_line(PQresultErrorMessage(r.get())));
    }
    return ok();
  }

  result_ptr execute(std::string_view subject) {
    const std::string key(subject);
    const char* values[] = {key.c_str()};
    return result_ptr(PQexecPrepared(conn_, lookup_statement, 1, values, nullptr, nullptr, 0));
  }

  result<std::optional<std::string>> read(const PGresult* r) {
    const auto status = PQresultStatus(r);
    if (status != PGRES_TUPLES_OK) {
      const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
      if (state && query_canceled == state) {
        return make_error(errc::provider_timeout,
                          "postgresql: the lookup took longer than statementTimeoutMs");
      }
      const char* message = r ? PQresultErrorMessage(r) : PQerrorMessage(conn_);
      return make_error(errc::storage_failure, "postgresql: " + first_line(message));
    }
    const int rows = PQntuples(r);
    if (rows == 0)
      return std::optional<std::string>{};
    // The key column is meant to name one record; two would make the answer a guess.
    if (rows > 1)
      return make_error(errc::provider_error, "postgresql: more than one row for this subject");
    if (PQgetisnull(r, 0, 0))
      return make_error(errc::provider_error, "postgresql: record column is NULL");
    const auto size = static_cast<std::size_t>(PQgetlength(r, 0, 0));
    if (size > max_record_bytes) {
      return make_error(errc::payload_too_large, "postgresql: record larger than " +
                                                     std::to_string(max_record_bytes) + " bytes");
    }
    return std::optional<std::string>{std::string(PQgetvalue(r, 0, 0), size)};
  }

  const pg_settings& settings_;
  PGconn* conn_ = nullptr;
};

// A fixed pool: each lookup borrows a connection for the length of one statement. Waiting for one
// is bounded, so a stuck database shows as provider_timeout, not as a worker held forever.
class pg_adapter final : public record_adapter {
 public:
  explicit pg_adapter(pg_settings settings) : settings_(std::move(settings)) {}

  result<void> open() {
    for (std::size_t i = 0; i < settings_.connections; ++i) {
      auto link = std::make_unique<pg_link>(settings_);
      SAPHAN_TRY_VOID(link->open());
      idle_.push_back(std::move(link));
    }
    return ok();
  }

  result<std::optional<std::string>> fetch(std::string_view subject) override {
    if (subject.size() > max_subject_bytes) {
      return make_error(errc::invalid_argument,
                        "subject longer than " + std::to_string(max_subject_bytes) + " bytes");
    }
    auto link = borrow();
    if (!link) {
      return make_error(errc::provider_timeout,
                        "postgresql: every connection stayed busy for statementTimeoutMs");
    }
    auto out = link->lookup(subject);
    give_back(std::move(link));
    return out;
  }

  std::string_view type() const override { return "postgresql"; }

 private:
  std::unique_ptr<pg_link> borrow() {
    std::unique_lock lock(mutex_);
    if (!returned_.wait_for(lock, settings_.statement_timeout, [&] { return !idle_.empty(); }))
      return nullptr;
    auto link = std::move(idle_.back());
    idle_.pop_back();
    return link;
  }

  void give_back(std::unique_ptr<pg_link> link) {
    {
      std::lock_guard lock(mutex_);
      idle_.push_back(std::move(link));
    }
    returned_.notify_one();
  }

  pg_settings settings_;  // before the links, which refer to it
  std::mutex mutex_;
  std::condition_variable returned_;
  std::vector<std::unique_ptr<pg_link>> idle_;
};

result<pg_settings> read_settings(const json_object& config) {
  pg_settings s;
  s.connection = SAPHAN_TRY(config.string("connection"));
  if (s.connection.rfind("postgresql://", 0) != 0 && s.connection.rfind("postgres://", 0) != 0)
    return config.fail("connection", "must be a postgresql:// connection URI");
  s.schema = "public";
  if (config.has("schema"))
    s.schema = SAPHAN_TRY(sql_identifier(config, "schema"));
  s.table = SAPHAN_TRY(sql_identifier(config, "table"));
  s.key_column = SAPHAN_TRY(sql_identifier(config, "keyColumn"));
  s.record_column = SAPHAN_TRY(sql_identifier(config, "recordColumn"));
  s.connections =
      static_cast<std::size_t>(SAPHAN_TRY(bounded_integer(config, "connections", 1, 32, 2)));
  s.statement_timeout = std::chrono::milliseconds(
      SAPHAN_TRY(bounded_integer(config, "statementTimeoutMs", 10, 60000, 2000)));
  s.connect_timeout =
      std::chrono::seconds(SAPHAN_TRY(bounded_integer(config, "connectTimeoutSeconds", 2, 60, 5)));
  return s;
}

}  // namespace

result<std::shared_ptr<record_adapter>> make_postgresql_adapter(const rapidjson::Value& value,
                                                                const std::string& where,
                                                                const std::string& /*base_dir*/) {
  SAPHAN_TRY_VOID(
      reject_unknown_members(value, where,
                             {"type", "connection", "schema", "table", "keyColumn", "recordColumn",
                              "connections", "statementTimeoutMs", "connectTimeoutSeconds"}));
  json_object config(value, where, errc::invalid_argument);
  auto settings = SAPHAN_TRY(read_settings(config));
  auto adapter = std::make_shared<pg_adapter>(std::move(settings));
  if (auto opened = adapter->open(); !opened) {
    const bool prepare_failed = opened.error().code == errc::invalid_argument;
    return config.fail(prepare_failed ? "table" : "connection", opened.error().detail);
  }
  return std::shared_ptr<record_adapter>(std::move(adapter));
}

}  // namespace saphan::connector
