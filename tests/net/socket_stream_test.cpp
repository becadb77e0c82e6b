// socket_stream on real loopback sockets: plain and TLS 1.3 with the pki contexts, gathered
// writes, deadlines, refused connections.
#include "net/socket_stream.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <catch2/catch.hpp>
#include <string>

#include "tests/pki/pki_test_support.hpp"

using namespace saphan;
using saphan::net::socket_stream;
using saphan::pki::test::make_member;
using saphan::pki::test::temp_dir;

namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr auto test_deadline = std::chrono::seconds(5);

// A listening socket on 127.0.0.1 and a random port.
struct listener {
  asio::io_context& io;
  tcp::acceptor acceptor{io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)};
  tcp::endpoint endpoint() const { return acceptor.local_endpoint(); }
};

// Runs each body as a coroutine on `io` until all end or the test deadline passes; false if one
// did not end (a hang fails the test instead of stalling the suite). A failed assertion inside
// a body comes out of io.run_for as the test's failure.
template <class... Bodies>
bool run(asio::io_context& io, Bodies... bodies) {
  std::size_t finished = 0;
  auto rethrow = [](std::exception_ptr e) {
    if (e)
      std::rethrow_exception(e);
  };
  (asio::co_spawn(
       io,
       [&finished, body = std::move(bodies)]() -> asio::awaitable<void> {
         co_await body();
         ++finished;
       },
       rethrow),
   ...);
  io.run_for(test_deadline);
  return finished == sizeof...(Bodies);
}

asio::awaitable<std::string> read_exactly(socket_stream& stream, std::size_t size) {
  std::string data(size, '\0');
  std::size_t got = 0;
  while (got < size) {
    auto [ec, n] =
        co_await stream.async_read_some(asio::buffer(data.data() + got, size - got), use_tuple);
    if (ec)
      break;
    got += n;
  }
  data.resize(got);
  co_return data;
}

const member_id consumer = make_member("JFO", "legal-aid");

struct tls_pair {
  temp_dir dir;
  asio::ssl::context server{asio::ssl::context::tls_server};
  asio::ssl::context client{asio::ssl::context::tls_client};

  tls_pair() {
    SAPHAN_REQUIRE_OK(pki::create_ca(dir / "ca", "Saphan Test CA", 30));
    SAPHAN_REQUIRE_OK(
        pki::issue_certificate(dir / "ca", make_member("SAPHAN", "hub"), dir / "hub", 10));
    SAPHAN_REQUIRE_OK(pki::issue_certificate(dir / "ca", consumer, dir / "consumer", 10));
    SAPHAN_REQUIRE_OK(pki::configure_server_context(
        server.native_handle(), {dir / "hub.crt", dir / "hub.key", dir / "ca/ca.crt"}));
    SAPHAN_REQUIRE_OK(pki::configure_client_context(
        client.native_handle(), {dir / "consumer.crt", dir / "consumer.key", dir / "ca/ca.crt"}));
  }
};

}  // namespace

TEST_CASE("plain: a write of several buffers goes out in one piece and arrives whole", "[net]") {
  asio::io_context io;
  listener server{io};
  std::size_t written = 0;
  std::string received;
  error_code connect_ec;
  REQUIRE(run(io, [&]() -> asio::awaitable<void> {
    socket_stream client(io.get_executor());
    std::tie(connect_ec, std::ignore) = co_await client.async_connect(server.endpoint(), use_tuple);
    auto [accept_ec, accepted] = co_await server.acceptor.async_accept(use_tuple);
    REQUIRE_FALSE(accept_ec);
    socket_stream peer(std::move(accepted));
    const std::string head = "HTTP/1.1 200 OK\r\n", field = "Server: saphan\r\n\r\n",
                      body(3000, 'x');
    std::array<asio::const_buffer, 4> pieces{asio::buffer(head), asio::const_buffer(),
                                             asio::buffer(field), asio::buffer(body)};
    auto [write_ec, n] = co_await client.async_write_some(pieces, use_tuple);
    CHECK_FALSE(write_ec);
    written = n;
    received = co_await read_exactly(peer, head.size() + field.size() + body.size());
  }));
  CHECK_FALSE(connect_ec);
  CHECK(written == received.size());
  CHECK(received.size() == 17 + 18 + 3000);
  CHECK(received.rfind("HTTP/1.1 200 OK\r\nServer: saphan\r\n\r\nxxx", 0) == 0);
}

