// One libpq connection and the helpers every statement of the PostgreSQL store goes through.
// Private to the store module: the PostgreSQL store (pg_store_impl.hpp) is built on it.
//
// Values reach SQL only as bound parameters, sent and read in libpq's binary format (int8 as
// 8 bytes big-endian, text and bytea as their bytes), so nothing is quoted or parsed as text.
// Fixed statements are prepared once per connection (PQprepare, named s1, s2, ...); every
// PGresult is checked, and an error becomes a stable code by its SQLSTATE (pg_error).
//
// Thread safety and atomicity are those of the SQLite connection (sqlite_connection.hpp): one
// recursive mutex held by every public call and by a transaction while its body runs;
// `atomically` opens BEGIN at the outermost level and a SAVEPOINT inside one. PostgreSQL aborts
// the whole transaction at the first failing statement, so each write of the store runs in
// `atomically` itself: a failed step inside a caller's transaction rolls back to its savepoint
// and leaves the rest of the body intact.
//
// A connection the server dropped is opened again at the next call made outside a
// transaction (its prepared statements are prepared again); inside one, the call fails with
// storage_failure and the transaction is lost, as it is on the server.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace saphan::pg {

// A bound parameter: its type and its bytes in binary format; null when absent.
struct param {
  unsigned int type = 0;  // the PostgreSQL type oid
  std::optional<std::string> bytes;
};

param text(std::string_view value);
param int8(std::int64_t value);
param bytea(std::string_view value);
param null_bytea();
param null_text();

struct result_deleter {
  void operator()(PGresult* r) const noexcept { PQclear(r); }
};

// The rows of a statement, read by row and column. Reading a column of another type than the
// accessor's is a storage_failure (the schema is not this program's).
class rows {
 public:
  explicit rows(PGresult* r) : result_(r) {}

  int size() const { return PQntuples(result_.get()); }
  bool empty() const { return size() == 0; }
  // Rows changed by an INSERT, UPDATE or DELETE.
  int changed() const;

  bool is_null(int row, int column) const;
  std::string text(int row, int column) const;  // text or bytea: the bytes
  result<std::int64_t> integer(int row, int column) const;

 private:
  std::unique_ptr<PGresult, result_deleter> result_;
};

// A SQLSTATE of PostgreSQL as one of the store's codes: unique and exclusion violations,
// serialization failures and deadlocks are conflict; a missing referenced row is not_found;
// everything else (connection lost, disk full, read-only transaction, syntax) is
// storage_failure. The detail names `what` and the server's message with its SQLSTATE.
error pg_error(std::string_view what, std::string_view sqlstate, std::string_view message);

struct connection_deleter {
  void operator()(PGconn* c) const noexcept { PQfinish(c); }
};

class connection {
 public:
  // Connects with `conninfo` (a postgresql:// URL or key=value pairs). `read_only`: every
  // transaction on the connection is READ ONLY (default_transaction_read_only), so the server
  // refuses every write. Errors: storage_failure with libpq's message.
  static result<connection> open(const std::string& conninfo, bool read_only);

  connection(connection&&) = default;
  connection& operator=(connection&&) = default;

  // A fixed statement, prepared on first use. Errors: see pg_error.
  result<rows> run(std::string_view sql, const std::vector<param>& params = {});
  // A statement made for one call (a search), sent with its parameters but not kept.
  result<rows> run_once(const std::string& sql, const std::vector<param>& params);
  // Statements without parameters, run as they are (migrations, transaction control).
  result<void> script(std::string_view sql);

  // Runs `body` as one transaction (or a savepoint inside one). The caller holds mutex.
  result<void> atomically(const std::function<result<void>()>& body);
  bool in_transaction() const { return depth_ > 0; }

  std::unique_ptr<std::recursive_mutex> mutex = std::make_unique<std::recursive_mutex>();

 private:
  connection(std::string conninfo, bool read_only) noexcept
      : conninfo_(std::move(conninfo)), read_only_(read_only) {}

  result<void> connect();
  // Outside a transaction, opens the connection again if the server dropped it.
  result<void> ensure_connected();
  result<rows> checked(PGresult* r, std::string_view what, bool expect_rows);
  result<void> undo(bool outer);

  std::string conninfo_;
  bool read_only_ = false;
  std::unique_ptr<PGconn, connection_deleter> conn_;
  std::map<std::string, std::string, std::less<>> prepared_;  // sql -> statement name
  int depth_ = 0;
};

}  // namespace saphan::pg
