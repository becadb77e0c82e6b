// PostgreSQL adapter: a small pool of read-only libpq connections, each with one prepared
// statement
//     SELECT "<recordColumn>"::text FROM "<schema>"."<table>" WHERE "<keyColumn>" = $1
// The record column holds the record as JSON (json, jsonb or text). See README.md for the keys.
#pragma once

#include <memory>
#include <string>

#include "connectors/adapter.hpp"

namespace saphan::connector {

// Connects every pooled connection and prepares the lookup on each, so a wrong connection
// string, table or column fails at start-up. Errors: invalid_argument naming the member
// ("<where>.connection: ...", "<where>.table: ...").
result<std::shared_ptr<record_adapter>> make_postgresql_adapter(const rapidjson::Value& config,
                                                                const std::string& where,
                                                                const std::string& base_dir);

}  // namespace saphan::connector
