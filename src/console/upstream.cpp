#include "console/upstream.hpp"

#include "net/problem.hpp"

// GCC 12 at -O2 reports asio's coroutine frames, which bring their own operator new and delete,
// as freed by a mismatched operator delete (a false positive, as in hub/exchange.cpp).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace saphan::console {

result<std::unique_ptr<hub_api>> hub_api::open(const console_config& config,
                                               boost::asio::any_io_executor executor) {
  auto tls = net::make_client_tls({config.tls_certificate, config.tls_key, config.tls_ca});
  if (!tls)
    return make_error(tls.error().code, "config.tls: " + tls.error().detail);
  net::http_limits limits;
  limits.max_body_bytes = max_hub_answer_bytes;
  auto client = std::make_unique<net::http_client>(std::move(executor), *tls, limits, 16);
  return std::unique_ptr<hub_api>(new hub_api(config, std::move(client)));
}

boost::asio::awaitable<result<std::string>> hub_api::send(net::http_request request) {
  request.set(net::http::field::accept, "application/json");
  auto answer = co_await client_->send(hub_, std::move(request), timeout_);
  if (!answer)
    co_return std::move(answer).error();
  const auto status = answer->result_int();
  if (status < 200 || status > 299)
    co_return net::parse_problem(answer->body(), static_cast<int>(status));
  co_return std::move(answer->body());
}

boost::asio::awaitable<result<std::string>> hub_api::get(std::string target) {
  net::http_request request{net::http::verb::get, target, 11};
  co_return co_await send(std::move(request));
}

boost::asio::awaitable<result<std::string>> hub_api::post(std::string target, std::string body) {
  net::http_request request{net::http::verb::post, target, 11};
  request.set(net::http::field::content_type, "application/json");
  request.body() = std::move(body);
  co_return co_await send(std::move(request));
}

result<std::unique_ptr<provider_client>> provider_client::open(
    const console_config& config, boost::asio::any_io_executor executor) {
  auto tls = net::make_web_client_tls(config.oidc.ca_path);
  if (!tls)
    return make_error(tls.error().code, "config.oidc.ca: " + tls.error().detail);
  net::http_limits limits;
  limits.max_body_bytes = max_discovery_bytes;
  auto client = std::make_unique<net::http_client>(std::move(executor), *tls, limits, 4);
  return std::unique_ptr<provider_client>(new provider_client(config, std::move(client)));
}

boost::asio::awaitable<result<std::string>> provider_client::fetch(std::string url,
                                                                   std::string form_body) {
  auto where = parse_https_url(url);
  if (!where)
    co_return std::move(where).error();
  net::endpoint to{where->host, where->port, true, std::nullopt};
  const bool post = !form_body.empty();
  net::http_request request{post ? net::http::verb::post : net::http::verb::get, where->target, 11};
  request.set(net::http::field::accept, "application/json");
  if (post) {
    request.set(net::http::field::content_type, "application/x-www-form-urlencoded");
    request.set(net::http::field::authorization, basic_authorization(settings_));
    request.body() = std::move(form_body);
  }
  auto answer = co_await client_->send(to, std::move(request), timeout_);
  if (!answer)
    co_return make_error(answer.error().code, "OpenID provider: " + answer.error().detail);
  const auto status = answer->result_int();
  // A token endpoint's error answer is JSON with "error": the caller names it.
  if ((status < 200 || status > 299) && !(post && status == 400))
    co_return make_error(errc::provider_error, "OpenID provider answered " +
                                                   std::to_string(status) + " for " +
                                                   where->target.substr(0, 80));
  co_return std::move(answer->body());
}

boost::asio::awaitable<result<provider_metadata>> provider_client::metadata() {
  {
    std::lock_guard lock(mutex_);
    if (metadata_)
      co_return *metadata_;
  }
  auto text = co_await fetch(settings_.issuer + "/.well-known/openid-configuration", {});
  if (!text)
    co_return std::move(text).error();
  auto parsed = parse_discovery(*text, settings_.issuer);
  if (!parsed)
    co_return std::move(parsed).error();
  std::lock_guard lock(mutex_);
  metadata_ = *parsed;
  co_return *parsed;
}

boost::asio::awaitable<result<std::string>> provider_client::jwks(bool refresh) {
  if (!refresh) {
    std::lock_guard lock(mutex_);
    if (!jwks_.empty())
      co_return jwks_;
  }
  auto op = co_await metadata();
  if (!op)
    co_return std::move(op).error();
  auto text = co_await fetch(op->jwks_uri, {});
  if (!text)
    co_return std::move(text).error();
  std::lock_guard lock(mutex_);
  jwks_ = *text;
  co_return *text;
}

boost::asio::awaitable<result<std::string>> provider_client::redeem(std::string code,
                                                                    std::string redirect_uri,
                                                                    std::string code_verifier) {
  auto op = co_await metadata();
  if (!op)
    co_return std::move(op).error();
  auto answer =
      co_await fetch(op->token_endpoint, token_request_body(code, redirect_uri, code_verifier));
  if (!answer)
    co_return std::move(answer).error();
  co_return id_token_of_token_answer(*answer);
}

}  // namespace saphan::console
