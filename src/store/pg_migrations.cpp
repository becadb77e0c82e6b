#include "store/pg_migrations.hpp"

#include <string>

namespace saphan::pg {
namespace {

// The advisory lock every migration holds: a fixed key of this program ("saphan" as digits).
constexpr std::string_view lock_migrations = "SELECT pg_advisory_xact_lock(7265706861)";

// Version 1: everything SQLite's eight versions built, in PostgreSQL's terms. Domain objects
// are their JSON documents (`doc`) beside the columns lookups use. The log's terms are bytea:
// they come from requests, and text cannot hold every byte string (NUL). Each search index
// ends in idx, so a walk of one value reads newest first and stops at its page (log_search.hpp);
// Ids sort byte by byte (COLLATE "C"), as in SQLite, whatever the database's locale. idx is
// the primary key, so two writers that both append at one index cannot both commit.
constexpr std::string_view migration_1 = R"sql(
CREATE TABLE members (
  id  text COLLATE "C" PRIMARY KEY,
  doc text NOT NULL
);
CREATE TABLE member_keys (
  member_id  text NOT NULL REFERENCES members(id),
  key_id     text COLLATE "C" NOT NULL,
  use        text NOT NULL,
  public_key text NOT NULL,
  not_before text NOT NULL,
  not_after  text NOT NULL,
  revoked    boolean NOT NULL DEFAULT false,
  PRIMARY KEY (member_id, key_id)
);
CREATE TABLE datasets (
  id      text COLLATE "C" PRIMARY KEY,
  name    text NOT NULL,
  version text NOT NULL,
  owner   text NOT NULL REFERENCES members(id),
  doc     text NOT NULL
);
CREATE INDEX datasets_by_owner ON datasets(owner);
CREATE TABLE consents (
  id             text COLLATE "C" PRIMARY KEY,
  subject        text NOT NULL,
  consumer       text NOT NULL,
  status         text NOT NULL,
  valid_until_us bigint NOT NULL,
  doc            text NOT NULL
);
CREATE INDEX consents_by_subject ON consents(subject, id);
CREATE INDEX consents_by_consumer ON consents(consumer, id);
CREATE INDEX consents_by_status ON consents(status, id);
CREATE INDEX consents_by_expiry ON consents(status, valid_until_us);

-- A counter every change to members, keys and datasets bumps, from any connection of any node:
-- what the registry cache compares.
CREATE TABLE registry_version (id integer PRIMARY KEY CHECK (id = 1), v bigint NOT NULL);
INSERT INTO registry_version(id, v) VALUES (1, 0);
CREATE FUNCTION bump_registry_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE registry_version SET v = v + 1 WHERE id = 1;
  RETURN NULL;
END
$$;
CREATE TRIGGER members_bump AFTER INSERT OR UPDATE OR DELETE ON members
  FOR EACH ROW EXECUTE FUNCTION bump_registry_version();
CREATE TRIGGER member_keys_bump AFTER INSERT OR UPDATE OR DELETE ON member_keys
  FOR EACH ROW EXECUTE FUNCTION bump_registry_version();
CREATE TRIGGER datasets_bump AFTER INSERT OR UPDATE OR DELETE ON datasets
  FOR EACH ROW EXECUTE FUNCTION bump_registry_version();

CREATE TABLE log_entries (
  idx        bigint PRIMARY KEY CHECK (idx >= 0),
  at_us      bigint NOT NULL,
  kind       bytea NOT NULL,
  request_id bytea NOT NULL,
  consumer   bytea NOT NULL,
  provider   bytea NOT NULL,
  dataset    bytea NOT NULL,
  status     bytea NOT NULL,
  subject    bytea NOT NULL,
  entry      bytea NOT NULL
);
CREATE INDEX log_by_time ON log_entries(at_us);
CREATE INDEX log_by_subject ON log_entries(subject, idx) WHERE subject <> '';
CREATE INDEX log_by_request ON log_entries(request_id, idx) WHERE request_id <> '';
CREATE INDEX log_by_consumer ON log_entries(consumer, idx);
CREATE INDEX log_by_provider ON log_entries(provider, idx);
CREATE INDEX log_by_dataset ON log_entries(dataset, idx);
CREATE INDEX log_by_kind ON log_entries(kind, idx);
CREATE INDEX log_by_status ON log_entries(status, idx);
CREATE INDEX log_by_kind_status ON log_entries(kind, status, idx);
CREATE TABLE log_nodes (
  level integer NOT NULL,
  idx   bigint NOT NULL,
  hash  bytea NOT NULL,
  PRIMARY KEY (level, idx)
);
CREATE TABLE log_checkpoints (
  tree_size  bigint PRIMARY KEY,
  created_us bigint NOT NULL,
  checkpoint text NOT NULL,
  tsa_token  bytea
);
CREATE INDEX log_checkpoints_waiting ON log_checkpoints(tree_size) WHERE tsa_token IS NULL;

-- Filled and emptied in one transaction to learn whether the server can write again
-- (store::check_writable); EXTERNAL: stored as written, not compressed to nothing.
CREATE TABLE write_probe (filler bytea NOT NULL);
ALTER TABLE write_probe ALTER COLUMN filler SET STORAGE EXTERNAL;

CREATE TABLE consent_receipts (
  seq        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  consent_id text COLLATE "C" NOT NULL REFERENCES consents(id),
  event      text NOT NULL,
  at_us      bigint NOT NULL,
  log_index  bigint NOT NULL,
  jws        text NOT NULL
);
CREATE INDEX consent_receipts_by_consent ON consent_receipts(consent_id, seq);
CREATE TABLE notification_outbox (
  id         text COLLATE "C" PRIMARY KEY,
  consumer   text NOT NULL,
  payload    text NOT NULL,
  attempts   bigint NOT NULL DEFAULT 0,
  next_us    bigint NOT NULL,
  last_error text NOT NULL DEFAULT ''
);
CREATE INDEX notification_outbox_due ON notification_outbox(next_us, id);
)sql";

error in_migration(const migration& m, const error& e) {
  return make_error(errc::storage_failure, "migration " + std::to_string(m.version) + " (" +
                                               std::string(m.name) + "): " + e.detail);
}

// Inside the migration's transaction, under the lock. Reads the version again there: another
// node may have migrated the database between our first look and taking the lock.
result<void> apply_locked(connection& c, const migration& m) {
  SAPHAN_TRY_VOID(c.script(lock_migrations));
  SAPHAN_TRY_VOID(
      c.script("CREATE TABLE IF NOT EXISTS saphan_schema ("
               "id integer PRIMARY KEY CHECK (id = 1), version integer NOT NULL)"));
  auto before = SAPHAN_TRY(read_schema_version(c));
  if (before >= m.version)
    return ok();
  if (before != m.version - 1) {
    return make_error(errc::storage_failure, "database is at version " + std::to_string(before) +
                                                 ", expected " + std::to_string(m.version - 1));
  }
  SAPHAN_TRY_VOID(c.script(m.sql));
  SAPHAN_TRY_VOID(
      c.run("INSERT INTO saphan_schema(id, version) VALUES (1, $1) "
            "ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version",
            {int8(m.version)}));
  return ok();
}

}  // namespace

