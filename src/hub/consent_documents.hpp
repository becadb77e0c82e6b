// The documents of the consent flow, as pure functions of the artefact and what the caller
// passes in (time, ids, log index): the consent as the API shows it, the signed receipt's payload
// (ISO/IEC TS 27560 style), the notification to the consumer, and the back-off between
// deliveries. Nothing here reads a clock, a store or a key.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "consent/consent.hpp"
#include "pki/member_signature.hpp"

namespace saphan::hub {

// The consent as both sides of the API show it:
// {"consentId","consumer","consumerName","datasets","purpose","fields","reason","validFrom",
//  "validUntil","maxUses"(null: unlimited),"uses","status"(effective at now),"events":[{"type",
//  "at","actor"}],"requestedAt"}. The citizen id is not in it: the path names it already.
std::string consent_view_json(const consent_artefact& c, std::string_view consumer_name,
                              timestamp now);

enum class receipt_subject { pseudonym, citizen_id };

struct receipt_terms {
  std::string receipt_id;
  timestamp issued_at{};
  receipt_subject subject_type = receipt_subject::pseudonym;
  std::string subject;  // the citizen id or its log pseudonym, as subject_type says
  std::string consumer_name;
  consent_event_type event = consent_event_type::granted;
  timestamp event_at{};
  std::uint64_t log_index = 0;
  std::string log;  // the evidence log's origin, e.g. "saphan/TH/GOV/SAPHAN/hub"
};

inline constexpr std::string_view receipt_type = "saphan-consent-receipt+json";
inline constexpr std::string_view receipt_schema = "saphan-consent-receipt/1";

// {"schema":"saphan-consent-receipt/1","receiptId","issuedAt","consentId","piiPrincipalId",
//  "piiPrincipalIdType":"citizen-id"|"pseudonym","piiController","piiControllerName","datasets",
//  "purpose","piiCategories","validFrom","validUntil","maxUses","collectionMethod","event",
//  "eventAt","logIndex","log"}
std::string receipt_payload(const consent_artefact& c, const receipt_terms& terms);

// A compact JWS (payload attached) over `payload` by `signer`, with typ
// saphan-consent-receipt+json and the signer's x5c: what any JOSE library verifies as it is.
result<std::string> sign_receipt(const pki::member_signer& signer, std::string_view payload);

// {"notificationId","consentId","event","at","logIndex","consumer"}
std::string notification_payload(std::string_view notification_id, const consent_artefact& c,
                                 consent_event_type event, timestamp at, std::uint64_t log_index);

// The wait before delivery attempt `failed + 1` after `failed` failures: 1 s, doubling, at most
// 60 s (so a connector back after an outage hears within a minute).
std::chrono::milliseconds notification_backoff(std::uint32_t failed);

// The events that are receipted and notified (the citizen's decisions and the expiry).
bool is_notified(consent_event_type event);
bool is_receipted(consent_event_type event);

}  // namespace saphan::hub
