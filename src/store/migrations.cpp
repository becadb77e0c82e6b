#include "store/migrations.hpp"

#include "store/sqlite_statement.hpp"

namespace saphan::sqlite {
namespace {

// Version 1: the directory, the catalog and the consent registry. Domain objects are stored as
// their JSON documents (`doc`) next to the key columns that lookups use; the consent event
// history lives inside the consent document (at most three events), so it needs no table.
constexpr std::string_view migration_1 = R"sql(
CREATE TABLE members (
  id  TEXT PRIMARY KEY NOT NULL,
  doc TEXT NOT NULL
);
CREATE TABLE member_keys (
  member_id  TEXT NOT NULL REFERENCES members(id),
  key_id     TEXT NOT NULL,
  use        TEXT NOT NULL,
  public_key TEXT NOT NULL,
  not_before TEXT NOT NULL,
  not_after  TEXT NOT NULL,
  revoked    INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (member_id, key_id)
);
CREATE TABLE datasets (
  id      TEXT PRIMARY KEY NOT NULL,
  name    TEXT NOT NULL,
  version TEXT NOT NULL,
  owner   TEXT NOT NULL REFERENCES members(id),
  doc     TEXT NOT NULL
);
CREATE INDEX datasets_by_owner ON datasets(owner);
CREATE INDEX datasets_by_name ON datasets(name, version);
CREATE TABLE consents (
  id       TEXT PRIMARY KEY NOT NULL,
  subject  TEXT NOT NULL,
  consumer TEXT NOT NULL,
  status   TEXT NOT NULL,
  doc      TEXT NOT NULL
);
CREATE INDEX consents_by_subject ON consents(subject);
CREATE INDEX consents_by_consumer ON consents(consumer);
CREATE INDEX consents_by_status ON consents(status);
PRAGMA user_version = 1;
)sql";

// Version 2: the hash-chained evidence log. idx is the rowid, so appends and range reads by
// index are B-tree walks.
constexpr std::string_view migration_2 = R"sql(
CREATE TABLE evidence (
  idx         INTEGER PRIMARY KEY,
  recorded_at TEXT NOT NULL,
  kind        TEXT NOT NULL,
  entry       TEXT NOT NULL,
  prev_hash   BLOB NOT NULL,
  entry_hash  BLOB NOT NULL
);
CREATE INDEX evidence_by_kind ON evidence(kind);
PRAGMA user_version = 2;
)sql";

// Version 3: the RFC 9162 Merkle log replaces the hash chain. The chain of version 2 is kept,
// renamed and read-only, so evidence written by earlier versions is never dropped. Entries carry
// their search terms in columns; the complete tree nodes (leaves included, level 0) are stored so
// proofs and roots of any past size are index lookups; checkpoints wait for their RFC 3161 token.
constexpr std::string_view migration_3 = R"sql(
ALTER TABLE evidence RENAME TO evidence_chain_v2;
CREATE TABLE log_entries (
  idx        INTEGER PRIMARY KEY,
  at_us      INTEGER NOT NULL,
  kind       TEXT NOT NULL,
  request_id TEXT NOT NULL,
  consumer   TEXT NOT NULL,
  provider   TEXT NOT NULL,
  dataset    TEXT NOT NULL,
  status     TEXT NOT NULL,
  subject    TEXT NOT NULL,
  entry      BLOB NOT NULL
);
CREATE INDEX log_by_time ON log_entries(at_us);
CREATE INDEX log_by_subject ON log_entries(subject) WHERE subject <> '';
CREATE INDEX log_by_consumer ON log_entries(consumer);
CREATE INDEX log_by_provider ON log_entries(provider);
CREATE INDEX log_by_dataset ON log_entries(dataset);
CREATE INDEX log_by_request ON log_entries(request_id) WHERE request_id <> '';
CREATE TABLE log_nodes (
  level INTEGER NOT NULL,
  idx   INTEGER NOT NULL,
  hash  BLOB NOT NULL,
  PRIMARY KEY (level, idx)
) WITHOUT ROWID;
CREATE TABLE log_checkpoints (
  tree_size  INTEGER PRIMARY KEY,
  created_us INTEGER NOT NULL,
  checkpoint TEXT NOT NULL,
  tsa_token  BLOB
);
CREATE INDEX log_checkpoints_waiting ON log_checkpoints(tree_size) WHERE tsa_token IS NULL;
PRAGMA user_version = 3;
)sql";

