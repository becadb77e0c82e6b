// Writing a consent change with everything that goes with it, in one transaction: the artefact,
// its evidence entry (the same entry the audited store writes, evidence/audited_store.hpp), for a
// citizen's decision the signed receipt, and for a decision or an expiry a notification in the
// outbox when the consumer has a notification listener. Either all of it is stored or none.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "crypto/pseudonym.hpp"
#include "hub/consent_documents.hpp"
#include "pki/member_signature.hpp"
#include "store/store.hpp"

namespace saphan::hub {

struct ledger_context {
  crypto::pseudonym_key pseudonym_key;             // of the log's subject pseudonyms
  std::shared_ptr<pki::reloadable_signer> signer;  // the hub's: signs receipts
  std::string log_origin;                          // names the log in receipts
  // Whether the consumer has a notification listener (hub_config::notify): only then is a
  // notification kept for it.
  std::function<bool(const member_id&)> notifies;
};

struct recorded_change {
  consent_artefact consent;
  std::uint64_t log_index = 0;
  std::string receipt;  // compact JWS; empty for events that have none (requested)
};

// `next` is the artefact after its latest event (next.events.back()); `before` the stored status
// it was decided on (none: a new artefact). `db` must not audit (the entry is written here).
// Errors: those of the store (conflict when the stored status moved meanwhile,
// consent_not_found), of append_entries and of the signer.
result<recorded_change> record_consent_change(store& db, const ledger_context& context,
                                              const consent_artefact& next,
                                              std::optional<consent_status> before,
                                              std::string_view actor,
                                              std::string_view consumer_name,
                                              receipt_subject subject_type, timestamp now);

// Puts the notification of `event` (at `at`, logged at `log_index`) in the outbox of `db`, due
// now. For a caller inside a transaction that has written the change.
result<void> enqueue_notification(store& db, const consent_artefact& c, consent_event_type event,
                                  timestamp at, std::uint64_t log_index);

}  // namespace saphan::hub
