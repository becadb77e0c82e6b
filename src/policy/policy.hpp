// Access policy: default deny. A dataset's policy lists grants; a grant names consumers (member
// ids or "group:<name>"), the purposes they may ask for, and a rate limit per consumer. Each
// purpose names the fields it may receive, the lawful bases accepted, the legal instruments that
// justify a non-consent basis, and whether the subject is pseudonymised.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/identifiers.hpp"
#include "core/json.hpp"
#include "law/lawful_basis.hpp"

namespace saphan {

struct purpose_rule {
  std::string purpose;                      // purpose code, e.g. "legal-aid-eligibility"
  std::set<std::string> fields;             // fields this purpose may receive
  std::set<lawful_basis> bases;             // accepted bases
  std::set<std::string> legal_instruments;  // accepted instruments for non-consent bases
  bool pseudonymise_subject = false;

  friend bool operator==(const purpose_rule&, const purpose_rule&) = default;
};

struct rate_limit {
  std::uint32_t requests = 0;  // 0 = unlimited
  std::uint32_t window_seconds = 60;

  friend bool operator==(const rate_limit&, const rate_limit&) = default;
};

struct access_grant {
  std::vector<std::string> consumers;  // "TH/GOV/JFO/legal-aid" or "group:justice"
  std::vector<purpose_rule> purposes;
  rate_limit rate;

  friend bool operator==(const access_grant&, const access_grant&) = default;
};

struct access_policy {
  std::vector<access_grant> grants;  // empty = nobody may ask

  friend bool operator==(const access_policy&, const access_policy&) = default;
};

// Purpose codes: ^[a-z0-9][a-z0-9-]{0,63}$.
bool is_purpose_code(std::string_view text) noexcept;

// JSON form (the "policy" member of a dataset file). Errors: invalid_policy naming the field.
result<access_policy> policy_from_json(const rapidjson::Value& value);
void policy_to_json(const access_policy& policy, rapidjson::Value& out,
                    rapidjson::Document::AllocatorType& alloc);

}  // namespace saphan
