// Consent expiry: an active consent whose validity window has ended becomes `expired` in the
// registry, with a `consent.expired` entry in the evidence log, so the citizen's history and an
// audit show when it ran out (decisions refuse it from its validUntil on either way: the consent
// check compares times, it does not wait for this sweep).
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>

#include "core/periodic.hpp"
#include "store/store.hpp"

namespace saphan::hub {

struct expiry_sweep {
  std::size_t expired = 0;  // consents marked expired
  std::size_t skipped = 0;  // changed by someone else meanwhile (e.g. revoked): left as they are
};

// What else an expiry writes (the hub: a notification for the consumer), called inside the
// transaction of each expiry once its evidence entry is at `log_index`; an error undoes that
// expiry.
using expiry_hook = std::function<result<void>(store& tx, const consent_artefact& expired,
                                               std::uint64_t log_index)>;

// Marks every active consent with validUntil <= now expired, through `audited` (a store that logs
// each change with its evidence entry, see evidence/audited_store.hpp), in batches of `batch`.
result<expiry_sweep> expire_due_consents(store& audited, timestamp now, std::size_t batch = 500,
                                         const expiry_hook& after = {});

// Runs expire_due_consents every `interval` on its own thread and store connection.
class consent_expirer {
 public:
  consent_expirer(std::unique_ptr<store> audited, std::chrono::milliseconds interval,
                  expiry_hook after = {});
  void start() { pace_.start(); }
  void stop() { pace_.stop(); }

 private:
  void sweep();

  std::unique_ptr<store> db_;
  expiry_hook after_;
  periodic pace_;  // last: its thread stops before db_ goes
};

}  // namespace saphan::hub