TEST_CASE("TLS: handshake, the client's member, data both ways, close_notify read as eof",
          "[net]") {
  tls_pair contexts;
  asio::io_context io;
  listener server{io};
  std::optional<result<member_id>> peer_member;
  std::string request, answer;
  error_code client_handshake, server_handshake, end_of_stream;
  socket_stream client(io.get_executor());
  std::optional<socket_stream> peer;
  auto client_side = [&]() -> asio::awaitable<void> {
    auto [connect_ec, none] = co_await client.async_connect(server.endpoint(), use_tuple);
    REQUIRE_FALSE(connect_ec);
    client.start_tls_client(contexts.client.native_handle());
    SAPHAN_REQUIRE_OK(pki::set_peer_host(client.native_handle(), "127.0.0.1"));
    std::tie(client_handshake, std::ignore) = co_await client.async_handshake(use_tuple);
    REQUIRE_FALSE(client_handshake);
    co_await client.async_write_some(asio::buffer(std::string_view("ping")), use_tuple);
    answer = co_await read_exactly(client, 4);
    char byte = 0;
    std::tie(end_of_stream, std::ignore) =
        co_await client.async_read_some(asio::buffer(&byte, 1), use_tuple);
  };
  auto server_side = [&]() -> asio::awaitable<void> {
    auto [accept_ec, accepted] = co_await server.acceptor.async_accept(use_tuple);
    REQUIRE_FALSE(accept_ec);
    peer.emplace(std::move(accepted));
    peer->start_tls_server(contexts.server.native_handle());
    std::tie(server_handshake, std::ignore) = co_await peer->async_handshake(use_tuple);
    REQUIRE_FALSE(server_handshake);
    peer_member = pki::peer_member(peer->native_handle());
    request = co_await read_exactly(*peer, 4);
    co_await peer->async_write_some(asio::buffer(std::string_view("pong")), use_tuple);
    co_await peer->async_shutdown(use_tuple);
  };
  REQUIRE(run(io, client_side, server_side));
  CHECK_FALSE(server_handshake);
  CHECK(request == "ping");
  CHECK(answer == "pong");
  REQUIRE(peer_member.has_value());
  REQUIRE(peer_member->has_value());
  CHECK(**peer_member == consumer);
  CHECK(end_of_stream == asio::error::eof);
}

TEST_CASE("a read past its deadline ends with timeout, closes the socket, and stays failed",
          "[net]") {
  asio::io_context io;
  listener server{io};
  error_code first, second;
  bool open_after = true;
  std::chrono::steady_clock::duration waited{};
  REQUIRE(run(io, [&]() -> asio::awaitable<void> {
    socket_stream client(io.get_executor());
    co_await client.async_connect(server.endpoint(), use_tuple);
    auto [accept_ec, accepted] = co_await server.acceptor.async_accept(use_tuple);
    socket_stream peer(std::move(accepted));
    peer.expires_after(std::chrono::milliseconds(100));
    const auto started = std::chrono::steady_clock::now();
    char byte = 0;
    std::tie(first, std::ignore) = co_await peer.async_read_some(asio::buffer(&byte, 1), use_tuple);
    waited = std::chrono::steady_clock::now() - started;
    open_after = peer.socket().is_open();
    peer.expires_never();
    std::tie(second, std::ignore) =
        co_await peer.async_read_some(asio::buffer(&byte, 1), use_tuple);
  }));
  CHECK(first == boost::beast::error::timeout);
  CHECK(waited >= std::chrono::milliseconds(100));
  CHECK(waited < std::chrono::seconds(2));
  CHECK_FALSE(open_after);
  CHECK(second == boost::beast::error::timeout);
}

TEST_CASE("a deadline that has passed fails the next wait at once; data on hand is still read",
          "[net]") {
  asio::io_context io;
  listener server{io};
  error_code with_data, without_data;
  std::size_t read = 0;
  REQUIRE(run(io, [&]() -> asio::awaitable<void> {
    socket_stream client(io.get_executor());
    co_await client.async_connect(server.endpoint(), use_tuple);
    auto [accept_ec, accepted] = co_await server.acceptor.async_accept(use_tuple);
    socket_stream peer(std::move(accepted));
    co_await client.async_write_some(asio::buffer(std::string_view("abc")), use_tuple);
    // Let the bytes reach the peer's socket before its deadline is already over.
    asio::steady_timer pause(io, std::chrono::milliseconds(50));
    co_await pause.async_wait(use_tuple);
    peer.expires_after(std::chrono::milliseconds(0));
    std::array<char, 8> buffer{};
    std::tie(with_data, read) = co_await peer.async_read_some(asio::buffer(buffer), use_tuple);
    std::tie(without_data, std::ignore) =
        co_await peer.async_read_some(asio::buffer(buffer), use_tuple);
  }));
  CHECK_FALSE(with_data);
  CHECK(read == 3);
  CHECK(without_data == boost::beast::error::timeout);
}

TEST_CASE("connecting to a port nobody listens on is refused", "[net]") {
  asio::io_context io;
  tcp::endpoint closed;
  {
    listener probe{io};
    closed = probe.endpoint();
  }  // closed again: nobody listens there now
  error_code ec;
  REQUIRE(run(io, [&]() -> asio::awaitable<void> {
    socket_stream client(io.get_executor());
    client.expires_after(std::chrono::seconds(2));
    std::tie(ec, std::ignore) = co_await client.async_connect(closed, use_tuple);
  }));
  CHECK(ec == asio::error::connection_refused);
}
