// The registry as files, as `saphan admin` and the demo read them: one member per JSON file
// (config/members/), one dataset per JSON file (config/datasets/) whose schema is in a schemas
// folder.
#pragma once

#include <cstddef>
#include <limits>
#include <string>
#include <vector>

#include "catalog/dataset.hpp"
#include "core/result.hpp"
#include "directory/member.hpp"

namespace saphan::hub {

// Errors: those of read_json_file and member_from_json, prefixed with the path.
result<member_record> load_member_file(const std::string& path);

// The dataset, published now. Errors: those of read_json_file and dataset_from_json, prefixed
// with the path.
result<dataset_entry> load_dataset_file(const std::string& path, const std::string& schemas_dir);

// <dir>/*.json, sorted by name. Errors: io_error naming the folder, invalid_argument when it
// holds more than `max_files` of them.
result<std::vector<std::string>> json_files_in(
    const std::string& dir, std::size_t max_files = std::numeric_limits<std::size_t>::max());

struct registry_files {
  std::vector<member_record> members;
  std::vector<dataset_entry> datasets;
};

// Every <config_dir>/members/*.json and <config_dir>/datasets/*.json, each parsed and checked,
// so that nothing is registered when any file is bad. Errors: those above.
result<registry_files> load_registry_files(
    const std::string& config_dir, const std::string& schemas_dir,
    std::size_t max_files = std::numeric_limits<std::size_t>::max());

}  // namespace saphan::hub
