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
#include <algorithm>
#include <mutex>

#include "crypto/hash.hpp"
#include "store/migrations.hpp"
#include "store/sqlite_statement.hpp"
#include "store/store.hpp"

namespace saphan {
namespace {

using sqlite::statement;
using sqlite::statement_use;

// Reads and lists are bounded; no caller needs more rows than these in one answer.
constexpr std::size_t max_page = 10000;
constexpr std::int64_t max_directory_rows = 100000;
// Evidence entries are small JSON facts; anything larger is a bug or an attack.
constexpr json_limits evidence_limits{64 * 1024, 16};
constexpr std::size_t max_kind_length = 64;
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

// Evidence entries must be JSON objects; the optional "kind" string becomes an indexed column.
result<std::string> evidence_kind(const std::string& entry_json) {
  auto doc = parse_json(entry_json, evidence_limits);
  if (!doc)
    return doc.error();
  if (!doc->IsObject())
    return make_error(errc::malformed_json, "evidence entry: must be an object");
  auto kind = json_object(*doc, "evidence entry").optional_string("kind");
  if (!kind)
    return kind.error();
  std::string out = kind->value_or("");
  if (out.size() > max_kind_length) {
    return make_error(errc::invalid_argument, "evidence entry.kind: at most 64 bytes");
  }
  return out;
}

std::string chain_hash(std::string_view prev_hash, std::string_view entry_json) {
  auto digest = crypto::sha256_hasher().update(prev_hash).update(entry_json).finish();
  return std::string(digest.view());
}

result<std::string> hex_of_hash(const std::string& bytes) {
  auto digest = crypto::sha256_from_bytes(bytes);
  if (!digest)
    return corrupt("evidence hash", digest.error());
  return digest->to_hex();
}

class sqlite_store final : public store {
 public:
  explicit sqlite_store(sqlite::db_handle db) : db_(std::move(db)), statements_(db_.get()) {}

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
    auto doc = first_text("SELECT doc FROM members WHERE id = ?", key);
    if (!doc)
      return doc.error();
    if (!*doc)
      return unknown_member(key);
    return member_of_doc(**doc);
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
    return with(
        "SELECT member_id, key_id, use, public_key, not_before, not_after, revoked "
        "FROM member_keys WHERE member_id = ? ORDER BY key_id LIMIT ?",
        [&](statement& s) -> result<std::vector<member_key>> {
          SAPHAN_TRY_VOID(sqlite::bind_all(s, owner, max_directory_rows));
          std::vector<member_key> keys;
          while (true) {
            auto row = s.step();
            if (!row)
              return row.error();
            if (!*row)
              return keys;
            auto key = key_of_row(s);
            if (!key)
              return key.error();
            keys.push_back(std::move(*key));
          }
        });
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
    auto doc = first_text("SELECT doc FROM datasets WHERE id = ?", key);
    if (!doc)
      return doc.error();
    if (!*doc)
      return make_error(errc::unknown_dataset, "dataset " + key + " is not published");
    return dataset_of_doc(**doc);
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
                      "INSERT INTO consents(id, subject, consumer, status, doc) "
                      "VALUES(?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                      consent.id.value, consent.subject, to_string(consent.consumer),
                      to_string(consent.status), *doc);
  }

