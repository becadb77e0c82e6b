#include "net/credentials.hpp"

#include <optional>

#include "core/log.hpp"

namespace saphan::net {
namespace {

void report(std::string_view part, const result<void>& outcome, std::optional<error>& first) {
  if (outcome) {
    log_event(log_level::info, "credentials.reloaded", {{"part", part}});
    return;
  }
  log_event(log_level::warn, "credentials.reload_failed",
            {{"part", part}, {"detail", outcome.error().detail}});
  if (!first)
    first = outcome.error();
}

}  // namespace

result<void> reload_credentials(const reloadable_credentials& parts) {
  std::optional<error> first;
  if (parts.trust)
    report("trust", parts.trust->reload(), first);
  for (const auto& context : parts.tls) {
    if (context)
      report("tls " + context->files().certificate_chain_path, context->reload(), first);
  }
  if (parts.signer)
    report("signer", parts.signer->reload(), first);
  if (first)
    return *first;
  return ok();
}

}  // namespace saphan::net
