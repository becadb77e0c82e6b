// The SQLite implementation of `store`.
//
// Thread safety: one connection, guarded by a recursive mutex. Every public call holds it for its
// whole duration, and `transaction` holds it while the body runs, so the body's own calls (same
// thread) re-enter while other threads wait: their statements can never slip into someone else's
// transaction. A body must call the store from its own thread only (another thread would wait
// for the body to finish). Callers must not run the store on an I/O thread (it blocks on disk).
//
// Error choices: an absent member is unknown_member (find_member, update_member, and as the owner
// of a key or dataset); an absent key is not_found; list_keys of an unknown member is empty.
// A stored document that no longer parses is storage_failure (the file is damaged).
//
// Atomicity: `atomically` opens BEGIN IMMEDIATE at the outermost level and a SAVEPOINT when
// already inside a transaction, so a nested call neither starts a second transaction nor commits
// the outer one early, and a failed nested step undoes only itself.
//
// Durability: WAL with synchronous=FULL, so a returned append or update survives power loss.
//
// Waiting for the write lock: the connections of one process to one file take turns
// (write_turns.hpp), so a connection that writes now and then is not starved by the group commit.
#include <algorithm>
#include <array>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>

#include "crypto/hash.hpp"
#include "store/log_search.hpp"
#include "store/migrations.hpp"
#include "store/sql_values.hpp"
#include "store/sqlite_statement.hpp"
#include "store/store.hpp"
#include "store/write_turns.hpp"

namespace saphan {
namespace {

using sqlite::as_sql_int;
using sqlite::micros_of;
using sqlite::statement;
using sqlite::statement_use;
using sqlite::timestamp_of_micros;

// Reads and lists are bounded; no caller needs more rows than these in one answer.
constexpr std::size_t max_page = 10000;
constexpr std::int64_t max_directory_rows = 100000;
constexpr std::size_t max_search_page = 1000;
constexpr std::size_t max_key_id_length = 256;

error corrupt(std::string_view what, const error& cause) {
  return make_error(errc::storage_failure,
                    "stored " + std::string(what) + " is invalid: " + cause.detail);
}

std::string member_doc(const member_record& member) {
  rapidjson::Document doc;
  member_to_json(member, doc, doc.GetAllocator());
  return write_json(doc);
}

result<member_record> member_of_doc(std::string_view text) {
  auto doc = parse_json(text);
  if (!doc)
    return corrupt("member", doc.error());
  auto member = member_from_json(*doc);
  if (!member)
    return corrupt("member", member.error());
  return std::move(*member);
}

result<dataset_entry> dataset_of_doc(std::string_view text) {
  auto entry = dataset_from_stored_json(text);
  if (!entry)
    return corrupt("dataset", entry.error());
  return std::move(*entry);
}

result<consent_artefact> consent_of_doc(std::string_view text) {
  auto consent = consent_from_json(text);
  if (!consent)
    return corrupt("consent", consent.error());
  return std::move(*consent);
}

// The stored form, after checking that it reads back: nothing invalid enters the registry.
result<std::string> consent_doc(const consent_artefact& consent) {
  auto doc = consent_to_json(consent);
  auto back = consent_from_json(doc);
  if (!back)
    return back.error();
  return doc;
}

result<void> check_key(const member_key& key) {
  SAPHAN_TRY_VOID(validate(key.member));
  if (key.key_id.empty() || key.key_id.size() > max_key_id_length) {
    return make_error(errc::invalid_argument,
                      "key_id: length must be 1.." + std::to_string(max_key_id_length));
  }
  return ok();
}

// What SQLite's callbacks on one connection use. It must outlive the connection.
struct connection_hooks {
  std::shared_ptr<write_turns> turns;
  std::chrono::milliseconds busy_timeout{0};
  write_turns::clock::time_point busy_since;
  int wal_autocheckpoint_pages = 0;
};

// SQLite's busy handler. `attempt` is 0 on the first call of each statement step, which is when
// the busy timeout starts, as with SQLite's own handler. Called from C: nothing may throw.
int wait_for_write_turn(void* context, int attempt) noexcept {
  auto& hooks = *static_cast<connection_hooks*>(context);
  if (attempt == 0)
    hooks.busy_since = write_turns::clock::now();
  return hooks.turns->wait_for_release(hooks.busy_since + hooks.busy_timeout) ? 1 : 0;
}

// SQLite's WAL hook: runs after each commit that wrote something, with the write lock already
// released. (Transactions also announce their end themselves: see release_on_exit.)
int after_commit(void* context, sqlite3* db, const char* schema, int wal_pages) noexcept {
  auto& hooks = *static_cast<connection_hooks*>(context);
  hooks.turns->released();
  // A connection has one WAL hook, and SQLite's automatic checkpoint is one: this one does its
  // work too, as SQLite's does (a passive copy once the WAL reaches the configured size).
  if (hooks.wal_autocheckpoint_pages > 0 && wal_pages >= hooks.wal_autocheckpoint_pages)
    sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  return SQLITE_OK;
}

// A connection and its callbacks' state, which is destroyed after the connection closes.
struct connection {
  std::unique_ptr<connection_hooks> hooks;  // null for an in-memory database
  sqlite::db_handle db;
};

// However a transaction ends (commit, rollback, exception), the write lock is free again: tells
// the waiters. The WAL hook alone misses rollbacks and commits that changed nothing.
struct release_on_exit {
  connection_hooks* hooks;
  ~release_on_exit() {
    if (hooks)
      hooks->turns->released();
  }
};

class sqlite_store final : public store {
 public:
  explicit sqlite_store(connection c)
      : hooks_(std::move(c.hooks)), db_(std::move(c.db)), statements_(db_.get()) {}

