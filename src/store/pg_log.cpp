// The log part of the PostgreSQL store: entries with the terms they are searched by, the tree's
// complete nodes, and the signed tree heads with their timestamps.
#include <algorithm>

#include "crypto/hash.hpp"
#include "store/log_search.hpp"
#include "store/pg_store_impl.hpp"
#include "store/sql_values.hpp"

namespace saphan::pg {
namespace {

constexpr std::string_view select_checkpoints =
    "SELECT tree_size, created_us, checkpoint, tsa_token FROM log_checkpoints ";

result<std::vector<log_row>> log_rows_of(const rows& found) {
  std::vector<log_row> out;
  out.reserve(static_cast<std::size_t>(found.size()));
  for (int i = 0; i < found.size(); ++i) {
    if (found.is_null(i, 0))
      continue;  // the search's row that only carries the walk's count
    auto index = SAPHAN_TRY(found.integer(i, 0));
    out.push_back(log_row{static_cast<std::uint64_t>(index), found.text(i, 1)});
  }
  return out;
}

}  // namespace

result<std::vector<checkpoint_record>> pg_store::checkpoints_where(
    std::string_view sql, const std::vector<param>& params) {
  auto found = SAPHAN_TRY(c_.run(sql, params));
  std::vector<checkpoint_record> out;
  for (int i = 0; i < found.size(); ++i) {
    checkpoint_record c;
    c.tree_size = static_cast<std::uint64_t>(SAPHAN_TRY(found.integer(i, 0)));
    c.created_at = sqlite::timestamp_of_micros(SAPHAN_TRY(found.integer(i, 1)));
    c.checkpoint_json = found.text(i, 2);
    if (!found.is_null(i, 3))
      c.timestamp_token = found.text(i, 3);
    out.push_back(std::move(c));
  }
  return out;
}

result<std::uint64_t> pg_store::log_size() {
  std::lock_guard lock(mutex());
  auto found = SAPHAN_TRY(c_.run("SELECT COALESCE(MAX(idx) + 1, 0) FROM log_entries"));
  if (found.empty())
    return make_error(errc::storage_failure, "log size: no row");
  return static_cast<std::uint64_t>(SAPHAN_TRY(found.integer(0, 0)));
}

result<void> pg_store::append_log(std::uint64_t first, const std::vector<log_append>& entries,
                                  const std::vector<merkle::stored_node>& nodes) {
  for (const auto& e : entries)
    SAPHAN_TRY_VOID(check_log_entry(e));
  std::lock_guard lock(mutex());
  return write([&]() -> result<void> {
    auto size = SAPHAN_TRY(log_size());
    if (size != first) {
      return make_error(errc::conflict, "log size is " + std::to_string(size) +
                                            ", append expected " + std::to_string(first));
    }
    // Another writer that read the same size inserts the same indexes: the primary key makes
    // the second of the two wait for the first and then fail (conflict), whole.
    auto index = first;
    for (const auto& e : entries) {
      const auto& t = e.terms;
      SAPHAN_TRY_VOID(c_.run(
          "INSERT INTO log_entries(idx, at_us, kind, request_id, consumer, provider, "
          "dataset, status, subject, entry) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
          {int8_of_index(index++), int8_of_time(t.at), bytea(t.kind), bytea(t.request_id),
           bytea(t.consumer), bytea(t.provider), bytea(t.dataset), bytea(t.status),
           bytea(t.subject), bytea(e.entry)}));
    }
    for (const auto& n : nodes) {
      SAPHAN_TRY_VOID(c_.run("INSERT INTO log_nodes(level, idx, hash) VALUES ($1, $2, $3)",
                             {int8(static_cast<std::int64_t>(n.id.level)),
                              int8_of_index(n.id.index), bytea(n.hash.view())}));
    }
    return ok();
  });
}

result<std::vector<decided_request>> pg_store::decided_request_ids(timestamp since) {
  std::lock_guard lock(mutex());
  auto found =
      SAPHAN_TRY(c_.run("SELECT consumer, request_id, at_us FROM log_entries "
                        "WHERE at_us >= $1 AND kind = $2 AND request_id <> ''::bytea",
                        {int8_of_time(since), bytea("exchange.decision")}));
  std::vector<decided_request> out;
  for (int i = 0; i < found.size(); ++i) {
    auto at = SAPHAN_TRY(found.integer(i, 2));
    out.push_back({found.text(i, 0), found.text(i, 1), sqlite::timestamp_of_micros(at)});
  }
  return out;
}

result<std::vector<log_row>> pg_store::read_log(std::uint64_t from, std::size_t limit) {
  std::lock_guard lock(mutex());
  auto found =
      SAPHAN_TRY(c_.run("SELECT idx, entry FROM log_entries WHERE idx >= $1 ORDER BY idx LIMIT $2",
                        {int8_of_index(from), int8(capped(limit))}));
  return log_rows_of(found);
}

result<std::vector<crypto::sha256_digest>> pg_store::read_log_nodes(
    const std::vector<merkle::node_id>& ids) {
  std::lock_guard lock(mutex());
  std::vector<crypto::sha256_digest> hashes;
  hashes.reserve(ids.size());
  for (const auto& id : ids) {
    auto found =
        SAPHAN_TRY(c_.run("SELECT hash FROM log_nodes WHERE level = $1 AND idx = $2",
                          {int8(static_cast<std::int64_t>(id.level)), int8_of_index(id.index)}));
    if (found.empty()) {
      return make_error(errc::not_found, "log node (" + std::to_string(id.level) + ", " +
                                             std::to_string(id.index) + ") is not stored");
    }
    auto digest = crypto::sha256_from_bytes(found.text(0, 0));
    if (!digest)
      return corrupt("log node", digest.error());
    hashes.push_back(*digest);
  }
  return hashes;
}

result<std::vector<log_row>> pg_store::search_log(const log_filter& f) {
  const auto limit = std::min(f.limit, max_search_page);
  auto query = log_search_query(f, limit, f.scan_limit);
  std::vector<param> params;
  params.reserve(query.values.size());
  for (const auto& v : query.values) {
    // Strings are terms, stored as bytea.
    params.push_back(std::holds_alternative<std::int64_t>(v) ? int8(std::get<std::int64_t>(v))
                                                             : bytea(std::get<std::string>(v)));
  }
  std::lock_guard lock(mutex());
  auto found = SAPHAN_TRY(c_.run_once(query.sql, params));
  auto rows = SAPHAN_TRY(log_rows_of(found));
  if (f.scan_limit && rows.size() < limit && !found.empty()) {
    auto walked = SAPHAN_TRY(found.integer(0, 2));
    if (static_cast<std::uint64_t>(walked) > *f.scan_limit)
      return search_too_broad(*f.scan_limit);
  }
  return rows;
}

result<void> pg_store::add_checkpoint(const checkpoint_record& c) {
  std::lock_guard lock(mutex());
  return write([&]() -> result<void> {
    auto done = SAPHAN_TRY(
        c_.run("INSERT INTO log_checkpoints(tree_size, created_us, checkpoint, tsa_token) "
               "VALUES ($1, $2, $3, $4) ON CONFLICT (tree_size) DO NOTHING",
               {int8_of_index(c.tree_size), int8_of_time(c.created_at), text(c.checkpoint_json),
                c.timestamp_token ? bytea(*c.timestamp_token) : null_bytea()}));
    if (done.changed() == 0)
      return make_error(errc::already_exists, "checkpoint of size " + std::to_string(c.tree_size));
    return ok();
  });
}

result<std::optional<checkpoint_record>> pg_store::latest_checkpoint() {
  std::lock_guard lock(mutex());
  auto rows = SAPHAN_TRY(
      checkpoints_where(std::string(select_checkpoints) + "ORDER BY tree_size DESC LIMIT 1", {}));
  if (rows.empty())
    return std::optional<checkpoint_record>();
  return std::optional<checkpoint_record>(std::move(rows.front()));
}

result<checkpoint_record> pg_store::find_checkpoint(std::uint64_t tree_size) {
  std::lock_guard lock(mutex());
  auto rows = SAPHAN_TRY(checkpoints_where(std::string(select_checkpoints) + "WHERE tree_size = $1",
                                           {int8_of_index(tree_size)}));
  if (rows.empty())
    return make_error(errc::not_found, "no checkpoint of size " + std::to_string(tree_size));
  return std::move(rows.front());
}

result<std::vector<checkpoint_record>> pg_store::read_checkpoints(std::uint64_t from_size,
                                                                  std::size_t limit) {
  std::lock_guard lock(mutex());
  return checkpoints_where(
      std::string(select_checkpoints) + "WHERE tree_size >= $1 ORDER BY tree_size LIMIT $2",
      {int8_of_index(from_size), int8(capped(limit))});
}

result<std::vector<checkpoint_record>> pg_store::untimestamped_checkpoints(std::size_t limit) {
  std::lock_guard lock(mutex());
  return checkpoints_where(
      std::string(select_checkpoints) + "WHERE tsa_token IS NULL ORDER BY tree_size LIMIT $1",
      {int8(capped(limit))});
}

result<void> pg_store::set_checkpoint_timestamp(std::uint64_t tree_size,
                                                const std::string& token_der) {
  if (token_der.empty())
    return make_error(errc::invalid_argument, "timestamp token: empty");
  std::lock_guard lock(mutex());
  return write([&]() -> result<void> {
    // Only a head still without a token takes one: two nodes stamping at once, one wins.
    auto done =
        SAPHAN_TRY(c_.run("UPDATE log_checkpoints SET tsa_token = $1 WHERE tree_size = $2 AND "
                          "tsa_token IS NULL",
                          {bytea(token_der), int8_of_index(tree_size)}));
    if (done.changed() == 1)
      return ok();
    SAPHAN_TRY_VOID(find_checkpoint(tree_size));
    return make_error(errc::conflict, "checkpoint of size " + std::to_string(tree_size) +
                                          " already has a timestamp");
  });
}

}  // namespace saphan::pg
