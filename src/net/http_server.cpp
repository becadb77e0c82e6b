// The HTTP(S) server half of net/http.hpp: sessions, limits, and the problem+json helpers.
#include "net/http.hpp"

#include <array>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/scoped_count.hpp"
#include "net/problem.hpp"
#include "pki/pki.hpp"

namespace saphan::net {
namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// Read errors that only mean "the peer went away".
bool is_quiet_close(const beast::error_code& ec) {
  return ec == http::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::ssl::error::stream_truncated || ec == asio::error::connection_reset ||
         ec == asio::error::operation_aborted || ec == beast::error::timeout;
}

std::optional<error> read_error_to_problem(const beast::error_code& ec) {
  if (ec == http::error::body_limit)
    return make_error(errc::payload_too_large, "body over limit");
  if (ec == http::error::header_limit) {
    return make_error(errc::header_too_large, "header over limit");
  }
  if (is_quiet_close(ec))
    return std::nullopt;
  // Any other parse error of Beast's HTTP category means the bytes were not HTTP we accept.
  if (ec.category() == beast::error_code(http::error::bad_target).category()) {
    return make_error(errc::malformed_body, "malformed HTTP request: " + ec.message());
  }
  return std::nullopt;
}

// After refusing a request whose body is still arriving (e.g. over the size limit), read and
// discard what the client keeps sending for a short, bounded while before closing. Closing with
// unread data makes the kernel reset the connection, and many clients then lose the answer.
asio::awaitable<void> drain(socket_stream& stream) {
  constexpr std::size_t max_drained = 32 << 20;
  stream.expires_after(std::chrono::seconds(2));
  std::array<char, 16384> sink;
  std::size_t drained = 0;
  while (drained < max_drained) {
    auto [ec, n] = co_await stream.async_read_some(asio::buffer(sink), use_tuple);
    if (ec)
      break;
    drained += n;
  }
}

asio::awaitable<void> run_session(const http_limits& limits, const request_handler& handler,
                                  std::atomic<std::size_t>& in_flight, socket_stream& stream,
                                  const peer_info& peer) {
  beast::flat_buffer buffer;
  bool first = true;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
    parser.body_limit(limits.max_body_bytes);
    stream.expires_after(first ? limits.request_timeout : limits.idle_timeout);
    first = false;
    auto [read_ec, read_n] = co_await http::async_read(stream, buffer, parser, use_tuple);
    if (read_ec) {
      // Answer what deserves an answer (limits, garbage), then close.
      if (auto problem = read_error_to_problem(read_ec)) {
        auto res = make_problem(11, false, *problem);
        stream.expires_after(limits.request_timeout);
        auto [write_ec, written] = co_await http::async_write(stream, res, use_tuple);
        if (!write_ec)
          co_await drain(stream);
      }
      break;
    }
    auto request = parser.release();
    http_response response;
    if (in_flight.load() >= limits.max_in_flight) {
      response = make_problem(request.version(), request.keep_alive(),
                              make_error(errc::overloaded, "too many requests in flight"));
      response.set(http::field::retry_after, "1");
    } else {
      scoped_count busy(in_flight);
      try {
        response = co_await handler(request, peer);
      } catch (const std::exception& e) {
        response = make_problem(request.version(), false,
                                make_error(errc::internal, "request handler failed"));
      }
    }
    response.keep_alive(request.keep_alive() && response.keep_alive());
    response.prepare_payload();
    stream.expires_after(limits.request_timeout);
    auto [write_ec, write_n] = co_await http::async_write(stream, response, use_tuple);
    if (write_ec || !response.keep_alive())
      break;
  }
}

}  // namespace

