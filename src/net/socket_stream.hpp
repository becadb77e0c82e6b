// A TCP connection, plain or TLS, with deadlines: the one stream type the HTTP server and
// client read and write, lean enough to hold thousands of idle connections.
//
// asio::ssl::stream runs OpenSSL over memory buffers and keeps two 17 KiB record buffers for the
// connection's whole life: 34 KiB for every idle keep-alive client. Here OpenSSL reads and
// writes the non-blocking socket itself and asio only waits for readiness, so with
// SSL_MODE_RELEASE_BUFFERS an idle connection holds OpenSSL's state and nothing more, and each
// record is copied once less. One type for both plain and TLS also means Beast's HTTP code is
// instantiated once, not once per stream type.
//
// It is an AsyncReadStream and AsyncWriteStream for Beast, with the timeout interface of Beast's
// tcp_stream: expires_after / expires_at set a deadline for the operations that follow; an
// operation still waiting for the socket when it passes closes the socket and ends with
// beast::error::timeout. One operation at a time, on the socket's executor.
#pragma once

#include <openssl/ssl.h>

#include <algorithm>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

namespace saphan::net {

class socket_stream {
 public:
  using socket_type = boost::asio::ip::tcp::socket;
  using executor_type = socket_type::executor_type;
  using error_code = boost::system::error_code;
  using clock = std::chrono::steady_clock;

  // An unconnected stream (async_connect next), or one over an accepted socket.
  explicit socket_stream(executor_type executor);
  explicit socket_stream(socket_type socket);
  socket_stream(socket_stream&&) = default;
  socket_stream& operator=(socket_stream&&) = default;

  // Makes the connection TLS: the server side of `context` for an accepted socket, or the client
  // side after async_connect. OpenSSL failures (out of memory) make every operation fail.
  void start_tls_server(SSL_CTX* context);
  void start_tls_client(SSL_CTX* context);

  executor_type get_executor() { return state_->socket.get_executor(); }
  socket_type& socket() { return state_->socket; }
  // The TLS connection, for certificates and peer names; null while plain.
  SSL* native_handle() { return state_->ssl.get(); }

  void expires_after(clock::duration timeout) { state_->expiry = clock::now() + timeout; }
  void expires_at(clock::time_point when) { state_->expiry = when; }
  void expires_never() { state_->expiry = clock::time_point::max(); }

  // Completion of every operation: void(error_code, std::size_t); the size counts bytes read or
  // written and is 0 for the others.
  template <class Token>
  auto async_connect(const boost::asio::ip::tcp::endpoint& to, Token&& token) {
    return start(connect_step{to}, std::forward<Token>(token));
  }

  template <class Token>
  auto async_handshake(Token&& token) {
    return start(handshake_step{}, std::forward<Token>(token));
  }

  // TLS: sends close_notify without waiting for the peer's; then, plain or not, no more sends.
  template <class Token>
  auto async_shutdown(Token&& token) {
    return start(shutdown_step{}, std::forward<Token>(token));
  }

  template <class MutableBuffers, class Token>
  auto async_read_some(const MutableBuffers& buffers, Token&& token) {
    return start(read_step{first_buffer<boost::asio::mutable_buffer>(buffers)},
                 std::forward<Token>(token));
  }

  // Writes the leading buffers together, up to 64 KiB: Beast hands over an HTTP header as one
  // buffer per field, and one write per buffer would mean a TLS record and a packet each.
  template <class ConstBuffers, class Token>
  auto async_write_some(const ConstBuffers& buffers, Token&& token) {
    return start(write_step::gather(buffers), std::forward<Token>(token));
  }

 private:
  struct ssl_free {
    void operator()(SSL* ssl) const { SSL_free(ssl); }
  };

  // Shared with pending operations and the deadline's handler, which may outlive the stream.
  struct state {
    explicit state(socket_type s);
    socket_type socket;
    std::unique_ptr<SSL, ssl_free> ssl;
    bool tls_failed = false;  // TLS was asked for and could not be set up
    boost::asio::steady_timer deadline;
    clock::time_point expiry = clock::time_point::max();
    std::uint64_t armed = 0;  // the operation the deadline watches; 0: none
    std::uint64_t operations = 0;
    bool timed_out = false;
  };

