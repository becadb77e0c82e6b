// The provider side: /v1/provide, called by the hub alone. Checks what the hub forwarded
// (check_forwarded_request), reads the record through the dataset's adapter and seals it.
#include "connector/service_state.hpp"
#include "core/log.hpp"
#include "exchange/envelope.hpp"

// GCC 12 at -O2 reports asio's coroutine frames here, which bring their own operator new and
// delete, as freed by a mismatched operator delete (a false positive, as in hub/exchange.cpp).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace saphan::connector {

asio::awaitable<net::http_response> connector_service::state::handle_provider(
    net::http_request& request, const net::peer_info& peer) {
  const auto version = request.version();
  const bool keep = request.keep_alive();
  std::string_view target(request.target().data(), request.target().size());
  if (target == "/healthz") {
    co_return net::make_response(version, keep, http::status::ok, "ok\n", "text/plain");
  }
  if (target != provide_path) {
    co_return net::make_problem(version, keep, make_error(errc::not_found, "no such endpoint"));
  }
  if (request.method() != http::verb::post) {
    co_return net::make_problem(version, keep, make_error(errc::method_not_allowed, "use POST"));
  }
  // Every request that reaches the provider side is logged, whether it is served or refused:
  // this is the provider's own record of what the hub forwarded.
  log_event(log_level::info, "provide.received",
            {{"peer", peer.member ? to_string(*peer.member) : peer.address}});
  auto caller = check_hub_peer(peer);
  if (!caller)
    co_return net::make_problem(version, keep, caller.error());
  auto signature = header_text(request, signature_header);
  auto sealed = co_await on_worker(
      [this, &request, &signature] { return provide(request.body(), signature, now_utc()); });
  if (!sealed) {
    log_event(log_level::warn, "provide.refused", {{"code", to_string(sealed.error().code)}});
    co_return net::make_problem(version, keep, sealed.error());
  }
  auto response = net::make_response(version, keep, http::status::ok, std::move(sealed->body),
                                     "application/json");
  response.set(signature_header, sealed->signature);
  co_return response;
}

result<void> connector_service::state::check_hub_peer(const net::peer_info& peer,
                                                      std::string_view endpoint) const {
  if (!peer.member) {
    return make_error(
        errc::unauthenticated,
        "client certificate: " + (peer.member_error.empty() ? "none" : peer.member_error));
  }
  if (*peer.member != config.hub_member) {
    return make_error(errc::certificate_mismatch,
                      "client certificate names " + to_string(*peer.member) + ", only the hub " +
                          to_string(config.hub_member) + " may call " + std::string(endpoint));
  }
  if (trust->current()->revoked_serial(peer.certificate_serial)) {
    return make_error(errc::certificate_revoked,
                      "client certificate " + peer.certificate_serial + " of the hub is revoked");
  }
  return ok();
}

// Runs on a worker thread: every check, the adapter read, encryption and signing.
result<sealed_answer> connector_service::state::provide(std::string_view body,
                                                        std::string_view signature, timestamp now) {
  const auto store = trust->current();
  auto checked = SAPHAN_TRY(
      check_forwarded_request(body, signature, *store, config.hub_member, now, config.freshness));
  const auto& forwarded = checked.forwarded;
  const auto& request = checked.request;
  auto dataset = datasets.find(to_string(request.dataset));
  if (dataset == datasets.end()) {
    return make_error(errc::unknown_dataset, to_string(request.dataset) + " is not served here");
  }
  // Served once: an earlier forwarded request, replayed by a hub, is refused here too, and so is
  // one from before a restart, which the guard cannot know.
  SAPHAN_TRY_VOID(check_issued_since(request, forwarded_since));
  switch (forwarded_ids->remember(request.request_id, request.issued_at, now)) {
    case replay_guard::verdict::replayed:
      return make_error(errc::replay, "request id " + request.request_id + " served before");
    case replay_guard::verdict::full:
      return make_error(errc::overloaded, "too many recent request ids to remember");
    case replay_guard::verdict::fresh:
      break;
  }
  auto record = SAPHAN_TRY(dataset->second.adapter->fetch(request.subject));
  if (!record)
    return make_error(errc::record_not_found, "no record for this subject");
  const auto answer_signer = signer->current();  // kept while it signs, whatever a SIGHUP does
  return seal_record(*record, forwarded, request, dataset->second.schema,
                     dataset->second.subject_field,
                     provider_keys{*answer_signer, pseudonym_key.view()});
}

}  // namespace saphan::connector
