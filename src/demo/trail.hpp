// The evidence trail as the demo prints it: one line per log entry, with the hash chain
// checked entry by entry (entry_hash = SHA-256(prev_hash || entry_json), the first prev_hash is
// 32 zero bytes), so a rewritten or removed entry shows up as a broken link.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "store/store.hpp"

namespace saphan::demo {

struct trail_line {
  std::int64_t index = 0;
  std::string kind;        // exchange.decision, exchange.outcome, exchange.rejected, ...
  std::string at;          // receivedAt or at
  std::string request_id;
  std::string outcome;     // decision (allow/deny) or status (ok/<code>)
  std::string reason;      // deny or rejection reason code, empty otherwise
  std::string detail;      // consumer, dataset, purpose and fields for decisions
  bool chain_ok = false;
};

// The running state of a chain check across pages of rows.
struct chain_state {
  std::int64_t next_index = 0;
  std::string prev_hash_hex = std::string(64, '0');
};

// Summarises and checks `rows` (consecutive, from state.next_index); advances `state`.
// Pure: no I/O. An entry that is not JSON is still listed, with kind "(unreadable)".
std::vector<trail_line> summarise_evidence(const std::vector<evidence_row>& rows,
                                           chain_state& state);

// "#3  exchange.decision  2026-...Z  req=...  deny consent_required  ...  chain ok"
std::string format_trail_line(const trail_line& line);

}  // namespace saphan::demo