const std::vector<migration>& migrations() {
  static const std::vector<migration> list = {
      {1, "registry, evidence log, consent receipts and outbox", migration_1},
  };
  return list;
}

int latest_schema_version() {
  return migrations().back().version;
}

result<int> read_schema_version(connection& c) {
  auto table = SAPHAN_TRY(c.run("SELECT to_regclass('saphan_schema') IS NOT NULL"));
  if (table.empty() || SAPHAN_TRY(table.integer(0, 0)) == 0)
    return 0;
  auto row = SAPHAN_TRY(c.run("SELECT version::bigint FROM saphan_schema WHERE id = 1"));
  if (row.empty())
    return 0;
  return static_cast<int>(SAPHAN_TRY(row.integer(0, 0)));
}

result<void> migrate(connection& c) {
  auto current = SAPHAN_TRY(read_schema_version(c));
  if (current > latest_schema_version()) {
    return make_error(errc::storage_failure, "database schema version " + std::to_string(current) +
                                                 " is newer than this program supports (" +
                                                 std::to_string(latest_schema_version()) + ")");
  }
  for (const auto& m : migrations()) {
    if (m.version <= current)
      continue;
    auto applied = c.atomically([&] { return apply_locked(c, m); });
    if (!applied)
      return in_migration(m, applied.error());
  }
  return ok();
}

}  // namespace saphan::pg
