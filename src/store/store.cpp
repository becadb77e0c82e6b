#include "store/store.hpp"

#include <string>

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

}  // namespace saphan
