#include "hub/registry_files.hpp"

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "core/json.hpp"
#include "core/time.hpp"

namespace saphan::hub {

namespace fs = std::filesystem;

result<member_record> load_member_file(const std::string& path) {
  auto doc = SAPHAN_TRY(read_json_file(path));
  auto member = member_from_json(doc);
  if (!member)
    return make_error(member.error().code, path + ": " + member.error().detail);
  return member;
}

result<dataset_entry> load_dataset_file(const std::string& path, const std::string& schemas_dir) {
  auto doc = SAPHAN_TRY(read_json_file(path));
  auto entry = dataset_from_json(doc, schemas_dir);
  if (!entry)
    return make_error(entry.error().code, path + ": " + entry.error().detail);
  entry->published_at = now_utc();
  return entry;
}

result<std::vector<std::string>> json_files_in(const std::string& dir, std::size_t max_files) {
  std::error_code ec;
  std::vector<std::string> files;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().extension() == ".json")
      files.push_back(it->path().string());
    if (files.size() > max_files) {
      return make_error(errc::invalid_argument,
                        dir + ": more than " + std::to_string(max_files) + " files");
    }
  }
  if (ec)
    return make_error(errc::io_error, dir + ": " + ec.message());
  std::sort(files.begin(), files.end());
  return files;
}

result<registry_files> load_registry_files(const std::string& config_dir,
                                           const std::string& schemas_dir, std::size_t max_files) {
  auto member_files = SAPHAN_TRY(json_files_in(config_dir + "/members", max_files));
  auto dataset_files = SAPHAN_TRY(json_files_in(config_dir + "/datasets", max_files));
  registry_files out;
  for (const auto& file : member_files) {
    auto member = SAPHAN_TRY(load_member_file(file));
    out.members.push_back(std::move(member));
  }
  for (const auto& file : dataset_files) {
    auto dataset = SAPHAN_TRY(load_dataset_file(file, schemas_dir));
    out.datasets.push_back(std::move(dataset));
  }
  return out;
}

}  // namespace saphan::hub
