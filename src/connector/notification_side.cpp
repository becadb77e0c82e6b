// The consumer side's consent parts on the network: the local API's /consents, passed to the
// hub, and the notification listener, which checks the hub's notifications itself and passes
// them to the agency's webhook, acknowledging only what the webhook took.
#include "connector/notification.hpp"
#include "connector/service_state.hpp"
#include "core/log.hpp"
#include "exchange/envelope.hpp"

// GCC 12 at -O2 reports asio's coroutine frames as freed by a mismatched operator delete (a
// false positive, as in hub/exchange.cpp).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace saphan::connector {

asio::awaitable<net::http_response> connector_service::state::relay_consent(
    net::http_request& request) {
  const auto version = request.version();
  const bool keep = request.keep_alive();
  auto target = parse_consent_target(request.target());
  if (!target)
    co_return net::make_problem(version, keep, target.error());
  const auto method = target->has_id ? http::verb::get : http::verb::post;
  if (request.method() != method) {
    co_return net::make_problem(
        version, keep,
        make_error(errc::method_not_allowed, target->has_id ? "use GET" : "use POST"));
  }
  if (auto client = check_client(header_text(request, client_header), config.member); !client)
    co_return net::make_problem(version, keep, client.error());
  // The hub reads the body and checks every member: this side passes it on as it came (the
  // server's body limit bounds it), so both sides cannot disagree on what a request means.
  net::http_request out{method, target->hub_path, 11};
  out.set(http::field::content_type, "application/json");
  if (auto trace = header_text(request, traceparent_header); is_valid_traceparent(trace))
    out.set(traceparent_header, trace);
  if (!target->has_id)
    out.body() = request.body();
  out.prepare_payload();
  auto answer = co_await hub_client->send(*config.hub, std::move(out), config.timeout);
  if (!answer)
    co_return net::make_problem(version, keep, answer.error());
  if (answer->result_int() < 200 || answer->result_int() >= 300)
    co_return relay_problem(version, keep, *answer);
  co_return net::make_response(version, keep, answer->result(), answer->body(), "application/json");
}

asio::awaitable<net::http_response> connector_service::state::handle_notification(
    net::http_request& request, const net::peer_info& peer) {
  const auto version = request.version();
  const bool keep = request.keep_alive();
  std::string_view target(request.target().data(), request.target().size());
  if (target != notifications_path)
    co_return net::make_problem(version, keep, make_error(errc::not_found, "no such endpoint"));
  if (request.method() != http::verb::post)
    co_return net::make_problem(version, keep, make_error(errc::method_not_allowed, "use POST"));
  if (auto caller = check_hub_peer(peer, notifications_path); !caller)
    co_return net::make_problem(version, keep, caller.error());
  const auto signature = header_text(request, signature_header);
  auto notice = co_await on_worker([this, &request, &signature] {
    return verify_notification(request.body(), signature, config.hub_member, config.member,
                               now_utc(), *trust->current());
  });
  if (!notice) {
    log_event(log_level::warn, "notification.refused",
              {{"code", to_string(notice.error().code)}, {"detail", notice.error().detail}});
    co_return net::make_problem(version, keep, notice.error());
  }
  log_event(log_level::info, "notification.received",
            {{"notificationId", notice->notification_id},
             {"consentId", notice->consent_id},
             {"event", notice->event}});
  const auto& webhook = config.consumer->notifications->webhook;
  if (!webhook) {
    co_return net::make_response(version, keep, http::status::no_content, "", "text/plain");
  }
  // The payload as the hub signed it, with the hub's signature: the agency may check it again.
  net::http_request out{http::verb::post, webhook->path, 11};
  out.set(http::field::content_type, "application/json");
  out.set(signature_header, signature);
  out.body() = request.body();
  out.prepare_payload();
  auto answer = co_await webhook_client->send(webhook->endpoint, std::move(out), config.timeout);
  if (!answer || answer->result_int() < 200 || answer->result_int() >= 300) {
    // Not acknowledged: the hub keeps it and tries again.
    const auto why =
        answer ? "the webhook answered " + std::to_string(answer->result_int())
               : std::string(to_string(answer.error().code)) + ": " + answer.error().detail;
    log_event(log_level::warn, "notification.webhook_failed",
              {{"notificationId", notice->notification_id}, {"detail", why}});
    co_return net::make_response(
        version, keep, http::status::bad_gateway,
        problem_with_status(make_error(errc::provider_unreachable, "agency webhook: " + why), 502),
        "application/problem+json");
  }
  co_return net::make_response(version, keep, http::status::no_content, "", "text/plain");
}

}  // namespace saphan::connector