  result<void> add_member(const member_record& member) override {
    SAPHAN_TRY_VOID(validate(member.id));
    std::lock_guard lock(mutex_);
    const auto id = to_string(member.id);
    return insert_new("member " + id,
                      "INSERT INTO members(id, doc) VALUES(?, ?) ON CONFLICT DO NOTHING", id,
                      member_doc(member));
  }

  result<void> update_member(const member_record& member) override {
    SAPHAN_TRY_VOID(validate(member.id));
    std::lock_guard lock(mutex_);
    const auto id = to_string(member.id);
    auto changed = run("UPDATE members SET doc = ? WHERE id = ?", member_doc(member), id);
    if (!changed)
      return changed.error();
    if (*changed == 0)
      return unknown_member(id);
    return ok();
  }

  result<member_record> find_member(const member_id& id) override {
    std::lock_guard lock(mutex_);
    const auto key = to_string(id);
    SAPHAN_TRY_VOID(refresh_registry_cache());
    if (auto hit = cached_members_.find(key); hit != cached_members_.end())
      return hit->second;
    auto doc = first_text("SELECT doc FROM members WHERE id = ?", key);
    if (!doc)
      return doc.error();
    if (!*doc)
      return unknown_member(key);
    auto member = member_of_doc(**doc);
    if (member && depth_ == 0)
      cached_members_.emplace(key, *member);
    return member;
  }

  result<std::vector<member_record>> list_members() override {
    std::lock_guard lock(mutex_);
    auto docs = texts("SELECT doc FROM members ORDER BY id LIMIT ?", max_directory_rows);
    if (!docs)
      return docs.error();
    return convert_all(*docs, member_of_doc);
  }

  result<void> add_key(const member_key& key) override {
    SAPHAN_TRY_VOID(check_key(key));
    std::lock_guard lock(mutex_);
    const auto member = to_string(key.member);
    return atomically([&]() -> result<void> {
      SAPHAN_TRY_VOID(require_member(member));
      return insert_new("key " + key.key_id + " of " + member,
                        "INSERT INTO member_keys(member_id, key_id, use, public_key, not_before, "
                        "not_after, revoked) VALUES(?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                        member, key.key_id, to_string(key.use), key.public_key,
                        format_rfc3339(key.not_before), format_rfc3339(key.not_after),
                        std::int64_t{key.revoked ? 1 : 0});
    });
  }

  result<void> revoke_key(const member_id& member, const std::string& key_id) override {
    std::lock_guard lock(mutex_);
    const auto owner = to_string(member);
    auto changed =
        run("UPDATE member_keys SET revoked = 1 WHERE member_id = ? AND key_id = ?", owner, key_id);
    if (!changed)
      return changed.error();
    if (*changed == 0) {
      return make_error(errc::not_found, "key " + key_id + " of " + owner + " is not registered");
    }
    return ok();
  }

  result<std::vector<member_key>> list_keys(const member_id& member) override {
    std::lock_guard lock(mutex_);
    const auto owner = to_string(member);
    SAPHAN_TRY_VOID(refresh_registry_cache());
    if (auto hit = cached_keys_.find(owner); hit != cached_keys_.end())
      return hit->second;
    auto keys = with(
        "SELECT member_id, key_id, use, public_key, not_before, not_after, revoked "
        "FROM member_keys WHERE member_id = ? ORDER BY key_id LIMIT ?",
        [&](statement& s) -> result<std::vector<member_key>> {
          SAPHAN_TRY_VOID(sqlite::bind_all(s, owner, max_directory_rows));
          return collect_rows<member_key>(s, key_of_row);
        });
    if (keys && depth_ == 0)
      cached_keys_.emplace(owner, *keys);
    return keys;
  }

