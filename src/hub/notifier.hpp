// The hub's sender of consent notifications: takes what is due from the outbox (a store table,
// written with each consent change, consent_ledger.hpp), signs each payload with the hub's
// member signer (x5c) and POSTs it over mutual TLS to the consumer's notification listener named
// in hub.json ("notify"), whose certificate must name that consumer. A 2xx removes it from the
// outbox; anything else (no answer, a refusal, no listener configured) waits
// notification_backoff(attempts) and is tried again, across restarts, until acknowledged.
//
// Delivery is at least once: a connector may see a notification again (same notificationId)
// when its acknowledgement was lost.
#pragma once

#include <atomic>
#include <memory>
#include <thread>

#include "hub/config.hpp"
#include "net/http.hpp"
#include "pki/member_signature.hpp"
#include "pki/trust.hpp"
#include "store/store.hpp"

namespace saphan::hub {

// Where the connector's listener takes notifications.
inline constexpr std::string_view notification_path = "/v1/notifications";

class notifier {
 public:
  // `db` is the notifier's own connection; `poll` how often it looks at the outbox unpoked.
  notifier(const hub_config& config, std::unique_ptr<store> db,
           std::shared_ptr<pki::reloadable_signer> signer, std::shared_ptr<pki::trust_anchor> trust,
           std::chrono::milliseconds poll = std::chrono::milliseconds(1000));
  ~notifier();
  notifier(const notifier&) = delete;
  notifier& operator=(const notifier&) = delete;

  // Errors: those of the client TLS context (the hub's certificate and key).
  result<void> start();
  void stop();  // idempotent
  // Something was put in the outbox: look now rather than at the next poll. Any thread.
  void poke();

 private:
  net::asio::awaitable<void> run();
  net::asio::awaitable<void> deliver(const outbox_notification& n);
  result<void> failed(const outbox_notification& n, const std::string& why);

  const hub_config& config_;
  std::unique_ptr<store> db_;
  std::shared_ptr<pki::reloadable_signer> signer_;
  std::shared_ptr<pki::trust_anchor> trust_;
  std::chrono::milliseconds poll_;
  net::asio::io_context io_;
  net::asio::steady_timer wake_;
  std::unique_ptr<net::http_client> client_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> poked_{false};
  std::thread thread_;
};

}  // namespace saphan::hub
