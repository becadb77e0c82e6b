// SQLite adapter: one read-only connection and one prepared statement
//     SELECT "<recordColumn>" FROM "<table>" WHERE "<keyColumn>" = ?
// The record column holds the record as JSON text. See README.md for the config keys.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "connectors/adapter.hpp"

namespace saphan::connector {

// Opens `path` read-only and prepares the statement, so a missing file, table or column fails at
// start-up. Errors: invalid_argument naming the member ("<where>.table: ...").
result<std::shared_ptr<record_adapter>> make_sqlite_adapter(const rapidjson::Value& config,
                                                            const std::string& where,
                                                            const std::string& base_dir);

}  // namespace saphan::connector
