// The PostgreSQL store: one libpq connection to one database, for hub nodes that share it.
// open_store() picks it for a postgresql:// (or postgres://) location, the connection string
// libpq takes (https://www.postgresql.org/docs/15/libpq-connect.html#LIBPQ-CONNSTRING), e.g.
//   postgresql://saphan@db.example.go.th:5432/saphan?sslmode=verify-full
//   postgresql:///saphan?host=/run/postgresql
// A password belongs in ~/.pgpass or PGPASSWORD, not in hub.json.
//
// It keeps what the SQLite store keeps, in the same shape (store/rows.hpp), with migrations of
// its own (store/pg_migrations.hpp). Differences a caller may see: schema_version() counts the
// PostgreSQL migrations (1 so far); every commit waits for the server's WAL flush
// (synchronous_commit = on); a log search's scan_limit bounds the entries its walk reads
// along the sharpest criterion (store/log_search.hpp), not SQLite's instructions; an append that
// races another writer for the same index fails with conflict (the primary key), so no index is
// ever doubled, even by writers on other machines.
#pragma once

#include <memory>
#include <string>

#include "store/store.hpp"

namespace saphan {

// Connects and migrates to the latest schema (read_write), or only connects and checks the
// schema version (read_only: every transaction on the connection is READ ONLY, no migration
// runs). Errors: invalid_argument (not a PostgreSQL location), storage_failure with libpq's or
// the server's message (unreachable server, wrong credentials, a schema at another version).
result<std::unique_ptr<store>> open_pg_store(const std::string& conninfo,
                                             store_access access = store_access::read_write);

}  // namespace saphan
