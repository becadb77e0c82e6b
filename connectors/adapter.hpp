// Record adapters: how a provider connector reads one record from an agency's own system.
//
// Each adapter lives in its own folder under connectors/<type>/ (code, README with its config
// keys and an example) and builds on this interface alone; connectors/registry.hpp picks one by
// its "type".
#pragma once

#include <rapidjson/document.h>

#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/json.hpp"
#include "core/result.hpp"

namespace saphan::connector {

// No record text above this is handed on (it would not fit the exchange's body limits anyway).
inline constexpr std::size_t max_record_bytes = 1024 * 1024;
// Subjects are 13-digit IDs; anything much longer is refused before it reaches a backend.
inline constexpr std::size_t max_subject_bytes = 64;

class record_adapter {
 public:
  virtual ~record_adapter() = default;

  // The record of `subject` as JSON text, or no value when the backend has none.
  // Called concurrently from worker threads (never from I/O threads), so implementations are
  // thread-safe and may block. Errors: storage_failure, provider_error, provider_timeout,
  // payload_too_large.
  virtual result<std::optional<std::string>> fetch(std::string_view subject) = 0;

  // The "type" this adapter was made from, e.g. "sqlite".
  virtual std::string_view type() const = 0;
};

// ---- helpers shared by the adapters and the connector's config parsing ----

// `path` as given when absolute, otherwise relative to `base_dir`.
std::string resolve_path(const std::string& base_dir, const std::string& path);

// Refuses members not in `known`, so a typo in a config file is an error, not a silent default.
// Errors: invalid_argument "<where>.<name>: unknown member".
result<void> reject_unknown_members(const rapidjson::Value& object, const std::string& where,
                                    std::initializer_list<std::string_view> known);

// An optional integer member within [min, max], or `fallback` when absent.
// Errors: invalid_argument naming the member and the range.
result<std::int64_t> bounded_integer(const json_object& obj, std::string_view name,
                                     std::int64_t min, std::int64_t max, std::int64_t fallback);

// SQL identifiers from config: ^[A-Za-z_][A-Za-z0-9_]{0,63}$ (then double-quoted as well, so a
// reserved word still works as a column name). The SQL adapters splice only such names into SQL.
bool is_sql_identifier(std::string_view text) noexcept;

// A required string member that is_sql_identifier accepts.
// Errors: invalid_argument naming the member.
result<std::string> sql_identifier(const json_object& config, std::string_view name);

}  // namespace saphan::connector
