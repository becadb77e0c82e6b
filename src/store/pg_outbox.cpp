// The consent flow's tables of the PostgreSQL store: signed consent receipts and the
// notification outbox.
#include "store/pg_store_impl.hpp"
#include "store/sql_values.hpp"

namespace saphan::pg {

result<void> pg_store::add_consent_receipt(const consent_receipt_record& r) {
  SAPHAN_TRY_VOID(check_receipt(r));
  std::lock_guard lock(mutex());
  return write([&]() -> result<void> {
    // The receipt's row refers to its consent (a foreign key): a consent removed meanwhile
    // fails the insert instead of leaving a receipt of nothing.
    auto known =
        SAPHAN_TRY(first_text("SELECT id FROM consents WHERE id = $1", {text(r.consent.value)}));
    if (!known)
      return consent_not_found(r.consent.value);
    SAPHAN_TRY_VOID(
        c_.run("INSERT INTO consent_receipts(consent_id, event, at_us, log_index, jws) "
               "VALUES ($1, $2, $3, $4, $5)",
               {text(r.consent.value), text(r.event), int8_of_time(r.at),
                int8_of_index(r.log_index), text(r.jws)}));
    return ok();
  });
}

result<std::vector<consent_receipt_record>> pg_store::list_consent_receipts(
    const consent_id& consent) {
  std::lock_guard lock(mutex());
  auto found = SAPHAN_TRY(
      c_.run("SELECT event, at_us, log_index, jws FROM consent_receipts WHERE consent_id = $1 "
             "ORDER BY seq LIMIT $2",
             {text(consent.value), int8(static_cast<std::int64_t>(max_receipts_per_consent))}));
  std::vector<consent_receipt_record> out;
  for (int i = 0; i < found.size(); ++i) {
    consent_receipt_record r;
    r.consent = consent;
    r.event = found.text(i, 0);
    r.at = sqlite::timestamp_of_micros(SAPHAN_TRY(found.integer(i, 1)));
    r.log_index = static_cast<std::uint64_t>(SAPHAN_TRY(found.integer(i, 2)));
    r.jws = found.text(i, 3);
    out.push_back(std::move(r));
  }
  return out;
}

result<void> pg_store::add_notification(const outbox_notification& n) {
  SAPHAN_TRY_VOID(check_notification(n));
  std::lock_guard lock(mutex());
  return write([&] {
    return insert_new("notification " + n.id,
                      "INSERT INTO notification_outbox(id, consumer, payload, attempts, next_us, "
                      "last_error) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                      {text(n.id), text(to_string(n.consumer)), text(n.payload),
                       int8(static_cast<std::int64_t>(n.attempts)), int8_of_time(n.next_attempt),
                       text(stored_last_error(n.last_error))});
  });
}

result<std::vector<outbox_notification>> pg_store::due_notifications(timestamp now,
                                                                     std::size_t limit) {
  std::lock_guard lock(mutex());
  auto found =
      SAPHAN_TRY(c_.run("SELECT id, consumer, payload, attempts, next_us, last_error FROM "
                        "notification_outbox WHERE next_us <= $1 ORDER BY next_us, id LIMIT $2",
                        {int8_of_time(now), int8(capped(limit))}));
  std::vector<outbox_notification> out;
  for (int i = 0; i < found.size(); ++i) {
    outbox_notification n;
    n.id = found.text(i, 0);
    n.consumer = SAPHAN_TRY(notification_consumer(found.text(i, 1)));
    n.payload = found.text(i, 2);
    n.attempts = static_cast<std::uint32_t>(SAPHAN_TRY(found.integer(i, 3)));
    n.next_attempt = sqlite::timestamp_of_micros(SAPHAN_TRY(found.integer(i, 4)));
    n.last_error = found.text(i, 5);
    out.push_back(std::move(n));
  }
  return out;
}

result<void> pg_store::reschedule_notification(const std::string& id, std::uint32_t attempts,
                                               timestamp next_attempt,
                                               const std::string& last_error) {
  std::lock_guard lock(mutex());
  return write([&]() -> result<void> {
    auto done = SAPHAN_TRY(
        c_.run("UPDATE notification_outbox SET attempts = $1, next_us = $2, last_error = $3 "
               "WHERE id = $4",
               {int8(static_cast<std::int64_t>(attempts)), int8_of_time(next_attempt),
                text(stored_last_error(last_error)), text(id)}));
    if (done.changed() != 1)
      return notification_not_found(id);
    return ok();
  });
}

result<void> pg_store::remove_notification(const std::string& id) {
  std::lock_guard lock(mutex());
  return write([&]() -> result<void> {
    auto done = SAPHAN_TRY(c_.run("DELETE FROM notification_outbox WHERE id = $1", {text(id)}));
    if (done.changed() != 1)
      return notification_not_found(id);
    return ok();
  });
}

}  // namespace saphan::pg
