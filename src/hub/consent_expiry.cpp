#include "hub/consent_expiry.hpp"

#include "core/log.hpp"

namespace saphan::hub {

namespace {

// The expiry, and what goes with it, in one transaction. Inside it the write lock is held from
// the update on, so the entry the audited store appended is the log's last one.
result<void> write_expiry(store& audited, const consent_artefact& next, const expiry_hook& after) {
  if (!after)
    return audited.update_consent(next, consent_status::active);
  return audited.transaction([&](store& tx) -> result<void> {
    SAPHAN_TRY_VOID(tx.update_consent(next, consent_status::active));
    auto size = SAPHAN_TRY(tx.log_size());
    if (size == 0)
      return make_error(errc::internal, "expiry: the audited store wrote no entry");
    return after(tx, next, size - 1);
  });
}

}  // namespace

result<expiry_sweep> expire_due_consents(store& audited, timestamp now, std::size_t batch,
                                         const expiry_hook& after) {
  expiry_sweep done;
  while (true) {
    auto due = SAPHAN_TRY(audited.list_expiring_consents(now, batch));
    std::size_t changed = 0;
    for (const auto& consent : due) {
      auto next = expire(consent, now);
      if (!next) {  // the indexed time is rounded for rows older than the column: not due yet
        ++done.skipped;
        continue;
      }
      auto written = write_expiry(audited, *next, after);
      if (written) {
        ++done.expired;
        ++changed;
      } else if (written.error().code == errc::conflict) {
        ++done.skipped;  // revoked (or expired by another sweeper) since we read it
      } else {
        return std::move(written).error();
      }
    }
    // A batch that changed nothing would come back the same: stop rather than spin.
    if (due.size() < batch || changed == 0)
      return done;
  }
}

consent_expirer::consent_expirer(std::unique_ptr<store> audited, std::chrono::milliseconds interval,
                                 expiry_hook after)
    : db_(std::move(audited)), after_(std::move(after)), pace_(interval, [this] { sweep(); }) {}

void consent_expirer::sweep() {
  auto done = expire_due_consents(*db_, now_utc(), 500, after_);
  if (!done) {
    log_event(log_level::warn, "consent.expiry_failed", {{"detail", done.error().detail}});
    return;
  }
  if (done->expired > 0) {
    log_event(log_level::info, "consent.expired", {{"count", std::to_string(done->expired)}});
  }
}

}  // namespace saphan::hub
