#include "hub/notifier.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/log.hpp"
#include "exchange/envelope.hpp"
#include "hub/consent_documents.hpp"

// GCC 12 at -O2 reports asio's coroutine frames as freed by a mismatched operator delete (a
// false positive, as in hub/exchange.cpp).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace saphan::hub {

namespace asio = net::asio;
namespace http = net::http;

namespace {
// Notifications taken from the outbox at one look; the rest wait for the next.
constexpr std::size_t batch = 32;
}  // namespace

notifier::notifier(const hub_config& config, std::unique_ptr<store> db,
                   std::shared_ptr<pki::reloadable_signer> signer,
                   std::shared_ptr<pki::trust_anchor> trust, std::chrono::milliseconds poll)
    : config_(config),
      db_(std::move(db)),
      signer_(std::move(signer)),
      trust_(std::move(trust)),
      poll_(poll),
      wake_(io_) {}

notifier::~notifier() {
  stop();
}

result<void> notifier::start() {
  pki::tls_files files{config_.tls.certificate, config_.tls.key, config_.tls.ca};
  auto tls = SAPHAN_TRY(net::make_client_tls(files));
  net::http_limits limits;
  limits.max_body_bytes = 64 * 1024;  // an acknowledgement is small
  // A listener whose certificate the CRL lists is not told anything.
  client_ = std::make_unique<net::http_client>(
      io_.get_executor(), tls, limits, 4, [trust = trust_](SSL* connection) {
        return pki::refuse_revoked_peer(connection, *trust->current());
      });
  asio::co_spawn(io_, run(), asio::detached);
  thread_ = std::thread([this] { io_.run(); });
  return ok();
}

void notifier::stop() {
  stopping_ = true;
  io_.stop();
  if (thread_.joinable())
    thread_.join();
}

void notifier::poke() {
  poked_ = true;
  asio::post(io_, [this] { wake_.cancel(); });
}

asio::awaitable<void> notifier::run() {
  while (!stopping_) {
    poked_ = false;
    // The outbox is read on this thread, which serves nothing else: a slow store delays
    // notifications, never an exchange.
    auto due = db_->due_notifications(now_utc(), batch);
    if (!due) {
      log_event(log_level::warn, "notify.outbox_failed", {{"detail", due.error().detail}});
    } else {
      for (const auto& n : *due)
        co_await deliver(n);
    }
    if (due && due->size() == batch)
      continue;  // more are waiting
    if (poked_)
      continue;
    wake_.expires_after(poll_);
    boost::system::error_code ec;
    co_await wake_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

result<void> notifier::failed(const outbox_notification& n, const std::string& why) {
  const auto attempts = n.attempts + 1;
  const auto next = now_utc() + notification_backoff(attempts);
  log_event(log_level::info, "notify.retry",
            {{"notificationId", n.id},
             {"consumer", to_string(n.consumer)},
             {"attempts", std::to_string(attempts)},
             {"detail", why}});
  return db_->reschedule_notification(n.id, attempts, next, why);
}

asio::awaitable<void> notifier::deliver(const outbox_notification& n) {
  auto target = config_.notify.find(n.consumer);
  if (target == config_.notify.end()) {
    (void)failed(n, "no notification listener configured for " + to_string(n.consumer));
    co_return;
  }
  auto signature = signer_->current()->sign(n.payload);
  if (!signature) {
    (void)failed(n, "signing: " + signature.error().detail);
    co_return;
  }
  http::request<http::string_body> post{http::verb::post, std::string(notification_path), 11};
  post.set(http::field::content_type, "application/json");
  post.set(std::string(signature_header), *signature);
  post.body() = n.payload;
  post.prepare_payload();
  auto answer = co_await client_->send(target->second, std::move(post), config_.notify_timeout);
  if (!answer) {
    (void)failed(n, std::string(to_string(answer.error().code)) + ": " + answer.error().detail);
    co_return;
  }
  const int status = answer->result_int();
  if (status < 200 || status >= 300) {
    (void)failed(n, "the listener answered " + std::to_string(status));
    co_return;
  }
  if (auto removed = db_->remove_notification(n.id); !removed) {
    log_event(log_level::warn, "notify.remove_failed",
              {{"notificationId", n.id}, {"detail", removed.error().detail}});
    co_return;
  }
  log_event(log_level::info, "notify.delivered",
            {{"notificationId", n.id}, {"consumer", to_string(n.consumer)}});
}

}  // namespace saphan::hub
