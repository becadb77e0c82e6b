// The evidence the hub records for each exchange, as JSON entries for the log. Never a record
// payload; the subject only as a keyed pseudonym (HMAC with the hub's secret), so an export
// reveals no citizen ID while a lookup by citizen ID still works (recompute the pseudonym).
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>

#include "core/error.hpp"
#include "core/identifiers.hpp"
#include "core/time.hpp"
#include "exchange/envelope.hpp"
#include "policy/decision.hpp"
#include "store/store.hpp"

namespace saphan::hub {

// A request refused before a policy decision (bad signature, replay, stale, certificate).
struct rejection_facts {
  timestamp received_at{};
  std::string peer;        // the TLS member, or the address when there is none
  std::string request_id;  // when it could be read
  std::string request_hash;
  error reason;
  // Empty for an exchange (kind exchange.rejected); otherwise the path of the endpoint a caller
  // was refused at before anything was read (kind access.refused).
  std::string endpoint;
};

struct decision_facts {
  timestamp received_at{};
  const request_envelope* request = nullptr;
  std::string request_hash;
  std::string subject_pseudonym;
  const access_decision* decision = nullptr;
};

struct outcome_facts {
  timestamp at{};
  std::string request_id;
  std::string consumer;  // repeated from the decision so a search by member or subject finds both
  std::string dataset;
  std::string provider;
  std::string subject_pseudonym;
  std::int64_t decision_index = -1;
  std::optional<error> failure;  // none: the provider answered and the answer verified
  std::string ciphertext_hash;
  std::int64_t provider_micros = 0;
  std::int64_t total_micros = 0;
};

// A caller over its admission budget during one interval: one entry for all its refusals.
struct throttle_facts {
  timestamp from{};
  timestamp until{};
  std::string peer;  // the TLS member, or the address when there is none
  std::uint64_t refused = 0;
};

// Each returns the entry bytes and the terms it is found by.
log_append rejection_entry(const rejection_facts& facts);
log_append throttle_entry(const throttle_facts& facts);
log_append decision_entry(const decision_facts& facts);
log_append outcome_entry(const outcome_facts& facts);

}  // namespace saphan::hub