http_response make_response(unsigned version, bool keep_alive, http::status status,
                            std::string body, std::string_view content_type) {
  http_response res{status, version};
  res.set(http::field::server, "saphan");
  res.set(http::field::content_type, content_type);
  res.keep_alive(keep_alive);
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

http_response make_problem(unsigned version, bool keep_alive, const error& e) {
  return make_response(version, keep_alive, static_cast<http::status>(http_status(e.code)),
                       problem_json(e), "application/problem+json");
}

http_server::http_server(asio::io_context& io, std::shared_ptr<tls_context> tls, http_limits limits,
                         request_handler handler)
    // Braces, not make_shared's parentheses: clang before 16 cannot aggregate-initialise from
    // a parenthesised list (P0960), and the fuzz build (tests/fuzz) compiles this with clang 14.
    : state_(new state{io, std::move(tls), limits, std::move(handler)}) {}

http_server::~http_server() {
  stop();
}

result<std::uint16_t> http_server::listen(const std::string& address, std::uint16_t port) {
  beast::error_code ec;
  auto ip = asio::ip::make_address(address, ec);
  if (ec)
    return make_error(errc::invalid_argument, "listen address " + address + ": " + ec.message());
  auto acceptor = std::make_unique<tcp::acceptor>(asio::make_strand(state_->io));
  tcp::endpoint ep{ip, port};
  acceptor->open(ep.protocol(), ec);
  if (!ec)
    acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec)
    acceptor->bind(ep, ec);
  if (!ec)
    acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return make_error(errc::io_error, "cannot listen on " + address + ":" + std::to_string(port) +
                                          ": " + ec.message());
  }
  auto bound = acceptor->local_endpoint().port();
  state_->acceptor = std::move(acceptor);
  asio::co_spawn(state_->acceptor->get_executor(), accept_loop(state_), asio::detached);
  return bound;
}

void http_server::stop() {
  state_->stopping = true;
  if (state_->acceptor) {
    asio::post(state_->acceptor->get_executor(), [s = state_] {
      beast::error_code ignored;
      if (s->acceptor)
        s->acceptor->close(ignored);
    });
  }
}

asio::awaitable<void> http_server::accept_loop(std::shared_ptr<state> s) {
  while (!s->stopping) {
    auto [ec, socket] = co_await s->acceptor->async_accept(asio::make_strand(s->io), use_tuple);
    if (ec) {
      if (s->stopping || ec == asio::error::operation_aborted)
        co_return;
      continue;  // e.g. EMFILE: keep serving the connections we have
    }
    if (s->open_connections.load() >= s->limits.max_connections) {
      beast::error_code ignored;
      socket.close(ignored);  // shed before spending a TLS handshake on it
      continue;
    }
    socket.set_option(tcp::no_delay(true));
    auto executor = socket.get_executor();
    asio::co_spawn(executor, serve(s, std::move(socket)), asio::detached);
  }
}

asio::awaitable<void> http_server::serve(std::shared_ptr<state> s, tcp::socket socket) {
  scoped_count open(s->open_connections);
  s->accepted_connections.fetch_add(1);
  try {
    socket_stream stream(std::move(socket));
    peer_info peer;
    beast::error_code ec;
    peer.address = stream.socket().remote_endpoint(ec).address().to_string();
    if (s->tls) {
      stream.start_tls_server(s->tls->current()->native_handle());
      stream.expires_after(s->limits.handshake_timeout);
      auto [hs_ec, none] = co_await stream.async_handshake(use_tuple);
      if (hs_ec)
        co_return;
      auto member = pki::peer_member(stream.native_handle());
      if (member) {
        peer.member = *member;
      } else {
        peer.member_error = member.error().detail;
      }
      if (auto certificate = pki::peer_certificate_of(stream.native_handle())) {
        peer.certificate_fingerprint = std::move(certificate->fingerprint);
        peer.certificate_serial = std::move(certificate->serial);
      }
    }
    co_await run_session(s->limits, s->handler, s->in_flight, stream, peer);
    stream.expires_after(s->limits.handshake_timeout);
    co_await stream.async_shutdown(use_tuple);
  } catch (const std::exception&) {
    // One broken connection never ends the server.
  }
}

result<std::shared_ptr<tls_context>> make_server_tls(const pki::tls_files& files) {
  return tls_context::open(tls_context::role::server, files);
}

result<std::shared_ptr<tls_context>> make_client_tls(const pki::tls_files& files) {
  return tls_context::open(tls_context::role::client, files);
}

result<std::shared_ptr<tls_context>> make_web_server_tls(const std::string& certificate_path,
                                                         const std::string& key_path) {
  return tls_context::open(tls_context::role::web_server, {certificate_path, key_path, {}});
}

result<std::shared_ptr<tls_context>> make_web_client_tls(const std::string& ca_path) {
  return tls_context::open(tls_context::role::web_client, {{}, {}, ca_path});
}

}  // namespace saphan::net
