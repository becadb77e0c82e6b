// The pooled HTTP(S) client half of net/http.hpp.
#include "net/http.hpp"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "pki/pki.hpp"

namespace saphan::net {
namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

error connect_failure(const beast::error_code& ec, std::string_view step, const endpoint& to) {
  auto where = to.host + ":" + std::to_string(to.port);
  if (ec == beast::error::timeout) {
    return make_error(errc::provider_timeout, std::string(step) + " " + where + " timed out");
  }
  return make_error(errc::provider_unreachable,
                    std::string(step) + " " + where + " failed: " + ec.message());
}

}  // namespace

http_client::http_client(asio::any_io_executor executor, std::shared_ptr<tls_context> tls,
                         http_limits limits, std::size_t max_idle_per_endpoint,
                         peer_check check_peer)
    : executor_(std::move(executor)),
      tls_(std::move(tls)),
      check_peer_(std::move(check_peer)),
      limits_(limits),
      max_idle_(max_idle_per_endpoint),
      kept_idle_(limits.idle_timeout * 9 / 10) {}

std::optional<http_client::pooled> http_client::take_idle(const std::string& key) {
  std::lock_guard lock(mutex_);
  auto it = idle_.find(key);
  if (it == idle_.end())
    return std::nullopt;
  close_stale(it->second, std::chrono::steady_clock::now());
  while (!it->second.empty()) {
    auto c = std::move(it->second.back());
    it->second.pop_back();
    if (reusable(c))
      return c;
  }
  return std::nullopt;
}

bool http_client::reusable(pooled& c) {
  SSL* connection = c.stream.native_handle();
  if (connection == nullptr || !tls_)
    return true;  // plain HTTP
  if (c.tls_generation != tls_->generation())
    return false;
  return !check_peer_ || check_peer_(connection).has_value();
}

void http_client::close_stale(pool& connections, std::chrono::steady_clock::time_point now) const {
  auto fresh = std::find_if(connections.begin(), connections.end(),
                            [&](const pooled& c) { return now - c.idle_since < kept_idle_; });
  connections.erase(connections.begin(), fresh);  // closes their sockets
}

void http_client::close_stale() {
  std::lock_guard lock(mutex_);
  const auto now = std::chrono::steady_clock::now();
  for (auto it = idle_.begin(); it != idle_.end();) {
    close_stale(it->second, now);
    it = it->second.empty() ? idle_.erase(it) : std::next(it);
  }
}

void http_client::drop_idle(const std::string& key) {
  std::lock_guard lock(mutex_);
  idle_.erase(key);
}

void http_client::give_back(const std::string& key, socket_stream c, std::uint64_t tls_generation) {
  std::lock_guard lock(mutex_);
  const auto now = std::chrono::steady_clock::now();  // under the lock: the pool stays in order
  if (tls_ && tls_generation != tls_->generation())
    return;  // made with a certificate a rotation replaced: closed, not pooled
  auto& connections = idle_[key];
  close_stale(connections, now);
  if (connections.size() < max_idle_)
    connections.push_back(pooled{std::move(c), now, tls_generation});
}

asio::awaitable<result<socket_stream>> http_client::connect(
    const endpoint& to, std::chrono::steady_clock::time_point deadline) {
  tcp::resolver resolver(executor_);
  auto [resolve_ec, results] =
      co_await resolver.async_resolve(to.host, std::to_string(to.port), use_tuple);
  if (resolve_ec)
    co_return connect_failure(resolve_ec, "resolve", to);
  if (to.tls && !tls_)
    co_return make_error(errc::internal, "no TLS context for " + to.host);
  socket_stream stream(asio::make_strand(executor_));
  stream.expires_at(deadline);
  auto ec = co_await connect_to_any(stream, results);
  if (ec)
    co_return connect_failure(ec, "connect", to);
  stream.socket().set_option(tcp::no_delay(true), ec);
  if (!to.tls)
    co_return stream;
  stream.start_tls_client(tls_->current()->native_handle());
  // The server's certificate must name the host we dialled.
  if (auto named = pki::set_peer_host(stream.native_handle(), to.host); !named) {
    co_return std::move(named).error();
  }
  auto [hs_ec, none] = co_await stream.async_handshake(use_tuple);
  if (hs_ec)
    co_return connect_failure(hs_ec, "TLS handshake with", to);
  // And the member it must be: a certificate of the same CA for another member is refused.
  if (to.member) {
    if (auto named = pki::require_peer_member(stream.native_handle(), *to.member); !named) {
      co_return make_error(named.error().code,
                           to.host + ":" + std::to_string(to.port) + ": " + named.error().detail);
    }
  }
  if (check_peer_) {
    if (auto checked = check_peer_(stream.native_handle()); !checked)
      co_return checked.error();
  }
  co_return stream;
}

namespace {

asio::awaitable<std::pair<beast::error_code, bool>> round_trip(
    socket_stream& stream, http_request& request, http::response_parser<http::string_body>& parser,
    std::chrono::steady_clock::time_point deadline) {
  stream.expires_at(deadline);
  auto [write_ec, written] = co_await http::async_write(stream, request, use_tuple);
  if (write_ec)
    co_return std::pair{write_ec, false};
  beast::flat_buffer buffer;
  auto [read_ec, read] = co_await http::async_read(stream, buffer, parser, use_tuple);
  co_return std::pair{read_ec, read > 0 || parser.got_some()};
}

}  // namespace

asio::awaitable<result<http_response>> http_client::send(const endpoint& to, http_request request,
                                                         std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  // Pooled by where and by whom: a connection to one member is never reused for another.
  const auto key = (to.tls ? "https://" : "http://") + to.host + ":" + std::to_string(to.port) +
                   (to.member ? "#" + to_string(*to.member) : std::string());
  request.set(http::field::host, to.host + ":" + std::to_string(to.port));
  request.keep_alive(true);
  request.prepare_payload();

  // A kept-alive connection may have been closed by the server meanwhile: if it fails before
  // any answer arrives, try once more on a fresh connection.
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto c = take_idle(key);
    const bool reused = c.has_value();
    if (!c) {
      const auto generation = tls_ ? tls_->generation() : 0;  // before the context is taken
      auto fresh = co_await connect(to, deadline);
      if (!fresh)
        co_return std::move(fresh).error();
      c.emplace(pooled{std::move(*fresh), {}, generation});
    }
    http::response_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(limits_.max_header_bytes));
    parser.body_limit(limits_.max_body_bytes);
    auto [ec, answered] = co_await round_trip(c->stream, request, parser, deadline);
    if (ec) {
      if (reused && !answered && ec != beast::error::timeout) {
        // The server went away since this connection was pooled; the others pooled with it
        // are most likely dead too, so the retry dials a fresh one instead of trying them all.
        drop_idle(key);
        continue;
      }
      if (ec == beast::error::timeout) {
        co_return make_error(errc::provider_timeout, key + " did not answer within " +
                                                         std::to_string(timeout.count()) + " ms");
      }
      if (ec == http::error::body_limit) {
        co_return make_error(errc::payload_too_large, key + " answered over the body limit");
      }
      co_return make_error(answered ? errc::provider_error : errc::provider_unreachable,
                           key + ": " + ec.message());
    }
    auto response = parser.release();
    if (response.keep_alive())
      give_back(key, std::move(c->stream), c->tls_generation);
    co_return response;
  }
  co_return make_error(errc::provider_unreachable, key + ": connection lost");
}

}  // namespace saphan::net