  result<void> update_consent(const consent_artefact& consent,
                              consent_status expected_status) override {
    auto doc = consent_doc(consent);
    if (!doc)
      return doc.error();
    std::lock_guard lock(mutex_);
    return atomically([&]() -> result<void> {
      auto changed =
          run("UPDATE consents SET subject = ?, consumer = ?, status = ?, doc = ? "
              "WHERE id = ? AND status = ?",
              consent.subject, to_string(consent.consumer), to_string(consent.status), *doc,
              consent.id.value, to_string(expected_status));
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
    // The SQL is assembled from fixed clauses only (at most eight distinct texts, each cached);
    // every value is a bound parameter.
    std::string sql = "SELECT doc FROM consents WHERE 1 = 1";
    if (filter.subject)
      sql += " AND subject = ?";
    if (filter.consumer)
      sql += " AND consumer = ?";
    if (filter.status)
      sql += " AND status = ?";
    sql += " ORDER BY id LIMIT ?";
    return with(sql, [&](statement& s) -> result<std::vector<consent_artefact>> {
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

  result<void> transaction(const std::function<result<void>()>& body) override {
    std::lock_guard lock(mutex_);
    return atomically(body);
  }

  result<evidence_row> append_evidence(const std::string& entry_json) override {
    auto kind = evidence_kind(entry_json);
    if (!kind)
      return kind.error();
    std::lock_guard lock(mutex_);
    evidence_row appended;
    auto done = atomically([&]() -> result<void> {
      auto row = chain_next(entry_json, *kind);
      if (!row)
        return row.error();
      appended = std::move(*row);
      return ok();
    });
    if (!done)
      return done.error();
    return appended;
  }

  result<std::vector<evidence_row>> read_evidence(std::int64_t from_index,
                                                  std::size_t limit) override {
    if (from_index < 0) {
      return make_error(errc::invalid_argument, "from_index: must not be negative");
    }
    std::lock_guard lock(mutex_);
    return with(
        "SELECT idx, entry, prev_hash, entry_hash FROM evidence "
        "WHERE idx >= ? ORDER BY idx LIMIT ?",
        [&](statement& s) -> result<std::vector<evidence_row>> {
          SAPHAN_TRY_VOID(sqlite::bind_all(s, from_index,
                                           static_cast<std::int64_t>(std::min(limit, max_page))));
          std::vector<evidence_row> rows;
          while (true) {
            auto more = s.step();
            if (!more)
              return more.error();
            if (!*more)
              return rows;
            auto row = evidence_of_row(s);
            if (!row)
              return row.error();
            rows.push_back(std::move(*row));
          }
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

  static result<std::vector<std::string>> collect_texts(statement& s) {
    std::vector<std::string> out;
    while (true) {
      auto row = s.step();
      if (!row)
        return row.error();
      if (!*row)
        return out;
      out.push_back(s.text(0));
    }
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

  static result<evidence_row> evidence_of_row(const statement& s) {
    evidence_row row;
    row.index = s.integer(0);
    row.entry_json = s.text(1);
    auto prev = hex_of_hash(s.blob(2));
    if (!prev)
      return prev.error();
    auto hash = hex_of_hash(s.blob(3));
    if (!hash)
      return hash.error();
    row.prev_hash_hex = std::move(*prev);
    row.entry_hash_hex = std::move(*hash);
    return row;
  }

  // Inside a transaction: links the entry to the last one and inserts it at the next index.
  result<evidence_row> chain_next(const std::string& entry_json, const std::string& kind) {
    struct tip {
      std::int64_t next = 0;
      std::string hash = std::string(crypto::sha256_digest::size, '\0');
    };
    auto last = with("SELECT idx, entry_hash FROM evidence ORDER BY idx DESC LIMIT 1",
                     [](statement& s) -> result<tip> {
                       auto row = s.step();
                       if (!row)
                         return row.error();
                       if (!*row)
                         return tip{};
                       return tip{s.integer(0) + 1, s.blob(1)};
                     });
    if (!last)
      return last.error();
    if (last->hash.size() != crypto::sha256_digest::size) {
      return make_error(errc::storage_failure, "stored evidence hash is not 32 bytes");
    }
    const auto hash = chain_hash(last->hash, entry_json);
    auto changed = with(
        "INSERT INTO evidence(idx, recorded_at, kind, entry, prev_hash, "
        "entry_hash) VALUES(?, ?, ?, ?, ?, ?)",
        [&](statement& s) -> result<int> {
          SAPHAN_TRY_VOID(
              sqlite::bind_all(s, last->next, format_rfc3339(now_utc()), kind, entry_json));
          SAPHAN_TRY_VOID(s.bind_blob(5, last->hash));
          SAPHAN_TRY_VOID(s.bind_blob(6, hash));
          return s.execute();
        });
    if (!changed)
      return changed.error();
    return evidence_row{last->next, entry_json, crypto::sha256_from_bytes(hash)->to_hex(),
                        crypto::sha256_from_bytes(last->hash)->to_hex()};
  }

  result<void> atomically(const std::function<result<void>()>& body) {
    const bool outer = depth_ == 0;
    SAPHAN_TRY_VOID(
        sqlite::execute_script(db_.get(), outer ? "BEGIN IMMEDIATE" : "SAVEPOINT nested"));
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
      outcome = sqlite::execute_script(db_.get(), outer ? "COMMIT" : "RELEASE nested");
    if (outcome)
      return ok();
    auto undone = undo(outer);
    if (!undone) {
      return make_error(errc::storage_failure,
                        outcome.error().detail + "; rollback failed: " + undone.error().detail);
    }
    return outcome;
  }

  result<void> undo(bool outer) {
    // After some errors (SQLITE_FULL, SQLITE_IOERR, SQLITE_NOMEM) SQLite has already rolled the
    // whole transaction back; there is nothing left to undo.
    if (sqlite3_get_autocommit(db_.get()) != 0)
      return ok();
    return sqlite::execute_script(db_.get(),
                                  outer ? "ROLLBACK" : "ROLLBACK TO nested; RELEASE nested");
  }

  std::recursive_mutex mutex_;
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
  SAPHAN_TRY_VOID(
      sqlite::execute_script(db, "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;"));
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
  auto db = open_connection(options);
  if (!db)
    return db.error();
  SAPHAN_TRY_VOID(configure(db->get(), options.path == ":memory:"));
  SAPHAN_TRY_VOID(sqlite::migrate(db->get()));
  return std::unique_ptr<store>(std::make_unique<sqlite_store>(std::move(*db)));
}

}  // namespace saphan