// Version 4: a counter that every change to members, keys and datasets bumps (by trigger, so
// changes from any connection or process count). A connection may keep parsed registry rows for
// as long as the counter has not moved: one indexed read instead of parsing JSON per exchange.
constexpr std::string_view migration_4 = R"sql(
CREATE TABLE registry_version (id INTEGER PRIMARY KEY CHECK (id = 1), v INTEGER NOT NULL);
INSERT INTO registry_version(id, v) VALUES (1, 0);
CREATE TRIGGER members_insert_bumps AFTER INSERT ON members BEGIN UPDATE registry_version SET v = v + 1; END;
CREATE TRIGGER members_update_bumps AFTER UPDATE ON members BEGIN UPDATE registry_version SET v = v + 1; END;
CREATE TRIGGER members_delete_bumps AFTER DELETE ON members BEGIN UPDATE registry_version SET v = v + 1; END;
CREATE TRIGGER member_keys_insert_bumps AFTER INSERT ON member_keys BEGIN UPDATE registry_version SET v = v + 1; END;
CREATE TRIGGER member_keys_update_bumps AFTER UPDATE ON member_keys BEGIN UPDATE registry_version SET v = v + 1; END;
CREATE TRIGGER member_keys_delete_bumps AFTER DELETE ON member_keys BEGIN UPDATE registry_version SET v = v + 1; END;
CREATE TRIGGER datasets_insert_bumps AFTER INSERT ON datasets BEGIN UPDATE registry_version SET v = v + 1; END;
CREATE TRIGGER datasets_update_bumps AFTER UPDATE ON datasets BEGIN UPDATE registry_version SET v = v + 1; END;
CREATE TRIGGER datasets_delete_bumps AFTER DELETE ON datasets BEGIN UPDATE registry_version SET v = v + 1; END;
PRAGMA user_version = 4;
)sql";

// Version 5: consents carry their end of validity (microseconds since the epoch) in an indexed
// column, so the hub finds the active consents that have run out without reading every one.
// Rows of earlier versions get it from their document (julianday keeps about a millisecond;
// the expiry itself is decided on the document's exact time).
constexpr std::string_view migration_5 = R"sql(
ALTER TABLE consents ADD COLUMN valid_until_us INTEGER NOT NULL DEFAULT 0;
UPDATE consents SET valid_until_us =
  CAST((julianday(json_extract(doc, '$.validUntil')) - 2440587.5) * 86400000000.0 AS INTEGER);
CREATE INDEX consents_by_expiry ON consents(status, valid_until_us);
PRAGMA user_version = 5;
)sql";

// Version 6: searches by kind and by status (the auditor's "every refusal", "every timeout")
// look them up instead of reading the whole log; each index ends in idx (the rowid), so a walk
// of one value is already newest first and stops at the page. Both together use the pair.
constexpr std::string_view migration_6 = R"sql(
CREATE INDEX log_by_kind ON log_entries(kind);
CREATE INDEX log_by_status ON log_entries(status);
CREATE INDEX log_by_kind_status ON log_entries(kind, status);
PRAGMA user_version = 6;
)sql";

// Version 7: an empty table a writer fills and empties in one transaction to learn whether the
// disk has room again after a failed group commit (store::check_writable).
constexpr std::string_view migration_7 = R"sql(
CREATE TABLE write_probe (filler BLOB NOT NULL);
PRAGMA user_version = 7;
)sql";

