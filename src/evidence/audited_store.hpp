// A store that writes an evidence entry for every change to the registry: members, keys,
// datasets, policies and consents. Each change and its entry commit in one transaction, so the
// log can never miss a change that happened, nor show one that did not. Reads pass through.
//
// The administration commands use it; the hub's own connections do not (the exchange path
// writes its own, richer entries, and a consent use is part of the exchange's decision entry).
#pragma once

#include <memory>
#include <string>

#include "crypto/pseudonym.hpp"
#include "store/store.hpp"

namespace saphan::evidence {

// `pseudonym_key` keys the subject pseudonyms of consent entries, exactly as the hub keys those
// of exchanges (crypto::subject_pseudonym), so one citizen's consents and exchanges are found by
// one lookup. `actor` names who made the change (e.g. "admin-cli").
std::unique_ptr<store> make_audited_store(std::unique_ptr<store> inner,
                                          crypto::pseudonym_key pseudonym_key, std::string actor);

// The entries it writes, exposed for tests.
log_append member_event(std::string_view kind, const member_record& m, std::string_view actor,
                        timestamp at);
log_append key_event(std::string_view kind, const member_key& k, std::string_view actor,
                     timestamp at);
log_append dataset_event(std::string_view kind, const dataset_entry& d, std::string_view actor,
                         timestamp at);
log_append consent_event(std::string_view kind, const consent_artefact& c,
                         std::string_view subject_pseudonym, std::string_view actor, timestamp at);

}  // namespace saphan::evidence
