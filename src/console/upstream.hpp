// The console's two upstreams: the hub's mutual-TLS API, called as the console's member (the
// hub decides what this member may read), and the OpenID provider (discovery, JWKS, token
// endpoint) over TLS verified against the configured CA with a host check. Both bounded: a
// deadline per call and a body limit.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <memory>
#include <mutex>
#include <string>

#include "console/config.hpp"
#include "console/oidc.hpp"
#include "core/result.hpp"
#include "net/http.hpp"

namespace saphan::console {

inline constexpr std::size_t max_hub_answer_bytes = 8 << 20;

// An answer of the hub: its status and body. Errors of the hub come back as its problem+json
// code (net::parse_problem), so pages can name them.
class hub_api {
 public:
  // Errors: those of net::make_client_tls for the configured files.
  static result<std::unique_ptr<hub_api>> open(const console_config& config,
                                               boost::asio::any_io_executor executor);
  boost::asio::awaitable<result<std::string>> get(std::string target);
  boost::asio::awaitable<result<std::string>> post(std::string target, std::string json_body);

 private:
  hub_api(const console_config& config, std::unique_ptr<net::http_client> client)
      : hub_(config.hub), timeout_(config.hub_timeout), client_(std::move(client)) {}
  boost::asio::awaitable<result<std::string>> send(net::http_request request);
  net::endpoint hub_;
  std::chrono::milliseconds timeout_;
  std::unique_ptr<net::http_client> client_;
};

class provider_client {
 public:
  static result<std::unique_ptr<provider_client>> open(const console_config& config,
                                                       boost::asio::any_io_executor executor);
  // Discovery, fetched once and kept (a restart picks up a changed provider).
  boost::asio::awaitable<result<provider_metadata>> metadata();
  // The JWKS; `refresh` fetches it again (a token signed by a key not yet seen: rotation).
  boost::asio::awaitable<result<std::string>> jwks(bool refresh);
  // Exchanges the code at the token endpoint (client_secret_basic); the answer's id_token.
  boost::asio::awaitable<result<std::string>> redeem(std::string code, std::string redirect_uri,
                                                     std::string code_verifier);

 private:
  provider_client(const console_config& config, std::unique_ptr<net::http_client> client)
      : settings_(config.oidc), timeout_(config.hub_timeout), client_(std::move(client)) {}
  boost::asio::awaitable<result<std::string>> fetch(std::string url, std::string form_body);
  oidc_settings settings_;
  std::chrono::milliseconds timeout_;
  std::unique_ptr<net::http_client> client_;
  std::mutex mutex_;
  std::optional<provider_metadata> metadata_;
  std::string jwks_;
};

}  // namespace saphan::console