// Version 8: the consent flow of the citizen portal. Signed receipts of consent events, kept
// for the citizen to fetch again; and the outbox of notifications to consumers' connectors, a
// row written in the same transaction as the consent change it tells of and removed once the
// connector acknowledged it, so none is lost across a restart.
constexpr std::string_view migration_8 = R"sql(
CREATE TABLE consent_receipts (
  seq        INTEGER PRIMARY KEY,
  consent_id TEXT NOT NULL REFERENCES consents(id),
  event      TEXT NOT NULL,
  at_us      INTEGER NOT NULL,
  log_index  INTEGER NOT NULL,
  jws        TEXT NOT NULL
);
CREATE INDEX consent_receipts_by_consent ON consent_receipts(consent_id, seq);
CREATE TABLE notification_outbox (
  id         TEXT PRIMARY KEY NOT NULL,
  consumer   TEXT NOT NULL,
  payload    TEXT NOT NULL,
  attempts   INTEGER NOT NULL DEFAULT 0,
  next_us    INTEGER NOT NULL,
  last_error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX notification_outbox_due ON notification_outbox(next_us);
PRAGMA user_version = 8;
)sql";

error in_migration(const migration& m, const error& e) {
  return make_error(errc::storage_failure, "migration " + std::to_string(m.version) + " (" +
                                               std::string(m.name) + "): " + e.detail);
}

// Runs inside the migration's transaction. Re-reads the version there: another process may have
// migrated the file between our first look and taking the write lock.
result<void> apply_locked(sqlite3* db, const migration& m) {
  auto before = SAPHAN_TRY(read_user_version(db));
  if (before >= m.version)
    return ok();
  if (before != m.version - 1) {
    return make_error(errc::storage_failure, "file is at version " + std::to_string(before) +
                                                 ", expected " + std::to_string(m.version - 1));
  }
  SAPHAN_TRY_VOID(execute_script(db, m.sql));
  auto after = SAPHAN_TRY(read_user_version(db));
  if (after != m.version) {
    return make_error(errc::storage_failure, "did not set user_version");
  }
  return ok();
}

result<void> rollback(sqlite3* db) {
  // After some errors (SQLITE_FULL, SQLITE_IOERR) SQLite has rolled back already.
  if (sqlite3_get_autocommit(db) != 0)
    return ok();
  return execute_script(db, "ROLLBACK");
}

result<void> apply(sqlite3* db, const migration& m) {
  auto begun = execute_script(db, "BEGIN IMMEDIATE");
  if (!begun)
    return in_migration(m, begun.error());
  auto applied = apply_locked(db, m);
  if (applied)
    applied = execute_script(db, "COMMIT");
  if (applied)
    return ok();
  auto undone = rollback(db);
  if (!undone) {
    return in_migration(
        m, make_error(errc::storage_failure,
                      applied.error().detail + "; rollback failed: " + undone.error().detail));
  }
  return in_migration(m, applied.error());
}

}  // namespace

const std::vector<migration>& migrations() {
  static const std::vector<migration> list = {
      {1, "directory, catalog and consents", migration_1},
      {2, "evidence log", migration_2},
      {3, "merkle evidence log", migration_3},
      {4, "registry version", migration_4},
      {5, "consent expiry", migration_5},
      {6, "log search by kind and status", migration_6},
      {7, "write probe", migration_7},
      {8, "consent receipts and notification outbox", migration_8},
  };
  return list;
}

int latest_schema_version() {
  return migrations().back().version;
}

result<int> read_user_version(sqlite3* db) {
  auto row = SAPHAN_TRY(single_row(db, "PRAGMA user_version"));
  return static_cast<int>(row.integer(0));
}

result<void> migrate(sqlite3* db) {
  auto current = SAPHAN_TRY(read_user_version(db));
  if (current > latest_schema_version()) {
    return make_error(errc::storage_failure, "database schema version " + std::to_string(current) +
                                                 " is newer than this program supports (" +
                                                 std::to_string(latest_schema_version()) + ")");
  }
  for (const auto& m : migrations()) {
    if (m.version > current)
      SAPHAN_TRY_VOID(apply(db, m));
  }
  return ok();
}

}  // namespace saphan::sqlite
