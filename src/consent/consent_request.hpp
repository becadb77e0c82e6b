// A consumer's request for consent as it arrives over the API (the hub's POST /v1/consents, which
// the consumer connector's POST /consents passes on), read into consent terms. Pure: the caller
// gives the consumer (the TLS member) and the time, and checks the terms against the catalog.
//
//   {"subject":"<13-digit citizen id>","datasets":["<dataset id>",...],"purpose":"<code>",
//    "fields":["<field>",...],"validFrom"?:"<RFC 3339>","validUntil":"<RFC 3339>",
//    "maxUses"?:N,"reason":"<text shown to the citizen, 1..500 characters>"}
#pragma once

#include <string_view>

#include "consent/consent.hpp"

namespace saphan {

// How a consent requested this way is collected: the citizen decides in the citizen portal.
inline constexpr std::string_view portal_collection_method = "citizen-portal";
// Far above the largest valid request (64 datasets, 256 fields, a 500-character reason).
inline constexpr std::size_t max_consent_request_bytes = 64 * 1024;

// validFrom defaults to `now`; validUntil must be later than both validFrom and `now` (a
// consent that has ended before anyone could give it is a mistake). Errors, each naming the
// member: payload_too_large, malformed_json (not JSON), malformed_body (not an object, unknown
// or missing members, wrong types, duplicate fields, maxUses not 1..1000000, reason missing),
// invalid_timestamp, invalid_dataset_id, invalid_citizen_id, invalid_argument (the rules of
// request_consent: purpose, fields, window, reason).
result<consent_terms> parse_consent_request(std::string_view body, const member_id& consumer,
                                            timestamp now);

}  // namespace saphan
