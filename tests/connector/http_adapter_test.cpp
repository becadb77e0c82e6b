#include <catch2/catch.hpp>
#include <thread>

#include "connectors/http/http_adapter.hpp"
#include "core/json.hpp"
#include "net/http.hpp"

using namespace saphan;
using namespace saphan::connector;
namespace http = saphan::net::http;

namespace {

// A tiny backend on a random loopback port, served on its own thread for the test's lifetime.
class fake_backend {
 public:
  fake_backend() : server_(io_, nullptr, net::http_limits{}, handler) {
    auto port = server_.listen("127.0.0.1", 0);
    REQUIRE(port);
    port_ = *port;
    thread_ = std::thread([this] { io_.run(); });
  }
  ~fake_backend() {
    server_.stop();
    io_.stop();
    thread_.join();
  }
  std::uint16_t port() const { return port_; }

 private:
  static net::asio::awaitable<net::http_response> handler(net::http_request& request,
                                                          const net::peer_info&) {
    std::string target(request.target());
    auto reply = [&](http::status status, std::string body) {
      return net::make_response(request.version(), request.keep_alive(), status, std::move(body),
                                "application/json");
    };
    if (target == "/persons/1101700203451")
      co_return reply(http::status::ok, R"({"citizenId":"1101700203451"})");
    if (target.rfind("/echo/", 0) == 0)
      co_return reply(http::status::ok, "\"" + target + "\"");
    if (target == "/persons/500")
      co_return reply(http::status::internal_server_error, "{}");
    if (target == "/persons/big")
      co_return reply(http::status::ok, std::string(max_record_bytes + 1, ' '));
    if (target == "/persons/fits")
      co_return reply(http::status::ok, std::string(max_record_bytes, ' '));
    if (target == "/persons/slow") {
      net::asio::steady_timer timer(co_await net::asio::this_coro::executor);
      timer.expires_after(std::chrono::milliseconds(1500));
      co_await timer.async_wait(net::asio::use_awaitable);
      co_return reply(http::status::ok, "{}");
    }
    co_return reply(http::status::not_found, "{}");
  }

  net::asio::io_context io_;
  net::http_server server_;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

result<std::shared_ptr<record_adapter>> make(const std::string& json) {
  auto doc = parse_json(json);
  REQUIRE(doc);
  return make_http_adapter(*doc, "adapter", "");
}

std::string config_for(std::uint16_t port, const std::string& path, int timeout_ms = 3000) {
  return R"({"type":"http","urlTemplate":"http://127.0.0.1:)" + std::to_string(port) + path +
         R"(","timeoutMs":)" + std::to_string(timeout_ms) + "}";
}

}  // namespace

TEST_CASE("percent_encode keeps only unreserved characters", "[connector]") {
  CHECK(percent_encode("1101700203451") == "1101700203451");
  CHECK(percent_encode("a b/c?d") == "a%20b%2Fc%3Fd");
  CHECK(percent_encode("-._~") == "-._~");
  CHECK(percent_encode("\xE0\xB8\x81") == "%E0%B8%81");
}

TEST_CASE("parse_url_template", "[connector]") {
  auto t = parse_url_template("http://backend.local:7000/persons/{subject}?view=full");
  REQUIRE(t);
  CHECK(t->host == "backend.local");
  CHECK(t->port == 7000);
  CHECK(t->before == "/persons/");
  CHECK(t->after == "?view=full");
  auto default_port = parse_url_template("http://backend/{subject}");
  REQUIRE(default_port);
  CHECK(default_port->port == 80);

  for (const char* bad : {"https://h/{subject}", "http://h/persons", "http://h/{subject}/{subject}",
                          "http://h", "http://h:0/{subject}", "http://h:70000/{subject}",
                          "http://u@h/{subject}", "http://h/a b/{subject}", "ftp://h/{subject}"}) {
    INFO(bad);
    auto r = parse_url_template(bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == errc::invalid_argument);
  }
}

TEST_CASE("http adapter reads records from a REST backend", "[connector]") {
  fake_backend backend;
  auto adapter = make(config_for(backend.port(), "/persons/{subject}"));
  REQUIRE(adapter);
  CHECK((*adapter)->type() == "http");

  auto found = (*adapter)->fetch("1101700203451");
  REQUIRE(found);
  REQUIRE(found->has_value());
  CHECK(**found == R"({"citizenId":"1101700203451"})");

  auto missing = (*adapter)->fetch("1234567890121");
  REQUIRE(missing);
  CHECK_FALSE(missing->has_value());

  auto failing = (*adapter)->fetch("500");
  REQUIRE_FALSE(failing);
  CHECK(failing.error().code == errc::provider_error);
  CHECK(failing.error().detail.find("500") != std::string::npos);
}

TEST_CASE("http adapter percent-encodes the subject", "[connector]") {
  fake_backend backend;
  auto adapter = make(config_for(backend.port(), "/echo/{subject}"));
  REQUIRE(adapter);
  auto echoed = (*adapter)->fetch("a b/../x");
  REQUIRE(echoed);
  REQUIRE(echoed->has_value());
  CHECK(**echoed == "\"/echo/a%20b%2F..%2Fx\"");
}

TEST_CASE("http adapter bounds the body and the time", "[connector]") {
  fake_backend backend;
  auto adapter = make(config_for(backend.port(), "/persons/{subject}", 300));
  REQUIRE(adapter);
  auto fits = (*adapter)->fetch("fits");
  REQUIRE(fits);
  CHECK((*fits)->size() == max_record_bytes);
  auto big = (*adapter)->fetch("big");
  REQUIRE_FALSE(big);
  CHECK(big.error().code == errc::payload_too_large);
  auto slow = (*adapter)->fetch("slow");
  REQUIRE_FALSE(slow);
  CHECK(slow.error().code == errc::provider_timeout);
}

TEST_CASE("http adapter reports a backend that is down", "[connector]") {
  std::uint16_t port = 0;
  {
    fake_backend closed;
    port = closed.port();
  }
  auto adapter = make(config_for(port, "/persons/{subject}", 500));
  REQUIRE(adapter);
  auto r = (*adapter)->fetch("1101700203451");
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::provider_error);
}

TEST_CASE("http adapter config errors", "[connector]") {
  for (const char* bad :
       {R"({"type":"http"})", R"({"type":"http","urlTemplate":"http://h/{subject}","timeoutMs":0})",
        R"({"type":"http","urlTemplate":"http://h/{subject}","timeoutMs":60001})",
        R"({"type":"http","urlTemplate":"http://h/x"})",
        R"({"type":"http","urlTemplate":"http://h/{subject}","verb":"POST"})"}) {
    INFO(bad);
    auto r = make(bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == errc::invalid_argument);
    CHECK(r.error().detail.rfind("adapter.", 0) == 0);
  }
  CHECK(make(R"({"type":"http","urlTemplate":"http://h/{subject}","timeoutMs":60000})"));
  CHECK(make(R"({"type":"http","urlTemplate":"http://h/{subject}","timeoutMs":1})"));
}