  result<void> publish_dataset(const dataset_entry& entry) override {
    SAPHAN_TRY_VOID(validate(entry.id));
    std::lock_guard lock(mutex_);
    const auto id = to_string(entry.id);
    const auto owner = to_string(entry.id.owner);
    return atomically([&]() -> result<void> {
      SAPHAN_TRY_VOID(require_member(owner));
      return insert_new("dataset " + id,
                        "INSERT INTO datasets(id, name, version, owner, doc) "
                        "VALUES(?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                        id, unversioned(entry.id), entry.id.version, owner, dataset_to_json(entry));
    });
  }

  result<void> update_policy(const dataset_id& id, const access_policy& policy) override {
    std::lock_guard lock(mutex_);
    return atomically([&]() -> result<void> {
      auto entry = find_dataset(id);
      if (!entry)
        return entry.error();
      entry->policy = policy;
      auto doc = dataset_to_json(*entry);
      // Reading the new form back runs the catalog's checks (fields known to the schema, ...).
      auto checked = dataset_from_stored_json(doc);
      if (!checked)
        return checked.error();
      auto changed = run("UPDATE datasets SET doc = ? WHERE id = ?", doc, to_string(id));
      if (!changed)
        return changed.error();
      return ok();
    });
  }

  result<dataset_entry> find_dataset(const dataset_id& id) override {
    std::lock_guard lock(mutex_);
    const auto key = to_string(id);
    SAPHAN_TRY_VOID(refresh_registry_cache());
    if (auto hit = cached_datasets_.find(key); hit != cached_datasets_.end())
      return hit->second;
    auto doc = first_text("SELECT doc FROM datasets WHERE id = ?", key);
    if (!doc)
      return doc.error();
    if (!*doc)
      return make_error(errc::unknown_dataset, "dataset " + key + " is not published");
    auto entry = dataset_of_doc(**doc);
    if (entry && depth_ == 0)
      cached_datasets_.emplace(key, *entry);
    return entry;
  }

  result<std::vector<dataset_entry>> list_datasets() override {
    std::lock_guard lock(mutex_);
    auto docs = texts("SELECT doc FROM datasets ORDER BY id LIMIT ?", max_directory_rows);
    if (!docs)
      return docs.error();
    return convert_all(*docs, dataset_of_doc);
  }

  result<void> add_consent(const consent_artefact& consent) override {
    auto doc = consent_doc(consent);
    if (!doc)
      return doc.error();
    std::lock_guard lock(mutex_);
    return insert_new("consent " + consent.id.value,
                      "INSERT INTO consents(id, subject, consumer, status, doc, valid_until_us) "
                      "VALUES(?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                      consent.id.value, consent.subject, to_string(consent.consumer),
                      to_string(consent.status), *doc, micros_of(consent.valid_until));
  }

  result<void> update_consent(const consent_artefact& consent,
                              consent_status expected_status) override {
    auto doc = consent_doc(consent);
    if (!doc)
      return doc.error();
    std::lock_guard lock(mutex_);
    return atomically([&]() -> result<void> {
      // A use (every consented exchange) changes the document only. An UPDATE that sets no
      // indexed column leaves the four consent indexes alone: two fewer random pages per commit.
      if (consent.status == expected_status) {
        auto changed =
            run("UPDATE consents SET doc = ? WHERE id = ? AND status = ? AND subject = ? AND "
                "consumer = ? AND valid_until_us = ?",
                *doc, consent.id.value, to_string(expected_status), consent.subject,
                to_string(consent.consumer), micros_of(consent.valid_until));
        if (!changed)
          return changed.error();
        if (*changed == 1)
          return ok();
      }
      auto changed =
          run("UPDATE consents SET subject = ?, consumer = ?, status = ?, doc = ?, "
              "valid_until_us = ? WHERE id = ? AND status = ?",
              consent.subject, to_string(consent.consumer), to_string(consent.status), *doc,
              micros_of(consent.valid_until), consent.id.value, to_string(expected_status));
      if (!changed)
        return changed.error();
      if (*changed == 1)
        return ok();
      return explain_missed_update(consent.id, expected_status);
    });
  }

  result<consent_artefact> find_consent(const consent_id& id) override {
    std::lock_guard lock(mutex_);
    auto doc = first_text("SELECT doc FROM consents WHERE id = ?", id.value);
    if (!doc)
      return doc.error();
    if (!*doc)
      return make_error(errc::consent_not_found, "consent " + id.value + " not found");
    return consent_of_doc(**doc);
  }

  result<std::vector<consent_artefact>> list_consents(const consent_filter& filter) override {
    std::lock_guard lock(mutex_);
    // One fixed statement per combination of filters, so each uses its index; values are bound.
    static constexpr std::array<std::string_view, 8> by_filters = {
        "SELECT doc FROM consents ORDER BY id LIMIT ?",
        "SELECT doc FROM consents WHERE subject = ? ORDER BY id LIMIT ?",
        "SELECT doc FROM consents WHERE consumer = ? ORDER BY id LIMIT ?",
        "SELECT doc FROM consents WHERE subject = ? AND consumer = ? ORDER BY id LIMIT ?",
        "SELECT doc FROM consents WHERE status = ? ORDER BY id LIMIT ?",
        "SELECT doc FROM consents WHERE subject = ? AND status = ? ORDER BY id LIMIT ?",
        "SELECT doc FROM consents WHERE consumer = ? AND status = ? ORDER BY id LIMIT ?",
        "SELECT doc FROM consents WHERE subject = ? AND consumer = ? AND status = ? "
        "ORDER BY id LIMIT ?",
    };
    const std::size_t which =
        (filter.subject ? 1u : 0u) | (filter.consumer ? 2u : 0u) | (filter.status ? 4u : 0u);
    return with(by_filters[which], [&](statement& s) -> result<std::vector<consent_artefact>> {
      int index = 0;
      if (filter.subject)
        SAPHAN_TRY_VOID(s.bind(++index, *filter.subject));
      if (filter.consumer)
        SAPHAN_TRY_VOID(s.bind(++index, to_string(*filter.consumer)));
      if (filter.status)
        SAPHAN_TRY_VOID(s.bind(++index, to_string(*filter.status)));
      auto limit = static_cast<std::int64_t>(std::min(filter.limit, max_page));
      SAPHAN_TRY_VOID(s.bind(++index, limit));
      auto docs = collect_texts(s);
      if (!docs)
        return docs.error();
      return convert_all(*docs, consent_of_doc);
    });
  }

  result<std::vector<consent_artefact>> list_expiring_consents(timestamp by,
                                                               std::size_t limit) override {
    std::lock_guard lock(mutex_);
    return with(
        "SELECT doc FROM consents WHERE status = 'active' AND valid_until_us <= ? "
        "ORDER BY valid_until_us, id LIMIT ?",
        [&](statement& s) -> result<std::vector<consent_artefact>> {
          SAPHAN_TRY_VOID(s.bind(1, micros_of(by)));
          SAPHAN_TRY_VOID(s.bind(2, static_cast<std::int64_t>(std::min(limit, max_page))));
          auto docs = collect_texts(s);
          if (!docs)
            return docs.error();
          return convert_all(*docs, consent_of_doc);
        });
  }

  result<void> transaction(const std::function<result<void>()>& body) override {
    std::lock_guard lock(mutex_);
    return atomically(body);
  }

  result<std::uint64_t> log_size() override {
    std::lock_guard lock(mutex_);
    return with("SELECT COALESCE(MAX(idx) + 1, 0) FROM log_entries",
                [](statement& s) -> result<std::uint64_t> {
                  auto row = s.step();
                  if (!row)
                    return row.error();
                  return static_cast<std::uint64_t>(s.integer(0));
                });
  }

  result<void> append_log(std::uint64_t first, const std::vector<log_append>& entries,
                          const std::vector<merkle::stored_node>& nodes) override {
    for (const auto& e : entries)
      SAPHAN_TRY_VOID(check_log_entry(e));
    std::lock_guard lock(mutex_);
    return atomically([&]() -> result<void> {
      auto size = log_size();
      if (!size)
        return size.error();
      if (*size != first) {
        return make_error(errc::conflict, "log size is " + std::to_string(*size) +
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

  result<std::vector<std::pair<std::string, timestamp>>> decided_request_ids(
      timestamp since) override {
    std::lock_guard lock(mutex_);
    return with(
        "SELECT request_id, at_us FROM log_entries "
        "WHERE at_us >= ? AND kind = 'exchange.decision' AND request_id <> ''",
        [&](statement& s) -> result<std::vector<std::pair<std::string, timestamp>>> {
          SAPHAN_TRY_VOID(s.bind(1, micros_of(since)));
          return collect_rows<std::pair<std::string, timestamp>>(s, [](statement& row) {
            return std::pair{row.text(0), timestamp_of_micros(row.integer(1))};
          });
        });
  }

  result<std::vector<log_row>> read_log(std::uint64_t from, std::size_t limit) override {
    std::lock_guard lock(mutex_);
    return with("SELECT idx, entry FROM log_entries WHERE idx >= ? ORDER BY idx LIMIT ?",
                [&](statement& s) -> result<std::vector<log_row>> {
                  SAPHAN_TRY_VOID(sqlite::bind_all(
                      s, as_sql_int(from), static_cast<std::int64_t>(std::min(limit, max_page))));
                  return collect_log_rows(s);
                });
  }

  result<std::vector<crypto::sha256_digest>> read_log_nodes(
      const std::vector<merkle::node_id>& ids) override {
    std::lock_guard lock(mutex_);
    std::vector<crypto::sha256_digest> hashes;
    hashes.reserve(ids.size());
    for (const auto& id : ids) {
      auto hash = with(
          "SELECT hash FROM log_nodes WHERE level = ? AND idx = ?",
          [&](statement& s) -> result<crypto::sha256_digest> {
            SAPHAN_TRY_VOID(
                sqlite::bind_all(s, static_cast<std::int64_t>(id.level), as_sql_int(id.index)));
            auto row = s.step();
            if (!row)
              return row.error();
            if (!*row) {
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

  result<std::vector<log_row>> search_log(const log_filter& f) override {
    auto query = sqlite::log_search_query(f, std::min(f.limit, max_search_page));
    std::lock_guard lock(mutex_);
    // Prepared for this search only: the criteria make up to 512 different statements, too many
    // to keep prepared for the life of the connection.
    auto s = statement::prepare(db_.get(), query.sql);
    if (!s)
      return s.error();
    int position = 0;
    for (const auto& value : query.values) {
      ++position;
      SAPHAN_TRY_VOID(std::visit([&](const auto& v) { return s->bind(position, v); }, value));
    }
    return collect_log_rows(*s);
  }

  result<void> add_checkpoint(const checkpoint_record& c) override {
    std::lock_guard lock(mutex_);
    auto token = c.timestamp_token;
    return with(
        "INSERT INTO log_checkpoints(tree_size, created_us, checkpoint, tsa_token) "
        "VALUES (?, ?, ?, ?) ON CONFLICT(tree_size) DO NOTHING",
        [&](statement& s) -> result<void> {
          SAPHAN_TRY_VOID(sqlite::bind_all(s, as_sql_int(c.tree_size), micros_of(c.created_at),
                                           c.checkpoint_json));
          SAPHAN_TRY_VOID(token ? s.bind_blob(4, *token) : s.bind_null(4));
          auto changed = s.execute();
          if (!changed)
            return changed.error();
          if (*changed == 0) {
            return make_error(errc::already_exists,
                              "checkpoint of size " + std::to_string(c.tree_size));
          }
          return ok();
        });
  }

  result<std::optional<checkpoint_record>> latest_checkpoint() override {
    std::lock_guard lock(mutex_);
    auto rows = checkpoints_where(
        "SELECT tree_size, created_us, checkpoint, tsa_token FROM log_checkpoints "
        "ORDER BY tree_size DESC LIMIT 1");
    if (!rows)
      return rows.error();
    if (rows->empty())
      return std::optional<checkpoint_record>();
    return std::optional<checkpoint_record>(std::move(rows->front()));
  }

  result<checkpoint_record> find_checkpoint(std::uint64_t tree_size) override {
    std::lock_guard lock(mutex_);
    auto rows = checkpoints_where(
        "SELECT tree_size, created_us, checkpoint, tsa_token FROM log_checkpoints "
        "WHERE tree_size = ?",
        as_sql_int(tree_size));
    if (!rows)
      return rows.error();
    if (rows->empty()) {
      return make_error(errc::not_found, "no checkpoint of size " + std::to_string(tree_size));
    }
    return std::move(rows->front());
  }

  result<std::vector<checkpoint_record>> read_checkpoints(std::uint64_t from_size,
                                                          std::size_t limit) override {
    std::lock_guard lock(mutex_);
    return checkpoints_where(
        "SELECT tree_size, created_us, checkpoint, tsa_token FROM log_checkpoints "
        "WHERE tree_size >= ? ORDER BY tree_size LIMIT ?",
        as_sql_int(from_size), static_cast<std::int64_t>(std::min(limit, max_page)));
  }

  result<std::vector<checkpoint_record>> untimestamped_checkpoints(std::size_t limit) override {
    std::lock_guard lock(mutex_);
    return checkpoints_where(
        "SELECT tree_size, created_us, checkpoint, tsa_token FROM log_checkpoints "
        "WHERE tsa_token IS NULL ORDER BY tree_size LIMIT ?",
        static_cast<std::int64_t>(std::min(limit, max_page)));
  }

  result<void> set_checkpoint_timestamp(std::uint64_t tree_size,
                                        const std::string& token_der) override {
    if (token_der.empty())
      return make_error(errc::invalid_argument, "timestamp token: empty");
    std::lock_guard lock(mutex_);
    return atomically([&]() -> result<void> {
      auto existing = find_checkpoint(tree_size);
      if (!existing)
        return existing.error();
      if (existing->timestamp_token) {
        return make_error(errc::conflict, "checkpoint of size " + std::to_string(tree_size) +
                                              " already has a timestamp");
      }
      return with("UPDATE log_checkpoints SET tsa_token = ? WHERE tree_size = ?",
                  [&](statement& s) -> result<void> {
                    SAPHAN_TRY_VOID(s.bind_blob(1, token_der));
                    SAPHAN_TRY_VOID(s.bind(2, as_sql_int(tree_size)));
                    auto changed = s.execute();
                    if (!changed)
                      return changed.error();
                    return ok();
                  });
    });
  }

  result<int> schema_version() override {
    std::lock_guard lock(mutex_);
    return sqlite::read_user_version(db_.get());
  }

 private:
  // Runs `use` on the cached statement for `sql`, resetting it afterwards whatever happens.
  template <class F>
  auto with(std::string_view sql, F&& use) -> decltype(use(std::declval<statement&>())) {
    auto s = statements_.get(sql);
    if (!s)
      return s.error();
    statement_use in_use(**s);
    return use(**s);
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
    auto changed = run(sql, args...);
    if (!changed)
      return changed.error();
    if (*changed == 0)
      return make_error(errc::already_exists, what + " already exists");
    return ok();
  }

  // Every remaining row of `s`, each made by `read` (returning T or result<T>).
  template <class T, class Read>
  static result<std::vector<T>> collect_rows(statement& s, Read read) {
    std::vector<T> out;
    while (true) {
      auto row = s.step();
      if (!row)
        return row.error();
      if (!*row)
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
      auto row = s.step();
      if (!row)
        return row.error();
      if (!*row)
        return std::optional<std::string>{};
      return std::optional<std::string>{s.text(0)};
    });
  }

  template <class T, class Convert>
  static result<std::vector<T>> convert_all_impl(const std::vector<std::string>& docs,
                                                 Convert convert) {
    std::vector<T> out;
    out.reserve(docs.size());
    for (const auto& doc : docs) {
      auto item = convert(doc);
      if (!item)
        return item.error();
      out.push_back(std::move(*item));
    }
    return out;
  }

  template <class T>
  static result<std::vector<T>> convert_all(const std::vector<std::string>& docs,
                                            result<T> (*convert)(std::string_view)) {
    return convert_all_impl<T>(docs, convert);
  }

  static error unknown_member(const std::string& id) {
    return make_error(errc::unknown_member, "member " + id + " is not registered");
  }

  result<void> require_member(const std::string& id) {
    auto found = first_text("SELECT id FROM members WHERE id = ?", id);
    if (!found)
      return found.error();
    if (!*found)
      return unknown_member(id);
    return ok();
  }

  result<void> explain_missed_update(const consent_id& id, consent_status expected) {
    auto status = first_text("SELECT status FROM consents WHERE id = ?", id.value);
    if (!status)
      return status.error();
    if (!*status)
      return make_error(errc::consent_not_found, "consent " + id.value + " not found");
    return make_error(errc::conflict, "consent " + id.value + ": expected status " +
                                          std::string(to_string(expected)) + ", stored status is " +
                                          **status);
  }

  static result<member_key> key_of_row(const statement& s) {
    member_key key;
    auto member = parse_member_id(s.text(0));
    if (!member)
      return corrupt("key", member.error());
    key.member = std::move(*member);
    key.key_id = s.text(1);
    auto use = parse_key_use(s.text(2));
    if (!use)
      return corrupt("key", use.error());
    key.use = *use;
    key.public_key = s.text(3);
    auto not_before = parse_rfc3339(s.text(4));
    if (!not_before)
      return corrupt("key", not_before.error());
    auto not_after = parse_rfc3339(s.text(5));
    if (!not_after)
      return corrupt("key", not_after.error());
    key.not_before = *not_before;
    key.not_after = *not_after;
    key.revoked = s.integer(6) != 0;
    return key;
  }

  result<void> insert_log_entry(std::uint64_t index, const log_append& e) {
    return with(
        "INSERT INTO log_entries(idx, at_us, kind, request_id, consumer, provider, dataset, "
        "status, subject, entry) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [&](statement& s) -> result<void> {
          const auto& t = e.terms;
          SAPHAN_TRY_VOID(sqlite::bind_all(s, as_sql_int(index), micros_of(t.at), t.kind,
                                           t.request_id, t.consumer, t.provider, t.dataset,
                                           t.status, t.subject));
          SAPHAN_TRY_VOID(s.bind_blob(10, e.entry));
          auto changed = s.execute();
          if (!changed)
            return changed.error();
          return ok();
        });
  }

  result<void> insert_node(const merkle::stored_node& n) {
    return with("INSERT INTO log_nodes(level, idx, hash) VALUES (?, ?, ?)",
                [&](statement& s) -> result<void> {
                  SAPHAN_TRY_VOID(sqlite::bind_all(s, static_cast<std::int64_t>(n.id.level),
                                                   as_sql_int(n.id.index)));
                  SAPHAN_TRY_VOID(s.bind_blob(3, n.hash.view()));
                  auto changed = s.execute();
                  if (!changed)
                    return changed.error();
                  return ok();
                });
  }

  static result<std::vector<log_row>> collect_log_rows(statement& s) {
    return collect_rows<log_row>(s, [](statement& row) {
      return log_row{static_cast<std::uint64_t>(row.integer(0)), row.blob(1)};
    });
  }

  template <class... Args>
  result<std::vector<checkpoint_record>> checkpoints_where(std::string_view sql,
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

  result<void> atomically(const std::function<result<void>()>& body) {
    const bool outer = depth_ == 0;
    if (outer && hooks_)
      hooks_->turns->let_waiters_first();
    release_on_exit announce{outer ? hooks_.get() : nullptr};
    // Cached statements: the group commit runs these for every batch and every consent use.
    SAPHAN_TRY_VOID(control(outer ? "BEGIN IMMEDIATE" : "SAVEPOINT nested"));
    ++depth_;
    result<void> outcome;
    try {
      outcome = body();
    } catch (...) {
      --depth_;
      (void)undo(outer);  // the exception is the failure to report; rethrown as it came
      throw;
    }
    --depth_;
    if (outcome)
      outcome = control(outer ? "COMMIT" : "RELEASE nested");
    if (outcome)
      return ok();
    auto undone = undo(outer);
    if (!undone) {
      return make_error(errc::storage_failure,
                        outcome.error().detail + "; rollback failed: " + undone.error().detail);
    }
    return outcome;
  }

  result<void> control(std::string_view sql) {
    auto done = run(sql);
    if (!done)
      return done.error();
    return ok();
  }

  result<void> undo(bool outer) {
    // After some errors (SQLITE_FULL, SQLITE_IOERR, SQLITE_NOMEM) SQLite has already rolled the
    // whole transaction back; there is nothing left to undo.
    if (sqlite3_get_autocommit(db_.get()) != 0)
      return ok();
    return sqlite::execute_script(db_.get(),
                                  outer ? "ROLLBACK" : "ROLLBACK TO nested; RELEASE nested");
  }

  // Parsed members, their keys and datasets, valid while registry_version (bumped by triggers on
  // every change, from any connection) stays at cached_version_. Filled only outside transactions,
  // so a rolled-back change can never be cached under a version number a later commit reuses.
  result<void> refresh_registry_cache() {
    auto version = with("SELECT v FROM registry_version WHERE id = 1",
                        [](statement& s) -> result<std::int64_t> {
                          auto row = s.step();
                          if (!row)
                            return row.error();
                          if (!*row)
                            return make_error(errc::storage_failure, "registry_version: no row");
                          return s.integer(0);
                        });
    if (!version)
      return version.error();
    if (*version != cached_version_) {
      cached_members_.clear();
      cached_keys_.clear();
      cached_datasets_.clear();
      cached_version_ = *version;
    }
    return ok();
  }

  std::recursive_mutex mutex_;
  std::int64_t cached_version_ = -1;
  std::map<std::string, member_record, std::less<>> cached_members_;
  std::map<std::string, std::vector<member_key>, std::less<>> cached_keys_;  // by member
  std::map<std::string, dataset_entry, std::less<>> cached_datasets_;
  std::unique_ptr<connection_hooks> hooks_;  // declared before db_: destroyed after the close
  sqlite::db_handle db_;
  sqlite::statement_cache statements_;  // declared after db_: finalized before the close
  int depth_ = 0;
};

result<sqlite::db_handle> open_connection(const sqlite_options& options) {
  sqlite3* raw = nullptr;
  int rc =
      sqlite3_open_v2(options.path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
  sqlite::db_handle db(raw);
  if (rc != SQLITE_OK)
    return sqlite::failure(db.get(), "open " + options.path);
  if (sqlite3_extended_result_codes(db.get(), 1) != SQLITE_OK) {
    return sqlite::failure(db.get(), "extended result codes");
  }
  if (sqlite3_busy_timeout(db.get(), options.busy_timeout_ms) != SQLITE_OK) {
    return sqlite::failure(db.get(), "busy timeout");
  }
  return db;
}

// Takes the file's write turns in place of SQLite's busy timeout and automatic checkpoint. An
// in-memory database is private to its connection: it keeps SQLite's own.
std::unique_ptr<connection_hooks> install_hooks(sqlite3* db, const sqlite_options& options) {
  const char* file = sqlite3_db_filename(db, "main");
  if (file == nullptr || *file == '\0')
    return nullptr;
  auto hooks = std::make_unique<connection_hooks>();
  hooks->turns = write_turns::for_file(file);
  hooks->busy_timeout = std::chrono::milliseconds(options.busy_timeout_ms);
  hooks->wal_autocheckpoint_pages = options.wal_autocheckpoint_pages;
  sqlite3_busy_handler(db, wait_for_write_turn, hooks.get());
  sqlite3_wal_hook(db, after_commit, hooks.get());
  return hooks;
}

result<std::string> pragma_text(sqlite3* db, std::string_view sql) {
  auto s = statement::prepare(db, sql);
  if (!s)
    return s.error();
  auto row = s->step();
  if (!row)
    return row.error();
  if (!*row)
    return make_error(errc::storage_failure, std::string(sql) + ": no answer");
  return s->text(0);
}

result<void> configure(sqlite3* db, bool in_memory) {
  auto mode = pragma_text(db, "PRAGMA journal_mode = WAL");
  if (!mode)
    return mode.error();
  // An in-memory database answers "memory"; a file that cannot do WAL (e.g. some network file
  // systems) must not silently run in a weaker mode.
  if (!in_memory && *mode != "wal") {
    return make_error(errc::storage_failure, "journal_mode: expected wal, got " + *mode);
  }
  // temp_store = MEMORY: a SAVEPOINT (one per consent use in a group commit) otherwise gets its
  // statement journal as a new file in /var/tmp, created and unlinked every time.
  SAPHAN_TRY_VOID(sqlite::execute_script(
      db, "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY;"));
  // No PRAGMA wal_autocheckpoint here or anywhere: it would replace the WAL hook install_hooks
  // sets, which does the automatic checkpoint itself and wakes the connections waiting to write.
  auto fk = pragma_text(db, "PRAGMA foreign_keys");
  if (!fk)
    return fk.error();
  if (*fk != "1")
    return make_error(errc::storage_failure, "foreign_keys: could not be enabled");
  auto sync = pragma_text(db, "PRAGMA synchronous");
  if (!sync)
    return sync.error();
  if (*sync != "2")
    return make_error(errc::storage_failure, "synchronous: could not be set to FULL");
  return ok();
}

}  // namespace

result<std::unique_ptr<store>> open_sqlite_store(const sqlite_options& options) {
  if (options.path.empty())
    return make_error(errc::invalid_argument, "path: must not be empty");
  if (options.busy_timeout_ms < 0) {
    return make_error(errc::invalid_argument, "busy_timeout_ms: must not be negative");
  }
  if (options.wal_autocheckpoint_pages < 0) {
    return make_error(errc::invalid_argument, "wal_autocheckpoint_pages: must not be negative");
  }
  auto db = open_connection(options);
  if (!db)
    return db.error();
  connection c{nullptr, std::move(*db)};
  SAPHAN_TRY_VOID(configure(c.db.get(), options.path == ":memory:"));
  c.hooks = install_hooks(c.db.get(), options);
  SAPHAN_TRY_VOID(sqlite::migrate(c.db.get()));
  return std::unique_ptr<store>(std::make_unique<sqlite_store>(std::move(c)));
}

}  // namespace saphan
