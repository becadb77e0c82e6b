// Numbered schema migrations for the PostgreSQL store, its own list (PostgreSQL's types and
// indexes, not SQLite's). Table saphan_schema holds the version a database is at; each pending
// migration runs in its own transaction holding a transaction-level advisory lock, so hub nodes
// that open one database at once migrate it exactly once, and a database is always at exactly
// one version.
//
// Adding a migration: append to the list in pg_migrations.cpp with the next number. The runner
// records the version; never edit a migration that has shipped.
#pragma once

#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "store/pg_connection.hpp"
#include "store/rows.hpp"

namespace saphan::pg {

using store_rows::migration;

// In order, versions 1, 2, ... without gaps.
const std::vector<migration>& migrations();
int latest_schema_version();

// 0 for a database without the store's tables.
result<int> read_schema_version(connection& c);
// Applies every migration above the database's version. Errors: storage_failure (including a
// database newer than this program knows).
result<void> migrate(connection& c);

}  // namespace saphan::pg
