// The table of record adapters, kept beside them: the provider connector makes each dataset's
// adapter from its config object through here. The table is explicit, because adapters that
// register themselves from static initialisers are silently dropped by the static-library linker.
#pragma once

#include <rapidjson/document.h>

#include <memory>
#include <string>

#include "connectors/adapter.hpp"
#include "core/result.hpp"

namespace saphan::connector {

// Builds an adapter from its config object ({"type": "sqlite", ...}). Relative paths are taken
// from `base_dir`. `where` prefixes error details (e.g. "config.provider.datasets[X].adapter").
// Errors: invalid_argument naming the member and the rule (unknown type, unknown member, a
// missing file, a table that does not exist, ...).
result<std::shared_ptr<record_adapter>> make_adapter(const rapidjson::Value& config,
                                                     const std::string& base_dir,
                                                     const std::string& where = "adapter");

// The adapter types the factory knows, in table order (for error messages and docs).
std::string known_adapter_types();

}  // namespace saphan::connector
