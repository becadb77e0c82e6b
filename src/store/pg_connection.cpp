#include "store/pg_connection.hpp"

#include <cstdlib>
#include <cstring>

#include "store/rows.hpp"

namespace saphan::pg {
namespace {

// Type oids of pg_type.h (stable across PostgreSQL versions).
constexpr unsigned int bool_oid = 16;
constexpr unsigned int bytea_oid = 17;
constexpr unsigned int int8_oid = 20;
constexpr unsigned int int4_oid = 23;
constexpr unsigned int text_oid = 25;

constexpr int binary = 1;

std::string big_endian(std::uint64_t v, int bytes) {
  std::string out(static_cast<std::size_t>(bytes), '\0');
  for (int i = bytes - 1; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  return out;
}

std::uint64_t from_big_endian(const char* p, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i)
    v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

std::string message_of(const PGconn* c) {
  std::string m = c != nullptr ? PQerrorMessage(c) : "out of memory";
  while (!m.empty() && (m.back() == '\n' || m.back() == ' '))
    m.pop_back();
  return m;
}

// Parameters as libpq takes them: parallel arrays, every value in binary format.
struct packed {
  std::vector<unsigned int> types;
  std::vector<const char*> values;
  std::vector<int> lengths;
  std::vector<int> formats;
  int count = 0;

  explicit packed(const std::vector<param>& params)
      : formats(params.size(), binary), count(static_cast<int>(params.size())) {
    for (const auto& p : params) {
      types.push_back(p.type);
      values.push_back(p.bytes ? p.bytes->data() : nullptr);
      lengths.push_back(p.bytes ? static_cast<int>(p.bytes->size()) : 0);
    }
  }
};

// The notices of the server (NOTICE of CREATE ... IF NOT EXISTS, ...) are not for stderr.
void ignore_notice(void*, const PGresult*) noexcept {}

}  // namespace

param text(std::string_view value) {
  return param{text_oid, std::string(value)};
}
param int8(std::int64_t value) {
  return param{int8_oid, big_endian(static_cast<std::uint64_t>(value), 8)};
}
param bytea(std::string_view value) {
  return param{bytea_oid, std::string(value)};
}
param null_bytea() {
  return param{bytea_oid, std::nullopt};
}
param null_text() {
  return param{text_oid, std::nullopt};
}

int rows::changed() const {
  const char* n = PQcmdTuples(result_.get());
  return n != nullptr && *n != '\0' ? std::atoi(n) : 0;
}

bool rows::is_null(int row, int column) const {
  return PQgetisnull(result_.get(), row, column) != 0;
}

std::string rows::text(int row, int column) const {
  if (is_null(row, column))
    return {};
  return std::string(PQgetvalue(result_.get(), row, column),
                     static_cast<std::size_t>(PQgetlength(result_.get(), row, column)));
}

result<std::int64_t> rows::integer(int row, int column) const {
  const auto type = PQftype(result_.get(), column);
  const int length = PQgetlength(result_.get(), row, column);
  const char* value = PQgetvalue(result_.get(), row, column);
  if (is_null(row, column))
    return make_error(errc::storage_failure, "column " + std::to_string(column) + " is null");
  if ((type == int8_oid && length == 8) || (type == int4_oid && length == 4) ||
      (type == bool_oid && length == 1)) {
    auto raw = from_big_endian(value, length);
    if (length == 4)
      return static_cast<std::int64_t>(static_cast<std::int32_t>(raw));
    return static_cast<std::int64_t>(raw);
  }
  return make_error(errc::storage_failure, "column " + std::to_string(column) +
                                               " is not an integer (type " + std::to_string(type) +
                                               ")");
}

error pg_error(std::string_view what, std::string_view sqlstate, std::string_view message) {
  errc code = errc::storage_failure;
  if (sqlstate == "23505" || sqlstate == "23P01" || sqlstate == "40001" || sqlstate == "40P01")
    code = errc::conflict;
  else if (sqlstate == "23503")
    code = errc::not_found;
  std::string detail(what);
  detail += ": ";
  detail += message;
  if (!sqlstate.empty()) {
    detail += " (SQLSTATE ";
    detail += sqlstate;
    detail += ")";
  }
  return make_error(code, std::move(detail));
}

result<connection> connection::open(const std::string& conninfo, bool read_only) {
  connection c(conninfo, read_only);
  SAPHAN_TRY_VOID(c.connect());
  return c;
}

result<void> connection::connect() {
  prepared_.clear();
  conn_.reset(PQconnectdb(conninfo_.c_str()));
  if (!conn_ || PQstatus(conn_.get()) != CONNECTION_OK) {
    return make_error(errc::storage_failure,
                      "PostgreSQL connection failed: " + message_of(conn_.get()));
  }
  PQsetNoticeReceiver(conn_.get(), ignore_notice, nullptr);
  // Every commit waits for its WAL to reach disk, whatever the server's default: an appended
  // evidence entry must survive a crash once append_log returned.
  SAPHAN_TRY_VOID(
      script("SET synchronous_commit = on; SET client_min_messages = warning; "
             "SET TIME ZONE 'UTC'"));
  if (read_only_)
    SAPHAN_TRY_VOID(script("SET default_transaction_read_only = on"));
  return ok();
}

result<void> connection::ensure_connected() {
  if (conn_ && PQstatus(conn_.get()) == CONNECTION_OK)
    return ok();
  if (depth_ > 0) {
    return make_error(errc::storage_failure,
                      "PostgreSQL connection lost inside a transaction: nothing of it was kept");
  }
  return connect();
}

result<rows> connection::checked(PGresult* r, std::string_view what, bool expect_rows) {
  rows out(r);
  if (r == nullptr)
    return make_error(errc::storage_failure, std::string(what) + ": " + message_of(conn_.get()));
  const auto status = PQresultStatus(r);
  if (status == PGRES_COMMAND_OK || (expect_rows && status == PGRES_TUPLES_OK))
    return out;
  const char* state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
  std::string message = PQresultErrorMessage(r);
  while (!message.empty() && (message.back() == '\n' || message.back() == ' '))
    message.pop_back();
  if (message.empty())
    message = std::string("unexpected result ") + PQresStatus(status);
  return pg_error(what, state != nullptr ? state : "", message);
}

result<rows> connection::run(std::string_view sql, const std::vector<param>& params) {
  SAPHAN_TRY_VOID(ensure_connected());
  const packed in(params);
  auto found = prepared_.find(sql);
  if (found == prepared_.end()) {
    std::string name = "s" + std::to_string(prepared_.size() + 1);
    const std::string text(sql);
    SAPHAN_TRY_VOID(
        checked(PQprepare(conn_.get(), name.c_str(), text.c_str(), in.count, in.types.data()),
                "prepare", false));
    found = prepared_.emplace(text, std::move(name)).first;
  }
  return checked(PQexecPrepared(conn_.get(), found->second.c_str(), in.count, in.values.data(),
                                in.lengths.data(), in.formats.data(), binary),
                 sql, true);
}

result<rows> connection::run_once(const std::string& sql, const std::vector<param>& params) {
  SAPHAN_TRY_VOID(ensure_connected());
  const packed in(params);
  return checked(PQexecParams(conn_.get(), sql.c_str(), in.count, in.types.data(), in.values.data(),
                              in.lengths.data(), in.formats.data(), binary),
                 "search", true);
}

result<void> connection::script(std::string_view sql) {
  if (!conn_ || PQstatus(conn_.get()) != CONNECTION_OK)
    return make_error(errc::storage_failure, "PostgreSQL connection lost");
  const std::string text(sql);
  SAPHAN_TRY_VOID(checked(PQexec(conn_.get(), text.c_str()), "statement", true));
  return ok();
}

result<void> connection::atomically(const std::function<result<void>()>& body) {
  if (depth_ == 0)
    SAPHAN_TRY_VOID(ensure_connected());
  return store_rows::run_nested(
      depth_, [&](bool o) { return script(o ? "BEGIN" : "SAVEPOINT nested"); },
      [&](bool o) { return script(o ? "COMMIT" : "RELEASE nested"); },
      [&](bool o) { return undo(o); }, body);
}

result<void> connection::undo(bool outer) {
  // A COMMIT that failed has ended the transaction already; ROLLBACK then only warns.
  if (outer && PQtransactionStatus(conn_.get()) == PQTRANS_IDLE)
    return ok();
  return script(outer ? "ROLLBACK" : "ROLLBACK TO nested; RELEASE nested");
}

}  // namespace saphan::pg
