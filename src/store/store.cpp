#include "store/store.hpp"

#include <string>

#include "store/pg_store.hpp"
#include "store/read_only_store.hpp"
#include "store/registry_cache.hpp"
#include "store/sqlite_store.hpp"

namespace saphan {

result<void> check_log_entry(const log_append& e) {
  if (e.entry.empty() || e.entry.size() > max_log_entry_bytes) {
    return make_error(errc::payload_too_large, "log entry: size must be 1.." +
                                                   std::to_string(max_log_entry_bytes) + " bytes");
  }
  const auto& t = e.terms;
  for (const auto* term :
       {&t.kind, &t.request_id, &t.consumer, &t.provider, &t.dataset, &t.status, &t.subject}) {
    if (term->size() > max_term_length) {
      return make_error(errc::invalid_argument,
                        "log entry term: at most " + std::to_string(max_term_length) + " bytes");
    }
  }
  return ok();
}

result<std::unique_ptr<store>> open_store(const std::string& location, store_access access) {
  if (location.empty())
    return make_error(errc::invalid_argument, "store location: must not be empty");
  if (is_postgresql_location(location)) {
    auto opened = SAPHAN_TRY(open_pg_store(location, access));
    if (access == store_access::read_only)
      return with_registry_cache(read_only(std::move(opened)));
    return with_registry_cache(std::move(opened));
  }
  sqlite_options options;
  options.path = location;
  if (access == store_access::read_only) {
    options.read_only = true;
    auto opened = SAPHAN_TRY(open_sqlite_store(options));
    return with_registry_cache(read_only(std::move(opened)));
  }
  options.background_checkpoints = true;
  auto opened = SAPHAN_TRY(open_sqlite_store(options));
  return with_registry_cache(std::move(opened));
}

}  // namespace saphan
