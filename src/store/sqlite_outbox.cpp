// The consent flow's tables of the SQLite store: signed consent receipts and the notification
// outbox (migration 8).
#include "store/sql_values.hpp"
#include "store/sqlite_store_impl.hpp"

namespace saphan::sqlite {
result<void> sqlite_store::add_consent_receipt(const consent_receipt_record& r) {
  SAPHAN_TRY_VOID(check_receipt(r));
  std::lock_guard lock(mutex);
  auto known = SAPHAN_TRY(first_text("SELECT id FROM consents WHERE id = ?", r.consent.value));
  if (!known)
    return consent_not_found(r.consent.value);
  SAPHAN_TRY_VOID(
      run("INSERT INTO consent_receipts(consent_id, event, at_us, log_index, jws) "
          "VALUES(?, ?, ?, ?, ?)",
          r.consent.value, r.event, micros_of(r.at), as_sql_int(r.log_index), r.jws));
  return ok();
}

result<std::vector<consent_receipt_record>> sqlite_store::list_consent_receipts(
    const consent_id& consent) {
  std::lock_guard lock(mutex);
  return with(
      "SELECT event, at_us, log_index, jws FROM consent_receipts WHERE consent_id = ? "
      "ORDER BY seq LIMIT ?",
      [&](statement& s) -> result<std::vector<consent_receipt_record>> {
        SAPHAN_TRY_VOID(
            bind_all(s, consent.value, static_cast<std::int64_t>(max_receipts_per_consent)));
        return collect_rows<consent_receipt_record>(s, [&](statement& row) {
          consent_receipt_record r;
          r.consent = consent;
          r.event = row.text(0);
          r.at = timestamp_of_micros(row.integer(1));
          r.log_index = static_cast<std::uint64_t>(row.integer(2));
          r.jws = row.text(3);
          return r;
        });
      });
}

result<void> sqlite_store::add_notification(const outbox_notification& n) {
  SAPHAN_TRY_VOID(check_notification(n));
  std::lock_guard lock(mutex);
  return insert_new("notification " + n.id,
                    "INSERT INTO notification_outbox(id, consumer, payload, attempts, next_us, "
                    "last_error) VALUES(?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    n.id, to_string(n.consumer), n.payload, static_cast<std::int64_t>(n.attempts),
                    micros_of(n.next_attempt), stored_last_error(n.last_error));
}

result<std::vector<outbox_notification>> sqlite_store::due_notifications(timestamp now,
                                                                         std::size_t limit) {
  std::lock_guard lock(mutex);
  return with(
      "SELECT id, consumer, payload, attempts, next_us, last_error FROM notification_outbox "
      "WHERE next_us <= ? ORDER BY next_us, id LIMIT ?",
      [&](statement& s) -> result<std::vector<outbox_notification>> {
        SAPHAN_TRY_VOID(
            bind_all(s, micros_of(now), static_cast<std::int64_t>(std::min(limit, max_page))));
        return collect_rows<outbox_notification>(
            s, [](statement& row) -> result<outbox_notification> {
              outbox_notification n;
              n.id = row.text(0);
              n.consumer = SAPHAN_TRY(notification_consumer(row.text(1)));
              n.payload = row.text(2);
              n.attempts = static_cast<std::uint32_t>(row.integer(3));
              n.next_attempt = timestamp_of_micros(row.integer(4));
              n.last_error = row.text(5);
              return n;
            });
      });
}

result<void> sqlite_store::reschedule_notification(const std::string& id, std::uint32_t attempts,
                                                   timestamp next_attempt,
                                                   const std::string& last_error) {
  std::lock_guard lock(mutex);
  auto changed = SAPHAN_TRY(
      run("UPDATE notification_outbox SET attempts = ?, next_us = ?, last_error = ? WHERE id = ?",
          static_cast<std::int64_t>(attempts), micros_of(next_attempt),
          stored_last_error(last_error), id));
  if (changed != 1)
    return notification_not_found(id);
  return ok();
}

result<void> sqlite_store::remove_notification(const std::string& id) {
  std::lock_guard lock(mutex);
  auto changed = SAPHAN_TRY(run("DELETE FROM notification_outbox WHERE id = ?", id));
  if (changed != 1)
    return notification_not_found(id);
  return ok();
}

}  // namespace saphan::sqlite
