// Writes records into a SQLite file that the SQLite adapter (sqlite_adapter.hpp) serves:
//     CREATE TABLE "<table>" ("<key>" TEXT PRIMARY KEY, "<record>" TEXT NOT NULL)
// Used by `saphan demo init` for the providers' synthetic data and by integrators who want to
// load a JSON export into a file a connector can serve.
//
// The whole file is built in a temporary file beside `path` (one transaction, one prepared
// statement, values bound) and renamed into place, so readers see the old file or the new one,
// never a half-written one. An existing file at `path` is replaced.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "core/result.hpp"

namespace saphan::connector {

inline constexpr std::size_t max_writer_rows = 10'000'000;
inline constexpr std::size_t max_writer_key_bytes = 256;
inline constexpr std::size_t max_writer_record_bytes = 1 << 20;
inline constexpr std::size_t max_writer_tables = 64;

using record_rows = std::vector<std::pair<std::string, std::string>>;  // (key, record JSON)

struct table_rows {
  std::string table;
  std::string key_column;
  std::string record_column;
  record_rows rows;
};

// Errors: invalid_argument (an identifier not matching ^[A-Za-z_][A-Za-z0-9_]{0,63}$, the same
// table twice, an empty or over-long key, an over-long record, a duplicate key, too many rows or
// tables), io_error naming the path and SQLite's message. On error nothing is left behind.
result<void> write_tables(const std::string& path, const std::vector<table_rows>& tables);

// One table: write_tables(path, {{table, key_column, record_column, rows}}).
result<void> write_records(const std::string& path, const std::string& table,
                           const std::string& key_column, const std::string& record_column,
                           const record_rows& rows);

}  // namespace saphan::connector