  // What one attempt says comes next.
  enum class next { done, wait_read, wait_write };
  struct outcome {
    next what;
    error_code ec;
    std::size_t bytes;
  };

  // One attempt of each operation, on the non-blocking socket.
  struct connect_step {
    boost::asio::ip::tcp::endpoint to;
    mutable bool started = false;
    outcome operator()(state& s) const;
  };
  struct handshake_step {
    outcome operator()(state& s) const;
  };
  struct shutdown_step {
    outcome operator()(state& s) const;
  };
  struct read_step {
    boost::asio::mutable_buffer buffer;
    outcome operator()(state& s) const;
  };
  struct write_step {
    static constexpr std::size_t max_gathered = 64 * 1024;
    boost::asio::const_buffer buffer;  // the caller's first buffer, or `gathered`
    std::unique_ptr<char[]> gathered;
    outcome operator()(state& s) const;

    template <class Sequence>
    static write_step gather(const Sequence& buffers) {
      auto first = first_buffer<boost::asio::const_buffer>(buffers);
      const auto total = boost::asio::buffer_size(buffers);
      if (first.size() == total || first.size() >= max_gathered)
        return {first, nullptr};
      const auto size = std::min(total, max_gathered);
      auto copy = std::make_unique<char[]>(size);
      boost::asio::buffer_copy(boost::asio::buffer(copy.get(), size), buffers);
      return {boost::asio::const_buffer(copy.get(), size), std::move(copy)};
    }
  };

  static std::optional<outcome> unusable(const state& s);
  static outcome from_openssl(const state& s, int ret, std::size_t bytes);
  static outcome from_socket(const error_code& ec, std::size_t bytes, next wait);
  void start_tls(SSL_CTX* context, bool server);

  template <class Buffer, class Sequence>
  static Buffer first_buffer(const Sequence& buffers) {
    for (auto it = boost::asio::buffer_sequence_begin(buffers);
         it != boost::asio::buffer_sequence_end(buffers); ++it) {
      Buffer b(*it);
      if (b.size() > 0)
        return b;
    }
    return Buffer();
  }

  // Arms the deadline for operation `id` before its first wait; false when it has passed.
  static bool arm_deadline(const std::shared_ptr<state>& s, std::uint64_t id);
  static void disarm_deadline(state& s, std::uint64_t id);
  static error_code timeout_error();

  // Repeats `step` until it is done, waiting for the socket in between. A result the first
  // attempt gives at once is delivered through the executor, never from inside the initiating
  // call, as asio requires.
  template <class Step>
  struct operation {
    std::shared_ptr<state> s;
    Step step;
    std::uint64_t id = 0;
    std::optional<outcome> finished;

    template <class Self>
    void operator()(Self& self, error_code wait_ec = {}) {
      if (finished) {
        self.complete(finished->ec, finished->bytes);
        return;
      }
      const bool first = id == 0;
      if (first)
        id = ++s->operations;
      outcome result =
          wait_ec ? outcome{next::done, s->timed_out ? timeout_error() : wait_ec, 0} : step(*s);
      if (result.what != next::done) {
        if (arm_deadline(s, id)) {
          s->socket.async_wait(
              result.what == next::wait_read ? socket_type::wait_read : socket_type::wait_write,
              std::move(self));
          return;
        }
        result = {next::done, timeout_error(), 0};
      }
      disarm_deadline(*s, id);
      if (first) {
        finished = result;
        boost::asio::post(std::move(self));
        return;
      }
      self.complete(result.ec, result.bytes);
    }
  };

  template <class Step, class Token>
  auto start(Step step, Token&& token) {
    return boost::asio::async_compose<Token, void(error_code, std::size_t)>(
        operation<Step>{state_, std::move(step)}, token, state_->socket);
  }

  std::shared_ptr<state> state_;
};

// Tries each resolved address in turn (e.g. "localhost": ::1, then 127.0.0.1) until one connects
// or the stream's deadline passes. The error is the last address's, or beast::error::timeout.
boost::asio::awaitable<socket_stream::error_code> connect_to_any(
    socket_stream& stream, const boost::asio::ip::tcp::resolver::results_type& addresses);

}  // namespace saphan::net
