// The log part of the SQLite store: entries with the terms they are searched by, the tree's
// complete nodes, and the signed tree heads with their timestamps.
#include <algorithm>
#include <limits>
#include <optional>

#include "crypto/hash.hpp"
#include "store/log_search.hpp"
#include "store/sql_values.hpp"
#include "store/sqlite_store_impl.hpp"

namespace saphan::sqlite {

result<void> sqlite_store::insert_log_entry(std::uint64_t index, const log_append& e) {
  return with(
      "INSERT INTO log_entries(idx, at_us, kind, request_id, consumer, provider, dataset, "
      "status, subject, entry) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      [&](statement& s) -> result<void> {
        const auto& t = e.terms;
        SAPHAN_TRY_VOID(sqlite::bind_all(s, as_sql_int(index), micros_of(t.at), t.kind,
                                         t.request_id, t.consumer, t.provider, t.dataset, t.status,
                                         t.subject));
        SAPHAN_TRY_VOID(s.bind_blob(10, e.entry));
        SAPHAN_TRY_VOID(s.execute());
        return ok();
      });
}

result<void> sqlite_store::insert_node(const merkle::stored_node& n) {
  return with("INSERT INTO log_nodes(level, idx, hash) VALUES (?, ?, ?)",
              [&](statement& s) -> result<void> {
                SAPHAN_TRY_VOID(sqlite::bind_all(s, static_cast<std::int64_t>(n.id.level),
                                                 as_sql_int(n.id.index)));
                SAPHAN_TRY_VOID(s.bind_blob(3, n.hash.view()));
                SAPHAN_TRY_VOID(s.execute());
                return ok();
              });
}

result<std::vector<log_row>> sqlite_store::collect_log_rows(statement& s) {
  return collect_rows<log_row>(s, [](statement& row) {
    return log_row{static_cast<std::uint64_t>(row.integer(0)), row.blob(1)};
  });
}

template <class... Args>
result<std::vector<checkpoint_record>> sqlite_store::checkpoints_where(std::string_view sql,
                                                                       const Args&... args) {
  return with(sql, [&](statement& s) -> result<std::vector<checkpoint_record>> {
    SAPHAN_TRY_VOID(sqlite::bind_all(s, args...));
    return collect_rows<checkpoint_record>(s, [](statement& row) {
      checkpoint_record c;
      c.tree_size = static_cast<std::uint64_t>(row.integer(0));
      c.created_at = timestamp_of_micros(row.integer(1));
      c.checkpoint_json = row.text(2);
      if (!row.is_null(3))
        c.timestamp_token = row.blob(3);
      return c;
    });
  });
}

result<std::uint64_t> sqlite_store::log_size() {
  std::lock_guard lock(mutex);
  return with("SELECT COALESCE(MAX(idx) + 1, 0) FROM log_entries",
              [](statement& s) -> result<std::uint64_t> {
                SAPHAN_TRY_VOID(s.step());
                return static_cast<std::uint64_t>(s.integer(0));
              });
}

result<void> sqlite_store::append_log(std::uint64_t first, const std::vector<log_append>& entries,
                                      const std::vector<merkle::stored_node>& nodes) {
  for (const auto& e : entries)
    SAPHAN_TRY_VOID(check_log_entry(e));
  std::lock_guard lock(mutex);
  return atomically([&]() -> result<void> {
    auto size = SAPHAN_TRY(log_size());
    if (size != first) {
      return make_error(errc::conflict, "log size is " + std::to_string(size) +
                                            ", append expected " + std::to_string(first));
    }
    auto index = first;
    for (const auto& e : entries)
      SAPHAN_TRY_VOID(insert_log_entry(index++, e));
    for (const auto& n : nodes) {
      SAPHAN_TRY_VOID(insert_node(n));
    }
    return ok();
  });
}

result<std::vector<decided_request>> sqlite_store::decided_request_ids(timestamp since) {
  std::lock_guard lock(mutex);
  return with(
      "SELECT consumer, request_id, at_us FROM log_entries "
      "WHERE at_us >= ? AND kind = 'exchange.decision' AND request_id <> ''",
      [&](statement& s) -> result<std::vector<decided_request>> {
        SAPHAN_TRY_VOID(s.bind(1, micros_of(since)));
        return collect_rows<decided_request>(s, [](statement& row) {
          return decided_request{row.text(0), row.text(1), timestamp_of_micros(row.integer(2))};
        });
      });
}

