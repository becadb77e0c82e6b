#include "hub/consent_ledger.hpp"

#include "crypto/keys.hpp"
#include "evidence/audited_store.hpp"
#include "evidence/log.hpp"

namespace saphan::hub {
namespace {

std::string entry_kind(consent_event_type event) {
  return "consent." + std::string(to_string(event));
}

result<std::string> make_receipt(store& tx, const ledger_context& context,
                                 const consent_artefact& c, const consent_event& event,
                                 std::uint64_t log_index, std::string_view consumer_name,
                                 receipt_subject subject_type, timestamp now) {
  receipt_terms terms;
  terms.receipt_id = "rcp-" + crypto::random_id();
  terms.issued_at = now;
  terms.subject_type = subject_type;
  terms.subject = subject_type == receipt_subject::citizen_id
                      ? c.subject
                      : crypto::subject_pseudonym(context.pseudonym_key, c.subject);
  terms.consumer_name = std::string(consumer_name);
  terms.event = event.type;
  terms.event_at = event.at;
  terms.log_index = log_index;
  terms.log = context.log_origin;
  auto jws = SAPHAN_TRY(sign_receipt(*context.signer->current(), receipt_payload(c, terms)));
  SAPHAN_TRY_VOID(tx.add_consent_receipt(
      consent_receipt_record{c.id, std::string(to_string(event.type)), event.at, log_index, jws}));
  return jws;
}

}  // namespace

result<void> enqueue_notification(store& db, const consent_artefact& c, consent_event_type event,
                                  timestamp at, std::uint64_t log_index) {
  outbox_notification n;
  n.id = "ntf-" + crypto::random_id();
  n.consumer = c.consumer;
  n.payload = notification_payload(n.id, c, event, at, log_index);
  n.next_attempt = at;
  return db.add_notification(n);
}

result<recorded_change> record_consent_change(store& db, const ledger_context& context,
                                              const consent_artefact& next,
                                              std::optional<consent_status> before,
                                              std::string_view actor,
                                              std::string_view consumer_name,
                                              receipt_subject subject_type, timestamp now) {
  if (next.events.empty())
    return make_error(errc::internal, "a consent change without its event");
  const auto& event = next.events.back();
  recorded_change done{next, 0, {}};
  SAPHAN_TRY_VOID(db.transaction([&](store& tx) -> result<void> {
    if (before)
      SAPHAN_TRY_VOID(tx.update_consent(next, *before));
    else
      SAPHAN_TRY_VOID(tx.add_consent(next));
    const auto pseudonym = crypto::subject_pseudonym(context.pseudonym_key, next.subject);
    auto index = SAPHAN_TRY(evidence::append_entries(
        tx, {evidence::consent_event(entry_kind(event.type), next, pseudonym, actor, now)}));
    done.log_index = index;
    if (is_receipted(event.type)) {
      auto receipt = SAPHAN_TRY(
          make_receipt(tx, context, next, event, index, consumer_name, subject_type, now));
      done.receipt = std::move(receipt);
    }
    if (is_notified(event.type) && context.notifies && context.notifies(next.consumer))
      SAPHAN_TRY_VOID(enqueue_notification(tx, next, event.type, event.at, index));
    return ok();
  }));
  return done;
}

}  // namespace saphan::hub
