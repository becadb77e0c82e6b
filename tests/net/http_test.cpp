// http_server and the pooled http_client over mutual TLS on loopback: keep-alive, reuse, the
// retry when a pooled connection has been closed by the server, and certificates rotated while
// both run.
#include "net/http.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <catch2/catch.hpp>
#include <filesystem>
#include <thread>

#include "core/files.hpp"
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
  std::shared_ptr<net::tls_context> tls;
  std::unique_ptr<net::http_server> server;
  std::uint16_t port = 0;
  std::thread thread;

  explicit tls_server(net::http_limits limits) {
    SAPHAN_REQUIRE_OK(pki::create_ca(dir / "ca", "Saphan Test CA", 30));
    SAPHAN_REQUIRE_OK(
        pki::issue_certificate(dir / "ca", make_member("SAPHAN", "hub"), dir / "hub", 10));
    SAPHAN_REQUIRE_OK(pki::issue_certificate(dir / "ca", consumer, dir / "consumer", 10));
    auto made = net::make_server_tls({dir / "hub.crt", dir / "hub.key", dir / "ca/ca.crt"});
    REQUIRE(made);
    tls = *made;
    server = std::make_unique<net::http_server>(
        io, tls, limits,
        [this](net::http_request& request,
               const net::peer_info& peer) -> asio::awaitable<net::http_response> {
          ++requests;
          // /fingerprint: which of the member's certificates the client presented.
          auto body = request.target() == "/fingerprint" ? peer.certificate_fingerprint
                      : peer.member                      ? to_string(*peer.member)
                                                         : std::string();
          co_return net::make_response(request.version(), request.keep_alive(), http::status::ok,
                                       body, "text/plain");
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

  std::shared_ptr<net::tls_context> client_tls() {
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
                                     const net::endpoint& to, const std::string& target = "/n") {
  std::optional<result<net::http_response>> answer;
  io.restart();
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        answer = co_await client.send(to, get(target), std::chrono::seconds(5));
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

// ---- rotation -------------------------------------------------------------------------------

namespace {

std::string fingerprint_of(const std::string& pem_path) {
  auto pem = read_file(pem_path);
  REQUIRE(pem);
  auto info = pki::inspect_certificate_pem(*pem);
  REQUIRE(info);
  return info->fingerprint;
}

}  // namespace

TEST_CASE("a reloaded client certificate is presented from the next request on, newly connected",
          "[net][rotation]") {
  tls_server server(net::http_limits{});
  auto tls = server.client_tls();
  asio::io_context io;
  net::http_client client(io.get_executor(), tls, net::http_limits{});
  const net::endpoint to{"127.0.0.1", server.port, true};
  const auto old_fingerprint = fingerprint_of(server.dir / "consumer.crt");

  auto before = send_once(io, client, to, "/fingerprint");
  REQUIRE(before);
  CHECK(before->body() == old_fingerprint);

  pki::issue_options replace;
  replace.overwrite = true;
  SAPHAN_REQUIRE_OK(
      pki::issue_certificate(server.dir / "ca", consumer, server.dir / "consumer", 10, replace));
  const auto new_fingerprint = fingerprint_of(server.dir / "consumer.crt");
  REQUIRE(new_fingerprint != old_fingerprint);
  CHECK(send_once(io, client, to, "/fingerprint")->body() == old_fingerprint);  // until reloaded

  const auto generation = tls->generation();
  SAPHAN_REQUIRE_OK(tls->reload());
  CHECK(tls->generation() == generation + 1);
  auto after = send_once(io, client, to, "/fingerprint");
  REQUIRE(after);
  CHECK(after->body() == new_fingerprint);
  // The pooled connection of the old certificate was not reused: a second one was accepted.
  CHECK(server.server->accepted_connections() == 2);
}

TEST_CASE("a reload whose files do not load keeps the context in use", "[net][rotation]") {
  tls_server server(net::http_limits{});
  auto tls = server.client_tls();
  const auto in_use = tls->current();
  const auto generation = tls->generation();
  // A rotation caught half way: the new key written, its certificate not yet.
  SAPHAN_REQUIRE_OK(pki::issue_certificate(server.dir / "ca", consumer, server.dir / "next", 10));
  std::filesystem::copy_file(server.dir / "next.key", server.dir / "consumer.key",
                             std::filesystem::copy_options::overwrite_existing);
  CHECK(tls->reload().code() == errc::invalid_argument);
  CHECK(tls->current() == in_use);
  CHECK(tls->generation() == generation);

  std::filesystem::remove(server.dir / "consumer.crt");
  CHECK(tls->reload().code() == errc::io_error);
  CHECK(tls->current() == in_use);
}

TEST_CASE("a reloaded server certificate is presented to new connections", "[net][rotation]") {
  tls_server server(net::http_limits{});
  std::string seen;  // the fingerprint of the server's certificate at each handshake
  asio::io_context io;
  net::http_client client(io.get_executor(), server.client_tls(), net::http_limits{}, 64,
                          [&](SSL* connection) -> result<void> {
                            seen = pki::peer_certificate_of(connection).value().fingerprint;
                            return ok();
                          });
  const net::endpoint to{"127.0.0.1", server.port, true};
  REQUIRE(send_once(io, client, to));
  CHECK(seen == fingerprint_of(server.dir / "hub.crt"));

  pki::issue_options replace;
  replace.overwrite = true;
  SAPHAN_REQUIRE_OK(pki::issue_certificate(server.dir / "ca", make_member("SAPHAN", "hub"),
                                           server.dir / "hub", 10, replace));
  SAPHAN_REQUIRE_OK(server.tls->reload());
  client.close_stale();
  net::http_client fresh(io.get_executor(), server.client_tls(), net::http_limits{}, 64,
                         [&](SSL* connection) -> result<void> {
                           seen = pki::peer_certificate_of(connection).value().fingerprint;
                           return ok();
                         });
  REQUIRE(send_once(io, fresh, to));
  CHECK(seen == fingerprint_of(server.dir / "hub.crt"));
  // The connection accepted before the reload still serves, with the certificate it began with.
  CHECK(send_once(io, client, to));
}

TEST_CASE("a pooled connection is not reused once the peer check refuses the server",
          "[net][rotation]") {
  tls_server server(net::http_limits{});
  std::atomic<bool> revoked{false};
  asio::io_context io;
  net::http_client client(io.get_executor(), server.client_tls(), net::http_limits{}, 64,
                          [&](SSL*) -> result<void> {
                            if (revoked)
                              return make_error(errc::certificate_revoked, "on the CRL");
                            return ok();
                          });
  const net::endpoint to{"127.0.0.1", server.port, true};
  REQUIRE(send_once(io, client, to));
  revoked = true;  // as when the CRL comes to list the server's certificate
  auto refused = send_once(io, client, to);
  CHECK(refused.code() == errc::certificate_revoked);
  CHECK(server.requests == 1);  // the pooled connection carried nothing more
  CHECK(server.server->accepted_connections() == 2);
}
