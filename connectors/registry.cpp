#include "connectors/registry.hpp"

#include <array>

#include "connectors/csv/csv_adapter.hpp"
#include "connectors/http/http_adapter.hpp"
#include "connectors/postgresql/pg_adapter.hpp"
#include "connectors/sqlite/sqlite_adapter.hpp"

namespace saphan::connector {
namespace {

using adapter_maker = result<std::shared_ptr<record_adapter>> (*)(const rapidjson::Value& config,
                                                                  const std::string& where,
                                                                  const std::string& base_dir);

struct adapter_factory {
  std::string_view type;
  adapter_maker make;
};

// The one list of adapters. Add a row here when adding connectors/<type>/.
constexpr std::array<adapter_factory, 4> adapter_table{{
    {"sqlite", make_sqlite_adapter},
    {"csv", make_csv_adapter},
    {"http", make_http_adapter},
    {"postgresql", make_postgresql_adapter},
}};

}  // namespace

std::string known_adapter_types() {
  std::string out;
  for (const auto& entry : adapter_table) {
    if (!out.empty())
      out += ", ";
    out += entry.type;
  }
  return out;
}

result<std::shared_ptr<record_adapter>> make_adapter(const rapidjson::Value& config,
                                                     const std::string& base_dir,
                                                     const std::string& where) {
  auto obj = SAPHAN_TRY(json_object::of(config, where, errc::invalid_argument));
  auto type = SAPHAN_TRY(obj.string("type"));
  for (const auto& entry : adapter_table) {
    if (entry.type == type)
      return entry.make(config, where, base_dir);
  }
  return obj.fail("type", "unknown adapter type \"" + type.substr(0, 32) +
                              "\" (known: " + known_adapter_types() + ")");
}

}  // namespace saphan::connector
