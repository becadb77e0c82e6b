// The consumer side: the agency's local API. Builds and signs the envelope, sends it to the hub,
// checks and opens the answer.
#include "connector/notification.hpp"
#include "connector/service_state.hpp"
#include "core/log.hpp"
#include "crypto/jws.hpp"
#include "exchange/envelope.hpp"
#include "net/problem.hpp"

// GCC 12 at -O2 reports asio's coroutine frames here, which bring their own operator new and
// delete, as freed by a mismatched operator delete (a false positive, as in hub/exchange.cpp).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace saphan::connector {

asio::awaitable<net::http_response> connector_service::state::handle_consumer(
    net::http_request& request, const net::peer_info&) {
  const auto version = request.version();
  const bool keep = request.keep_alive();
  std::string_view target(request.target().data(), request.target().size());
  if (target == "/healthz") {
    co_return net::make_response(version, keep, http::status::ok, "ok\n", "text/plain");
  }
  // Before anything else is looked at: without the token, a caller learns nothing but 401.
  if (consumer_token) {
    const auto authorization = header_text(request, authorization_header);
    if (auto allowed = consumer_token->check(authorization); !allowed) {
      auto refused = net::make_problem(version, keep, allowed.error());
      refused.set(std::string(www_authenticate_header),
                  bearer_challenge(bearer_token_of(authorization).has_value()));
      co_return refused;
    }
  }
  if (is_consent_target(target))
    co_return co_await relay_consent(request);
  if (target.substr(0, consumer_path_prefix.size()) != consumer_path_prefix) {
    co_return net::make_problem(version, keep, make_error(errc::not_found, "no such endpoint"));
  }
  if (request.method() != http::verb::post) {
    co_return net::make_problem(version, keep, make_error(errc::method_not_allowed, "use POST"));
  }
  auto trace =
      choose_traceparent(header_text(request, traceparent_header), crypto::random_bytes(24));
  auto response = co_await exchange(request, trace);
  response.set(traceparent_header, trace);
  co_return response;
}

asio::awaitable<net::http_response> connector_service::state::exchange(net::http_request& request,
                                                                       const std::string& trace) {
  const auto version = request.version();
  const bool keep = request.keep_alive();
  consumer_headers headers{
      header_text(request, client_header), header_text(request, request_id_header),
      header_text(request, user_id_header), header_text(request, issue_header)};
  auto call = parse_consumer_call(request.target(), headers, request.body(), config.member,
                                  crypto::random_id());
  if (!call)
    co_return net::make_problem(version, keep, call.error());

  // The schema first: a dataset the hub does not know fails before any consent use is spent.
  auto schema = co_await schema_for(call->dataset, trace);
  if (!schema)
    co_return net::make_problem(version, keep, schema.error());

  // A reply key for this request alone, inside the signed envelope: the hub cannot swap it, and
  // its secret half is gone once the answer is open, so a later theft of this connector's keys
  // opens no earlier answer.
  const auto reply = crypto::generate_encryption_key();
  auto envelope =
      build_envelope(*call, config.member, now_utc(),
                     crypto::to_public_jwk(reply.public_key, "reply-" + call->request_id));
  auto signed_request =
      co_await on_worker([this, &envelope]() -> result<std::pair<std::string, std::string>> {
        auto bytes = serialize(envelope);
        auto signature = SAPHAN_TRY(signer->current()->sign(bytes));
        return std::pair{std::move(bytes), std::move(signature)};
      });
  if (!signed_request)
    co_return net::make_problem(version, keep, signed_request.error());

  net::http_request out{http::verb::post, std::string(exchange_path), 11};
  out.set(http::field::content_type, "application/json");
  out.set(signature_header, signed_request->second);
  out.set(traceparent_header, trace);
  out.body() = signed_request->first;
  auto answer = co_await hub_client->send(*config.hub, std::move(out), config.timeout);
  if (!answer)
    co_return net::make_problem(version, keep, answer.error());
  if (answer->result() != http::status::ok)
    co_return relay_problem(version, keep, *answer);

  auto opened = co_await on_worker([this, &envelope, &signed_request, &answer, &schema, &reply]() {
    const auto store = trust->current();
    answer_trust checks{*store, config.hub_member, reply.secret_key, now_utc()};
    return open_hub_answer(envelope, signed_request->first, answer->body(),
                           header_text(*answer, signature_header), checks, schema->get());
  });
  if (!opened) {
    // The answer passed the hub but not this connector's checks (signatures, decryption,
    // binding to the request, schema): nothing is returned, and the refusal is logged.
    log_event(log_level::warn, "exchange.answer_refused",
              {{"requestId", envelope.request_id},
               {"code", to_string(opened.error().code)},
               {"detail", opened.error().detail}});
    co_return net::make_response(version, keep, http::status::bad_gateway,
                                 problem_with_status(opened.error(), 502),
                                 "application/problem+json");
  }
  co_return net::make_response(version, keep, http::status::ok, format_consumer_answer(*opened),
                               "application/json");
}

// The hub's own problem+json, passed on unchanged with its status, its signature and (for 503)
// the Retry-After the agency's system should honour.
net::http_response connector_service::state::relay_problem(unsigned version, bool keep,
                                                           const net::http_response& answer) {
  auto type = header_text(answer, "Content-Type");
  if (type.empty())
    type = "application/problem+json";
  auto relayed = net::make_response(version, keep, answer.result(), answer.body(), type);
  for (std::string_view name : {std::string_view("Retry-After"), signature_header}) {
    if (auto value = header_text(answer, name); !value.empty()) {
      relayed.set(std::string(name), std::string(value));
    }
  }
  return relayed;
}

asio::awaitable<result<std::shared_ptr<const answer_schema>>> connector_service::state::schema_for(
    const dataset_id& id, const std::string& trace) {
  auto key = to_string(id);
  {
    std::lock_guard lock(schema_mutex);
    if (auto it = schema_cache.find(key); it != schema_cache.end())
      co_return it->second;
  }
  net::http_request get{http::verb::get, "/v1/catalog/" + key, 11};
  get.set(traceparent_header, trace);
  auto answer = co_await hub_client->send(*config.hub, std::move(get), config.timeout);
  if (!answer)
    co_return std::move(answer).error();
  if (answer->result() != http::status::ok)
    co_return net::parse_problem(answer->body(), answer->result_int());
  auto parsed =
      co_await on_worker([&answer] { return answer_schema_from_catalog(answer->body()); });
  if (!parsed) {
    co_return make_error(errc::provider_error,
                         "catalog entry for " + key + ": " + parsed.error().detail);
  }
  auto shared = std::make_shared<const answer_schema>(std::move(*parsed));
  std::lock_guard lock(schema_mutex);
  if (schema_cache.size() < max_cached_schemas)
    schema_cache.emplace(key, shared);
  co_return shared;
}

}  // namespace saphan::connector
