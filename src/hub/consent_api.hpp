// The consent API on the hub's mutual-TLS listener, as request -> JSON functions over a store
// (server.cpp only routes). The caller is the member of the client certificate, already checked.
//
// Consumer side (the caller is the consent's consumer):
//   POST /v1/consents                        request a consent (consent_request.hpp) -> 201
//   GET  /v1/consents/<id>                   the consent; not_found for another consumer's
// Citizen side (the caller is in group citizen-portal, which has authenticated the citizen):
//   GET  /v1/citizen/<citizen id>/consents?status=&before=&limit=   newest first
//   POST /v1/citizen/<citizen id>/consents/<id>   {"action":"approve"|"reject"|"withdraw",
//                                                  "receiptSubject"?:"pseudonym"|"id"}
//   GET  /v1/citizen/<citizen id>/consents/<id>/receipts
//   GET  /v1/citizen/<citizen id>/export     the PDPA section 30 export
// A consent that is not this caller's (or this citizen's) is not_found, exactly like an unknown
// one, so the API is no oracle for other parties' consents.
#pragma once

#include <string>
#include <string_view>

#include "hub/consent_ledger.hpp"
#include "hub/log_api.hpp"

namespace saphan::hub {

struct consent_api_context {
  store& db;  // a writable connection that does not audit (the ledger writes the entries)
  const ledger_context& ledger;
  const log_api_context& log;  // the export's accesses, through the log API's citizen view
};

struct consent_answer {
  int status = 200;
  std::string body;
};

// True when `path` belongs to this API (and not to the log API's /v1/citizen/<id>/accesses).
bool is_consent_api_path(std::string_view path);

// Errors: not_found, method_not_allowed, forbidden (not citizen-portal on the citizen path),
// invalid_citizen_id, invalid_argument (bad parameters), the request's errors
// (parse_consent_request; unknown_dataset; invalid_argument for a field in none of the
// datasets), malformed_body / malformed_json (the action body), illegal_transition (the action
// does not apply to the consent's state), conflict (it changed meanwhile), storage_failure.
result<consent_answer> answer_consent_api(const consent_api_context& context, bool post,
                                          const api_target& target, std::string_view body,
                                          const member_record& caller, timestamp now);

// The datasets of `terms` must be published and each field in one of them: what a request
// through the API and `saphan consent request` both check. Errors: unknown_dataset,
// invalid_schema, invalid_argument (a field in none of the datasets).
result<void> check_consent_against_catalog(store& db, const consent_terms& terms);

// The action of POST /v1/citizen/<id>/consents/<id>, read strictly.
enum class citizen_action { approve, reject, withdraw };
struct citizen_decision {
  citizen_action action = citizen_action::approve;
  receipt_subject subject = receipt_subject::pseudonym;
};
// Errors: malformed_json, malformed_body naming the member.
result<citizen_decision> parse_citizen_decision(std::string_view body);

}  // namespace saphan::hub
