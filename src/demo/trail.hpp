// The evidence trail as the demo prints it: one line per log entry, and whether the entry is
// proved to be in the latest signed tree head (an RFC 9162 inclusion proof from stored nodes,
// checked against the head's root with the entry's own bytes).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "store/store.hpp"

namespace saphan::demo {

struct trail_line {
  std::uint64_t index = 0;
  std::string kind;  // exchange.decision, exchange.outcome, exchange.rejected, ...
  std::string at;    // receivedAt or at
  std::string request_id;
  std::string outcome;  // decision (allow/deny) or status (ok/<code>)
  std::string reason;   // deny or rejection reason code, empty otherwise
  std::string detail;   // consumer, dataset, purpose and fields for decisions
};

// Pure: no I/O. An entry that is not JSON is still listed, with kind "(unreadable)".
trail_line summarise_entry(const log_row& row);

// "#3  exchange.decision  2026-...Z  request=...  deny (consent_required)  ...  <proof note>"
std::string format_trail_line(const trail_line& line, std::string_view proof_note);

}  // namespace saphan::demo
