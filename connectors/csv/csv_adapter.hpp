// CSV adapter: loads an RFC 4180 file into memory at start-up and serves records from it.
// Each row becomes a JSON object; "fields" maps record field names to column names and "types"
// converts cells (string by default). See README.md for the config keys.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/adapter.hpp"

namespace saphan::connector {

inline constexpr std::size_t max_csv_bytes = 64u << 20;  // the whole file
inline constexpr std::size_t max_csv_columns = 1024;

using csv_row = std::vector<std::string>;

// RFC 4180: comma-separated, CRLF or LF line ends, fields optionally in double quotes (which may
// hold commas, quotes doubled as "", and line breaks). A leading UTF-8 byte-order mark is skipped;
// a final line end is optional; empty lines are skipped. Every row must have as many cells as the
// first. Errors: invalid_argument naming the line and the rule.
result<std::vector<csv_row>> parse_csv(std::string_view text);

// Reads the file; errors name the member ("<where>.path: ...", "<where>.fields.x: ...") or the
// line of the file that breaks a rule (a wrong cell count, a duplicate key, a cell that is not
// of its declared type).
result<std::shared_ptr<record_adapter>> make_csv_adapter(const rapidjson::Value& config,
                                                         const std::string& where,
                                                         const std::string& base_dir);

}  // namespace saphan::connector
