// The access decision: a pure function of (request, dataset with its policy, consent, time,
// recent usage). Default deny; exactly one stable reason code on deny.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "consent/consent.hpp"
#include "core/identifiers.hpp"
#include "law/classification.hpp"
#include "policy/policy.hpp"

namespace saphan {

// What a published dataset says about who may read it: the part of its catalog entry that the
// decision reads (catalog's dataset_entry extends it with the schema and the metadata).
struct dataset_terms {
  dataset_id id;
  classification level = classification::internal;
  access_policy policy;

  friend bool operator==(const dataset_terms&, const dataset_terms&) = default;
};

struct access_request {
  member_id consumer;
  std::vector<std::string> consumer_groups;  // from the directory
  classification consumer_clearance = classification::open;
  dataset_id dataset;
  std::string purpose;
  lawful_basis basis = lawful_basis::consent;
  std::optional<consent_id> consent;            // required when basis == consent
  std::optional<std::string> legal_instrument;  // required for the other bases
  std::string subject;                          // citizen or juristic-person id
  std::set<std::string> fields;                 // empty = every field the purpose allows
};

struct access_decision {
  bool allowed = false;
  errc reason = errc::consumer_not_allowed;  // meaningful only when !allowed
  std::string detail;
  std::set<std::string> granted_fields;
  bool pseudonymise_subject = false;
  std::string purpose;  // the matched purpose rule
};

// `consent` is the artefact named by request.consent, looked up by the caller (nullptr when not
// found). `recent_requests` is how many requests this consumer made for this dataset within the
// matched grant's rate window, not counting this one.
access_decision decide(const access_request& request, const dataset_terms& dataset,
                       const consent_artefact* consent, timestamp now,
                       std::uint32_t recent_requests);

}  // namespace saphan
