// http_server and the pooled http_client over mutual TLS on loopback: keep-alive, reuse, and the
// retry when a pooled connection has been closed by the server.
#include "net/http.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <catch2/catch.hpp>
#include <thread>

#include "tests/pki/pki_test_support.hpp"

using namespace saphan;
using saphan::pki::test::make_member;
using saphan::pki::test::temp_dir;

namespace {

namespace asio = net::asio;
namespace http = net::http;

const member_id consumer = make_member("JFO", "legal-aid");

// A hub-like TLS server on 127.0.0.1 that answers every request with the caller's member,
// counting the requests, on its own I/O thread.
struct tls_server {
  temp_dir dir;
  asio::io_context io;
  std::atomic<int> requests{0};
  std::unique_ptr<net::http_server> server;
  std::uint16_t port = 0;
  std::thread thread;

  explicit tls_server(net::http_limits limits) {
    SAPHAN_REQUIRE_OK(pki::create_ca(dir / "ca", "Saphan Test CA", 30));
    SAPHAN_REQUIRE_OK(
        pki::issue_certificate(dir / "ca", make_member("SAPHAN", "hub"), dir / "hub", 10));
    SAPHAN_REQUIRE_OK(pki::issue_certificate(dir / "ca", consumer, dir / "consumer", 10));
    auto tls = net::make_server_tls({dir / "hub.crt", dir / "hub.key", dir / "ca/ca.crt"});
    REQUIRE(tls);
    server = std::make_unique<net::http_server>(
        io, *tls, limits,
        [this](net::http_request& request,
               const net::peer_info& peer) -> asio::awaitable<net::http_response> {
          ++requests;
          co_return net::make_response(request.version(), request.keep_alive(), http::status::ok,
                                       peer.member ? to_string(*peer.member) : "", "text/plain");
        });
    auto bound = server->listen("127.0.0.1", 0);
    REQUIRE(bound);
    port = *bound;
    thread = std::thread([this] { io.run(); });
  }

  ~tls_server() {
    server->stop();
    io.stop();
    thread.join();
  }

  std::shared_ptr<asio::ssl::context> client_tls() {
    auto tls =
        net::make_client_tls({dir / "consumer.crt", dir / "consumer.key", dir / "ca/ca.crt"});
    REQUIRE(tls);
    return *tls;
  }
};

net::http_request get(const std::string& target) {
  return net::http_request{http::verb::get, target, 11};
}

// One request through `client`, running `io` until it is answered (at most 20 s).
result<net::http_response> send_once(asio::io_context& io, net::http_client& client,
                                     const net::endpoint& to) {
  std::optional<result<net::http_response>> answer;
  io.restart();
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        answer = co_await client.send(to, get("/n"), std::chrono::seconds(5));
      },
      asio::detached);
  io.run_for(std::chrono::seconds(20));
  if (!answer)
    return make_error(errc::internal, "no answer within 20 s");
  return std::move(*answer);
}

// Sends the requests one after another through one client, pausing `pause` between them.
// `open_at_end`: the server's open connections once the last answer is in, while the client
// still holds its pool.
std::vector<result<net::http_response>> send_in_turn(tls_server& server, int count,
                                                     std::chrono::milliseconds pause,
                                                     std::size_t* open_at_end = nullptr,
                                                     net::http_limits client_limits = {}) {
  asio::io_context io;
  net::http_client client(io.get_executor(), server.client_tls(), client_limits);
  const net::endpoint to{"127.0.0.1", server.port, true};
  std::vector<result<net::http_response>> answers;
  for (int i = 0; i < count; ++i) {
    if (i > 0)
      std::this_thread::sleep_for(pause);
    answers.push_back(send_once(io, client, to));
  }
  if (open_at_end)
    *open_at_end = server.server->open_connections();
  return answers;
}

}  // namespace

TEST_CASE("the client keeps its TLS connection alive: three requests, one connection", "[net]") {
  tls_server server(net::http_limits{});
  std::size_t open = 0;
  auto answers = send_in_turn(server, 3, std::chrono::milliseconds(0), &open);
  REQUIRE(answers.size() == 3);
  for (const auto& answer : answers) {
    REQUIRE(answer);
    CHECK(answer->result() == http::status::ok);
    CHECK(answer->body() == to_string(consumer));
  }
  CHECK(server.requests == 3);
  CHECK(open == 1);
  CHECK(server.server->accepted_connections() == 1);
}

TEST_CASE("a pooled connection the server closed as idle is replaced, and the request succeeds",
          "[net]") {
  net::http_limits limits;
  limits.idle_timeout = std::chrono::milliseconds(200);
  tls_server server(limits);
  auto answers = send_in_turn(server, 2, std::chrono::milliseconds(600));
  REQUIRE(answers.size() == 2);
  REQUIRE(answers[0]);
  INFO((answers[1] ? "ok" : answers[1].error().detail));
  REQUIRE(answers[1]);
  CHECK(answers[1]->body() == to_string(consumer));
  CHECK(server.requests == 2);
  CHECK(server.server->accepted_connections() == 2);
}

TEST_CASE("the client closes a pooled connection idle past its idle timeout instead of reusing it",
          "[net]") {
  tls_server server(net::http_limits{});  // the server would keep it open for 30 s
  net::http_limits client_limits;
  client_limits.idle_timeout = std::chrono::milliseconds(200);
  std::size_t open = 0;
  auto answers = send_in_turn(server, 3, std::chrono::milliseconds(400), &open, client_limits);
  REQUIRE(answers.size() == 3);
  for (const auto& answer : answers)
    CHECK(answer);
  CHECK(server.requests == 3);
  CHECK(server.server->accepted_connections() == 3);
  // Closed, not left behind: by the last answer the server had seen at least the first one go
  // (closed 400 ms before), while the client still held its pool.
  CHECK(open <= 2);
}

// An endpoint nobody calls any more: its owner's housekeeping closes what its pool still holds.
TEST_CASE("close_stale closes the pooled connections idle too long of every endpoint", "[net]") {
  tls_server server(net::http_limits{});
  net::http_limits client_limits;
  client_limits.idle_timeout = std::chrono::milliseconds(200);
  asio::io_context io;
  net::http_client client(io.get_executor(), server.client_tls(), client_limits);
  auto answer = send_once(io, client, {"127.0.0.1", server.port, true});
  REQUIRE(answer);
  CHECK(server.server->open_connections() == 1);  // kept in the pool

  client.close_stale();  // not idle long enough yet
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK(server.server->open_connections() == 1);

  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  client.close_stale();
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (server.server->open_connections() > 0 && std::chrono::steady_clock::now() < give_up)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  CHECK(server.server->open_connections() == 0);
}
