// Consent artefacts and their life cycle.
//   requested -> active -> revoked | expired;  requested -> rejected.
// Illegal transitions are errors (illegal_transition). Withdrawal (revoke) is one step.
// JSON names follow ISO/IEC TS 27560 where one fits (piiPrincipalId, piiController, purpose,
// piiCategories, collectionMethod, eventHistory, ...).
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/identifiers.hpp"
#include "core/json.hpp"
#include "core/time.hpp"

namespace saphan {

struct consent_id {
  std::string value;
  friend auto operator<=>(const consent_id&, const consent_id&) = default;
};

enum class consent_status { requested, active, rejected, revoked, expired };
enum class consent_event_type { requested, granted, rejected, revoked, expired, used };

std::string_view to_string(consent_status status) noexcept;
std::string_view to_string(consent_event_type type) noexcept;
result<consent_status> parse_consent_status(std::string_view text);
result<consent_event_type> parse_consent_event_type(std::string_view text);

struct consent_event {
  consent_event_type type = consent_event_type::requested;
  timestamp at{};
  std::string actor;  // who caused it: subject, consumer member id, "hub"
};

struct consent_artefact {
  consent_id id;
  std::string subject;               // piiPrincipalId: citizen id
  member_id consumer;                // piiController
  std::vector<dataset_id> datasets;  // the provider datasets it covers
  std::string purpose;
  std::set<std::string> fields;  // piiCategories: the fields it covers
  timestamp valid_from{};
  timestamp valid_until{};  // exclusive: at valid_until it has expired
  std::optional<std::uint32_t> max_uses;
  std::uint32_t uses = 0;
  std::string collection_method;  // e.g. "web-form", "paper-signed", "mobile-app"
  consent_status status = consent_status::requested;
  std::vector<consent_event> events;
  // Why the consumer asks, in its own words, shown to the citizen who decides; empty for
  // consents recorded before requests carried one (and by operators who give none).
  std::string reason;
};

struct consent_terms {
  std::string subject;
  member_id consumer;
  std::vector<dataset_id> datasets;
  std::string purpose;
  std::set<std::string> fields;
  timestamp valid_from{};
  timestamp valid_until{};
  std::optional<std::uint32_t> max_uses;
  std::string collection_method;
  std::string reason;  // empty or 1..500 characters, no control characters
};

// A new artefact in state `requested`. Errors: invalid_argument / invalid_citizen_id naming the
// bad term (empty purpose or fields, no dataset, window not ordered, max_uses 0, bad subject).
result<consent_artefact> request_consent(consent_id id, const consent_terms& terms, timestamp now,
                                         std::string actor);

// Transitions. Each appends its event; illegal ones return illegal_transition and change nothing.
result<consent_artefact> grant(const consent_artefact& c, timestamp now, std::string actor);
result<consent_artefact> reject(const consent_artefact& c, timestamp now, std::string actor);
result<consent_artefact> revoke(const consent_artefact& c, timestamp now, std::string actor);
// Marks an active artefact expired once now >= valid_until (else illegal_transition).
result<consent_artefact> expire(const consent_artefact& c, timestamp now);
// Counts one use of an active, valid artefact (errors as check_consent).
result<consent_artefact> record_use(const consent_artefact& c, timestamp now);

// The status at `now`: an active artefact past valid_until reads as expired.
consent_status effective_status(const consent_artefact& c, timestamp now);

struct consent_use {
  std::string subject;
  member_id consumer;
  dataset_id dataset;
  std::string purpose;
  std::set<std::string> fields;
};

// Whether the artefact allows this use now. Errors (one each): consent_not_active (requested or
// rejected), consent_revoked, consent_expired, consent_not_yet_valid, consent_exhausted,
// consent_mismatch (subject, consumer, dataset, purpose or a field not covered; the detail says
// which).
result<void> check_consent(const consent_artefact& c, const consent_use& use, timestamp now);

// JSON form (ISO/IEC TS 27560 names). Parsing validates every member.
std::string consent_to_json(const consent_artefact& c);
result<consent_artefact> consent_from_json(std::string_view text);

}  // namespace saphan
