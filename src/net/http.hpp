// HTTP(S) server and pooled client on Boost.Beast with C++20 coroutines, shared by the hub, the
// connectors and the TSA. Beast's HTTP is used here and in the HTTP record adapter
// (connectors/http); Asio itself (io_context, timers, coroutines, SSL contexts) also in hub,
// connector, evidence (the timestamper), tsa/http and the CLI's `saphan tsa serve`.
//
// Every step is bounded: a deadline on each handshake, read and write, a fresh parser per message
// with header and body limits, a cap on open connections (beyond it: 503 with Retry-After).
#pragma once

#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/identifiers.hpp"
#include "core/result.hpp"
#include "net/endpoint.hpp"
#include "net/socket_stream.hpp"
#include "net/tls_context.hpp"
#include "pki/pki.hpp"

namespace saphan::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

using http_request = http::request<http::string_body>;
using http_response = http::response<http::string_body>;

using request_handler =
    std::function<asio::awaitable<http_response>(http_request&, const peer_info&)>;

// Builds a response; `problem` bodies are RFC 9457 problem+json.
http_response make_response(unsigned version, bool keep_alive, http::status status,
                            std::string body, std::string_view content_type);
http_response make_problem(unsigned version, bool keep_alive, const error& e);

class http_server {
 public:
  // `tls` null: plain HTTP (the connector's local API on loopback). Otherwise TLS with whatever
  // the context requires (the hub and provider connectors require client certificates).
  // Each connection takes the context current when it is accepted (tls_context::reload).
  http_server(asio::io_context& io, std::shared_ptr<tls_context> tls, http_limits limits,
              request_handler handler);
  ~http_server();

  // Binds and listens; port 0 picks a free port. Returns the bound port.
  result<std::uint16_t> listen(const std::string& address, std::uint16_t port);
  void stop();
  std::size_t open_connections() const { return state_->open_connections.load(); }
  std::size_t accepted_connections() const { return state_->accepted_connections.load(); }

 private:
  struct state {
    asio::io_context& io;
    std::shared_ptr<tls_context> tls;
    http_limits limits;
    request_handler handler;
    std::atomic<std::size_t> open_connections{0};
    std::atomic<std::size_t> accepted_connections{0};  // ever, not counting those shed at once
    std::atomic<std::size_t> in_flight{0};
    std::atomic<bool> stopping{false};
    std::unique_ptr<tcp::acceptor> acceptor;
  };
  std::shared_ptr<state> state_;

  static asio::awaitable<void> accept_loop(std::shared_ptr<state> s);
  static asio::awaitable<void> serve(std::shared_ptr<state> s, tcp::socket socket);
};

// A client that keeps idle connections per endpoint and reuses them (keep-alive), newest first.
// A connection idle for 90% of limits.idle_timeout is closed instead of reused: after a burst,
// the pool shrinks back to what the traffic uses, and it does not reuse a socket just as a server
// with the same setting closes it (the server's clock starts a little earlier than ours). An
// endpoint's pool is pruned when it is used; close_stale prunes them all.
// Errors: provider_unreachable (connect or handshake failed), provider_timeout (deadline),
// payload_too_large (answer over the body limit), provider_error (broken answer); for an
// endpoint that names a member, certificate_mismatch / unauthenticated when the server's
// certificate names another or none, and whatever the peer check refuses.
// A check of the server's certificate after the handshake, beyond its chain and name (the
// caller's revocation list, say). An error ends the connection with that error.
using peer_check = std::function<result<void>(SSL* connection)>;

class http_client {
 public:
  http_client(asio::any_io_executor executor, std::shared_ptr<tls_context> tls, http_limits limits,
              std::size_t max_idle_per_endpoint = 64, peer_check check_peer = {});

  asio::awaitable<result<http_response>> send(const endpoint& to, http_request request,
                                              std::chrono::milliseconds timeout);

  // Closes the pooled connections of every endpoint that have been idle too long: for an owner
  // to call now and then, so that an endpoint nobody calls any more does not keep them.
  void close_stale();

 private:
  asio::awaitable<result<socket_stream>> connect(const endpoint& to,
                                                 std::chrono::steady_clock::time_point deadline);
  struct pooled {
    socket_stream stream;
    std::chrono::steady_clock::time_point idle_since;
    std::uint64_t tls_generation = 0;  // of the context it was made with
  };
  using pool = std::vector<pooled>;  // oldest first: given back at the end, taken from the end

  std::optional<pooled> take_idle(const std::string& key);
  void give_back(const std::string& key, socket_stream c, std::uint64_t tls_generation);
  // A pooled connection may be reused only while its TLS context is the current one (not one
  // a rotation replaced) and the peer check still passes (its certificate was not revoked since).
  bool reusable(pooled& c);
  void drop_idle(const std::string& key);
  void close_stale(pool& connections, std::chrono::steady_clock::time_point now) const;

  asio::any_io_executor executor_;
  std::shared_ptr<tls_context> tls_;
  peer_check check_peer_;
  http_limits limits_;
  std::size_t max_idle_;
  std::chrono::steady_clock::duration kept_idle_;  // how long a pooled connection may wait
  std::mutex mutex_;
  std::map<std::string, pool> idle_;
};

// TLS contexts configured by pki: TLS 1.3 only, certificates both ways; reloadable.
result<std::shared_ptr<tls_context>> make_server_tls(const pki::tls_files& files);
result<std::shared_ptr<tls_context>> make_client_tls(const pki::tls_files& files);
// For people-facing servers (browsers, no client certificate) and for clients of a web server
// that is not a member (tls_context::role::web_server / web_client).
result<std::shared_ptr<tls_context>> make_web_server_tls(const std::string& certificate_path,
                                                         const std::string& key_path);
result<std::shared_ptr<tls_context>> make_web_client_tls(const std::string& ca_path);

}  // namespace saphan::net
