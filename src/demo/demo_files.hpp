// The text of the files a demo directory holds besides keys and data: hub.json, each member's
// connector.json and demo.env, and where the schemas and datasets go. Private to the demo module.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "catalog/dataset.hpp"
#include "demo/demo_init.hpp"
#include "demo/synthetic.hpp"
#include "directory/member.hpp"
#include "hub/registry_files.hpp"

namespace saphan::demo {

using demo_config = hub::registry_files;

// The datasets `owner` publishes, in the config's order.
std::vector<const dataset_entry*> datasets_of(const demo_config& config, const member_id& owner);
// The file name of a dataset's schema under schemas/.
std::string schema_file_name(const dataset_entry& d);

std::string hub_config_json(const demo_options& options, const demo_config& config);
std::string connector_config_json(const demo_options& options, const demo_config& config,
                                  const member_record& m, const demo_role& role);
// Read by tools/run and tools/demo; `connectors` are the member slugs that run a connector.
std::string demo_env(const demo_options& options, const synthetic_data& data,
                     const std::vector<std::string>& connectors);

}  // namespace saphan::demo
