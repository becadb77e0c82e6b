// Numbered schema migrations for the SQLite store. PRAGMA user_version holds the version a file
// is at; each pending migration runs in its own BEGIN IMMEDIATE transaction, so a file is always
// at exactly one version and two processes opening it at once cannot both migrate it.
//
// Adding a migration: append to the list in migrations.cpp with the next number, and end its SQL
// with "PRAGMA user_version = <number>;". Never edit a migration that has shipped.
#pragma once

#include <sqlite3.h>

#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "store/rows.hpp"

namespace saphan::sqlite {

using store_rows::migration;

// In order, versions 1, 2, ... without gaps.
const std::vector<migration>& migrations();
int latest_schema_version();

result<int> read_user_version(sqlite3* db);
// Applies every migration above the file's version. Errors: storage_failure (including a file
// newer than this program knows).
result<void> migrate(sqlite3* db);

}  // namespace saphan::sqlite