result<std::vector<log_row>> sqlite_store::read_log(std::uint64_t from, std::size_t limit) {
  std::lock_guard lock(mutex);
  return with("SELECT idx, entry FROM log_entries WHERE idx >= ? ORDER BY idx LIMIT ?",
              [&](statement& s) -> result<std::vector<log_row>> {
                SAPHAN_TRY_VOID(sqlite::bind_all(
                    s, as_sql_int(from), static_cast<std::int64_t>(std::min(limit, max_page))));
                return collect_log_rows(s);
              });
}

result<std::vector<crypto::sha256_digest>> sqlite_store::read_log_nodes(
    const std::vector<merkle::node_id>& ids) {
  std::lock_guard lock(mutex);
  std::vector<crypto::sha256_digest> hashes;
  hashes.reserve(ids.size());
  for (const auto& id : ids) {
    auto hash = with(
        "SELECT hash FROM log_nodes WHERE level = ? AND idx = ?",
        [&](statement& s) -> result<crypto::sha256_digest> {
          SAPHAN_TRY_VOID(
              sqlite::bind_all(s, static_cast<std::int64_t>(id.level), as_sql_int(id.index)));
          auto row = SAPHAN_TRY(s.step());
          if (!row) {
            return make_error(errc::not_found, "log node (" + std::to_string(id.level) + ", " +
                                                   std::to_string(id.index) + ") is not stored");
          }
          auto digest = crypto::sha256_from_bytes(s.blob(0));
          if (!digest)
            return corrupt("log node", digest.error());
          return *digest;
        });
    if (!hash)
      return hash.error();
    hashes.push_back(*hash);
  }
  return hashes;
}

namespace {

// The scan budget of one search. SQLite does not count the rows a statement visits (its scan
// status needs a build option that distributions leave out), but it calls a progress handler
// every few virtual-machine instructions, and instructions are the work itself, whatever the
// plan: a walk of the table, of an index with a lookup of each row it finds, or of two indexes
// merged. So the budget is instructions: measured on the log's own statements, visiting a row
// costs 3 (a table walk testing one term) to 5 (a walk testing two terms, or an index walk
// with its table lookup), so scan_limit rows are scan_limit * 5 instructions. A search that
// tests more terms per row runs out after fewer rows, one that tests fewer after a few more:
// the bound is on the work a search may make the hub do.
constexpr std::uint64_t instructions_per_row = 5;
constexpr int instructions_per_check = 1000;

struct scan_budget {
  std::uint64_t allowed = 0;  // instructions
  std::uint64_t spent = 0;
  bool spent_out = false;
};

// Called from SQLite's C code: nothing may throw. Non-zero interrupts the statement
// (SQLITE_INTERRUPT), which leaves the connection as it was: no transaction is open.
int spend(void* context) noexcept {
  auto& budget = *static_cast<scan_budget*>(context);
  budget.spent += instructions_per_check;
  budget.spent_out = budget.spent > budget.allowed;
  return budget.spent_out ? 1 : 0;
}

// Installs the handler for one search and removes it however the search ends.
class budget_scope {
 public:
  budget_scope(sqlite3* db, scan_budget* budget) : db_(budget ? db : nullptr) {
    if (db_)
      sqlite3_progress_handler(db_, instructions_per_check, spend, budget);
  }
  ~budget_scope() {
    if (db_)
      sqlite3_progress_handler(db_, 0, nullptr, nullptr);
  }
  budget_scope(const budget_scope&) = delete;
  budget_scope& operator=(const budget_scope&) = delete;

 private:
  sqlite3* db_;
};

}  // namespace

result<std::vector<log_row>> sqlite_store::search_log(const log_filter& f) {
  auto query = sqlite::log_search_query(f, std::min(f.limit, max_search_page));
  std::lock_guard lock(mutex);
  // Prepared for this search only: the criteria make up to 512 different statements, too many
  // to keep prepared for the life of the connection.
  auto s = SAPHAN_TRY(statement::prepare(handle(), query.sql));
  int position = 0;
  for (const auto& value : query.values) {
    ++position;
    SAPHAN_TRY_VOID(std::visit([&](const auto& v) { return s.bind(position, v); }, value));
  }
  std::optional<scan_budget> budget;
  if (f.scan_limit) {
    const auto most = std::numeric_limits<std::uint64_t>::max() / instructions_per_row;
    budget = scan_budget{std::min(*f.scan_limit, most) * instructions_per_row};
  }
  budget_scope scope(handle(), budget ? &*budget : nullptr);
  auto rows = collect_log_rows(s);
  if (!rows && budget && budget->spent_out)
    return search_too_broad(*f.scan_limit);
  return rows;
}

