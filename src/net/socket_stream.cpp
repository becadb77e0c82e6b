#include "net/socket_stream.hpp"

#include <openssl/err.h>
#include <sys/socket.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <cerrno>
#include <csignal>
#include <mutex>
#include <tuple>

namespace saphan::net {

namespace asio = boost::asio;

socket_stream::state::state(socket_type s)
    : socket(std::move(s)), deadline(socket.get_executor()) {}

socket_stream::socket_stream(executor_type executor)
    : state_(std::make_shared<state>(socket_type(std::move(executor)))) {}

socket_stream::socket_stream(socket_type socket)
    : state_(std::make_shared<state>(std::move(socket))) {
  error_code ignored;
  state_->socket.non_blocking(true, ignored);
}

void socket_stream::start_tls_server(SSL_CTX* context) {
  start_tls(context, true);
}

void socket_stream::start_tls_client(SSL_CTX* context) {
  start_tls(context, false);
}

void socket_stream::start_tls(SSL_CTX* context, bool server) {
  // OpenSSL writes to the socket itself, with write(2): a peer that has gone must not end the
  // process with SIGPIPE (asio's own sends pass MSG_NOSIGNAL instead).
  static std::once_flag ignore_sigpipe;
  std::call_once(ignore_sigpipe, [] { std::signal(SIGPIPE, SIG_IGN); });
  state_->tls_failed = true;
  state_->ssl.reset(SSL_new(context));
  if (!state_->ssl || !state_->socket.is_open())
    return;
  if (SSL_set_fd(state_->ssl.get(), static_cast<int>(state_->socket.native_handle())) != 1)
    return;
  if (server) {
    SSL_set_accept_state(state_->ssl.get());
  } else {
    SSL_set_connect_state(state_->ssl.get());
  }
  // A write that must wait is retried from the same bytes, which may have moved with the operation.
  SSL_set_mode(state_->ssl.get(), SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  // Read a record and whatever follows it in one system call, rather than header, then body.
  SSL_set_read_ahead(state_->ssl.get(), 1);
  state_->tls_failed = false;
}

socket_stream::error_code socket_stream::timeout_error() {
  return boost::beast::error::timeout;
}

bool socket_stream::arm_deadline(const std::shared_ptr<state>& s, std::uint64_t id) {
  if (s->armed == id || s->expiry == clock::time_point::max())
    return true;
  if (s->expiry <= clock::now())
    return false;
  s->armed = id;
  s->deadline.expires_at(s->expiry);
  s->deadline.async_wait([weak = std::weak_ptr<state>(s), id](error_code ec) {
    auto alive = weak.lock();
    if (ec || !alive || alive->armed != id)
      return;
    // Closing the socket ends the pending wait, and the operation reports the timeout.
    alive->timed_out = true;
    error_code ignored;
    alive->socket.close(ignored);
  });
  return true;
}

void socket_stream::disarm_deadline(state& s, std::uint64_t id) {
  if (s.armed != id)
    return;
  s.armed = 0;
  s.deadline.cancel();
}

// A stream whose socket was closed (on a timeout) does nothing more: the descriptor number
// OpenSSL holds may already belong to another connection.
std::optional<socket_stream::outcome> socket_stream::unusable(const state& s) {
  if (!s.socket.is_open())
    return outcome{next::done, s.timed_out ? timeout_error() : asio::error::bad_descriptor, 0};
  if (s.tls_failed)
    return outcome{next::done, asio::error::no_memory, 0};
  return std::nullopt;
}

socket_stream::outcome socket_stream::from_socket(const error_code& ec, std::size_t bytes,
                                                  next wait) {
  if (ec == asio::error::would_block || ec == asio::error::try_again)
    return {wait, {}, 0};
  return {next::done, ec, bytes};
}

// Maps what one OpenSSL call on the non-blocking socket returned: done, wait for the socket, or
// an error in the terms Beast and the server expect (eof, stream_truncated, system errors).
socket_stream::outcome socket_stream::from_openssl(const state& s, int ret, std::size_t bytes) {
  const int saved_errno = errno;
  if (ret == 1)
    return {next::done, {}, bytes};
  switch (SSL_get_error(s.ssl.get(), ret)) {
    case SSL_ERROR_WANT_READ:
      return {next::wait_read, {}, 0};
    case SSL_ERROR_WANT_WRITE:
      return {next::wait_write, {}, 0};
    case SSL_ERROR_ZERO_RETURN:
      return {next::done, asio::error::eof, 0};
    case SSL_ERROR_SYSCALL:
      ERR_clear_error();
      if (saved_errno == 0)
        return {next::done, asio::ssl::error::stream_truncated, 0};
      return {next::done, {saved_errno, boost::system::system_category()}, 0};
    default: {
      const unsigned long code = ERR_get_error();
      ERR_clear_error();
      if (ERR_GET_REASON(code) == SSL_R_UNEXPECTED_EOF_WHILE_READING)
        return {next::done, asio::ssl::error::stream_truncated, 0};
      return {next::done, {static_cast<int>(code), asio::error::get_ssl_category()}, 0};
    }
  }
}

socket_stream::outcome socket_stream::connect_step::operator()(state& s) const {
  error_code ec;
  if (!started) {
    started = true;
    if (s.socket.is_open())
      s.socket.close(ec);  // an earlier address that failed
    s.socket.open(to.protocol(), ec);
    if (!ec)
      s.socket.non_blocking(true, ec);
    if (ec)
      return {next::done, ec, 0};
    // connect(2) itself: asio's synchronous connect would sit in poll() until the connection is
    // made, and its asynchronous one would need a second kind of operation here.
    if (::connect(s.socket.native_handle(), to.data(), static_cast<socklen_t>(to.size())) == 0)
      return {next::done, {}, 0};
    if (errno != EINPROGRESS)
      return {next::done, {errno, boost::system::system_category()}, 0};
    return {next::wait_write, {}, 0};
  }
  if (!s.socket.is_open())
    return {next::done, s.timed_out ? timeout_error() : asio::error::bad_descriptor, 0};
  // Writable: the connection is made or has failed; SO_ERROR says which.
  int failure = 0;
  socklen_t length = sizeof failure;
  if (::getsockopt(s.socket.native_handle(), SOL_SOCKET, SO_ERROR, &failure, &length) != 0)
    failure = errno;
  if (failure != 0)
    return {next::done, {failure, boost::system::system_category()}, 0};
  return {next::done, {}, 0};
}

socket_stream::outcome socket_stream::handshake_step::operator()(state& s) const {
  if (auto refused = unusable(s))
    return *refused;
  if (!s.ssl)
    return {next::done, {}, 0};  // plain: nothing to agree on
  ERR_clear_error();
  errno = 0;
  const int ret = SSL_do_handshake(s.ssl.get());
  return from_openssl(s, ret, 0);
}

socket_stream::outcome socket_stream::shutdown_step::operator()(state& s) const {
  if (auto refused = unusable(s))
    return *refused;
  if (s.ssl) {
    ERR_clear_error();
    errno = 0;
    const int ret = SSL_shutdown(s.ssl.get());
    if (ret < 0) {
      auto result = from_openssl(s, ret, 0);
      if (result.what == next::wait_write || result.what == next::done)
        return result;
      // wait_read: only the peer's close_notify is missing, and it is not waited for.
    }
  }
  error_code ignored;
  s.socket.shutdown(socket_type::shutdown_send, ignored);
  return {next::done, {}, 0};
}

socket_stream::outcome socket_stream::read_step::operator()(state& s) const {
  if (auto refused = unusable(s))
    return *refused;
  if (buffer.size() == 0)
    return {next::done, {}, 0};
  if (!s.ssl) {
    error_code ec;
    const auto n = s.socket.read_some(buffer, ec);
    return from_socket(ec, n, next::wait_read);
  }
  ERR_clear_error();
  errno = 0;
  std::size_t n = 0;
  const int ret = SSL_read_ex(s.ssl.get(), buffer.data(), buffer.size(), &n);
  return from_openssl(s, ret, n);
}

socket_stream::outcome socket_stream::write_step::operator()(state& s) const {
  if (auto refused = unusable(s))
    return *refused;
  if (buffer.size() == 0)
    return {next::done, {}, 0};
  if (!s.ssl) {
    error_code ec;
    const auto n = s.socket.write_some(buffer, ec);
    return from_socket(ec, n, next::wait_write);
  }
  ERR_clear_error();
  errno = 0;
  std::size_t n = 0;
  const int ret = SSL_write_ex(s.ssl.get(), buffer.data(), buffer.size(), &n);
  return from_openssl(s, ret, n);
}

asio::awaitable<socket_stream::error_code> connect_to_any(
    socket_stream& stream, const asio::ip::tcp::resolver::results_type& addresses) {
  socket_stream::error_code ec = asio::error::host_not_found;
  for (const auto& entry : addresses) {
    std::tie(ec, std::ignore) =
        co_await stream.async_connect(entry.endpoint(), asio::as_tuple(asio::use_awaitable));
    if (!ec || ec == boost::beast::error::timeout)
      break;
  }
  co_return ec;
}

}  // namespace saphan::net