result<void> sqlite_store::add_checkpoint(const checkpoint_record& c) {
  std::lock_guard lock(mutex);
  auto token = c.timestamp_token;
  return with(
      "INSERT INTO log_checkpoints(tree_size, created_us, checkpoint, tsa_token) "
      "VALUES (?, ?, ?, ?) ON CONFLICT(tree_size) DO NOTHING",
      [&](statement& s) -> result<void> {
        SAPHAN_TRY_VOID(sqlite::bind_all(s, as_sql_int(c.tree_size), micros_of(c.created_at),
                                         c.checkpoint_json));
        SAPHAN_TRY_VOID(token ? s.bind_blob(4, *token) : s.bind_null(4));
        auto changed = SAPHAN_TRY(s.execute());
        if (changed == 0) {
          return make_error(errc::already_exists,
                            "checkpoint of size " + std::to_string(c.tree_size));
        }
        return ok();
      });
}

result<std::optional<checkpoint_record>> sqlite_store::latest_checkpoint() {
  std::lock_guard lock(mutex);
  auto rows = SAPHAN_TRY(
      checkpoints_where("SELECT tree_size, created_us, checkpoint, tsa_token FROM log_checkpoints "
                        "ORDER BY tree_size DESC LIMIT 1"));
  if (rows.empty())
    return std::optional<checkpoint_record>();
  return std::optional<checkpoint_record>(std::move(rows.front()));
}

result<checkpoint_record> sqlite_store::find_checkpoint(std::uint64_t tree_size) {
  std::lock_guard lock(mutex);
  auto rows = SAPHAN_TRY(
      checkpoints_where("SELECT tree_size, created_us, checkpoint, tsa_token FROM log_checkpoints "
                        "WHERE tree_size = ?",
                        as_sql_int(tree_size)));
  if (rows.empty()) {
    return make_error(errc::not_found, "no checkpoint of size " + std::to_string(tree_size));
  }
  return std::move(rows.front());
}

result<std::vector<checkpoint_record>> sqlite_store::read_checkpoints(std::uint64_t from_size,
                                                                      std::size_t limit) {
  std::lock_guard lock(mutex);
  return checkpoints_where(
      "SELECT tree_size, created_us, checkpoint, tsa_token FROM log_checkpoints "
      "WHERE tree_size >= ? ORDER BY tree_size LIMIT ?",
      as_sql_int(from_size), static_cast<std::int64_t>(std::min(limit, max_page)));
}

result<std::vector<checkpoint_record>> sqlite_store::untimestamped_checkpoints(std::size_t limit) {
  std::lock_guard lock(mutex);
  return checkpoints_where(
      "SELECT tree_size, created_us, checkpoint, tsa_token FROM log_checkpoints "
      "WHERE tsa_token IS NULL ORDER BY tree_size LIMIT ?",
      static_cast<std::int64_t>(std::min(limit, max_page)));
}

result<void> sqlite_store::set_checkpoint_timestamp(std::uint64_t tree_size,
                                                    const std::string& token_der) {
  if (token_der.empty())
    return make_error(errc::invalid_argument, "timestamp token: empty");
  std::lock_guard lock(mutex);
  return atomically([&]() -> result<void> {
    auto existing = SAPHAN_TRY(find_checkpoint(tree_size));
    if (existing.timestamp_token) {
      return make_error(errc::conflict, "checkpoint of size " + std::to_string(tree_size) +
                                            " already has a timestamp");
    }
    return with("UPDATE log_checkpoints SET tsa_token = ? WHERE tree_size = ?",
                [&](statement& s) -> result<void> {
                  SAPHAN_TRY_VOID(s.bind_blob(1, token_der));
                  SAPHAN_TRY_VOID(s.bind(2, as_sql_int(tree_size)));
                  SAPHAN_TRY_VOID(s.execute());
                  return ok();
                });
  });
}

}  // namespace saphan::sqlite
