// Real TLS 1.3 handshakes on loopback between Asio ssl::streams using the pki contexts.
#include <openssl/ssl.h>

#include <array>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <optional>
#include <thread>

#include "tests/pki/pki_test_support.hpp"

using namespace saphan;
using namespace saphan::pki;
using saphan::pki::test::make_member;
using saphan::pki::test::temp_dir;

namespace {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;

// Every network step of a test is bounded; a hang fails the test instead of stalling the suite.
constexpr auto step_deadline = std::chrono::seconds(5);
constexpr std::string_view greeting = "hello";

const member_id hub_member = make_member("SAPHAN", "hub");
const member_id consumer = make_member("JFO", "legal-aid");
const member_id provider = make_member("DOPA", "civil-registry");

// One CA with a hub and a consumer certificate, and a second CA with a rogue certificate that
// claims to be the same consumer.
struct test_pki {
  temp_dir dir;
  tls_files hub;
  tls_files consumer_files;
  tls_files rogue_files;  // trusts our CA, but its own certificate comes from the other CA

  test_pki() {
    SAPHAN_REQUIRE_OK(create_ca(dir / "ca", "Saphan Test CA", 30));
    SAPHAN_REQUIRE_OK(create_ca(dir / "other", "Other CA", 30));
    SAPHAN_REQUIRE_OK(issue_certificate(dir / "ca", hub_member, dir / "hub", 10));
    SAPHAN_REQUIRE_OK(issue_certificate(dir / "ca", consumer, dir / "consumer", 10));
    SAPHAN_REQUIRE_OK(issue_certificate(dir / "other", consumer, dir / "rogue", 10));
    hub = files_for("hub");
    consumer_files = files_for("consumer");
    rogue_files = files_for("rogue");
  }

  tls_files files_for(const std::string& prefix) const {
    return {dir / (prefix + ".crt"), dir / (prefix + ".key"), dir / "ca/ca.crt"};
  }
};

// What the server saw. Every field stays empty if its step never completed, so a timeout can
// never pass for success.
struct server_outcome {
  std::optional<error_code> accept;
  std::optional<error_code> handshake;
  std::optional<result<member_id>> peer;
  std::optional<result<void>> claim;  // require_peer_member against the claimed member
};

// Accepts one connection on 127.0.0.1 (random port), handshakes, reads the peer member and writes
// a greeting, all on its own thread with its own io_context.
class one_shot_server {
 public:
  one_shot_server(ssl::context& context, member_id claimed)
      : acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
        stream_(io_, context),
        claimed_(std::move(claimed)) {}

  unsigned short port() const { return acceptor_.local_endpoint().port(); }

  void start() {
    thread_ = std::thread([this] {
      do_accept();
      io_.run_for(step_deadline);
    });
  }

  server_outcome finish() {
    if (thread_.joinable())
      thread_.join();
    return outcome_;
  }

  ~one_shot_server() {
    if (thread_.joinable())
      thread_.join();
  }

 private:
  void do_accept() {
    acceptor_.async_accept(stream_.next_layer(), [this](error_code ec) {
      outcome_.accept = ec;
      if (ec)
        return;
      stream_.async_handshake(ssl::stream_base::server,
                              [this](error_code ec) { on_handshake(ec); });
    });
  }

  void on_handshake(error_code ec) {
    outcome_.handshake = ec;
    if (ec)
      return close();
    outcome_.peer = peer_member(stream_.native_handle());
    outcome_.claim = require_peer_member(stream_.native_handle(), claimed_);
    asio::async_write(stream_, asio::buffer(greeting.data(), greeting.size()),
                      [this](error_code, std::size_t) { close(); });
  }

  // Closing promptly lets a refused client see the end of the connection at once.
  void close() {
    error_code ignored;
    stream_.next_layer().close(ignored);
  }

  asio::io_context io_;
  tcp::acceptor acceptor_;
  ssl::stream<tcp::socket> stream_;
  member_id claimed_;
  std::thread thread_;
  server_outcome outcome_;
};

struct client_outcome {
  std::optional<error_code> connect;
  std::optional<error_code> handshake;
  std::optional<error_code> read;
  std::string data;
  std::optional<result<member_id>> server_member;
};

client_outcome run_client(ssl::context& context, unsigned short port,
                          const std::string& expected_host = "127.0.0.1") {
  asio::io_context io;
  ssl::stream<tcp::socket> stream(io, context);
  SAPHAN_REQUIRE_OK(set_peer_host(stream.native_handle(), expected_host));
  client_outcome out;
  std::array<char, greeting.size()> buffer{};
  tcp::endpoint server(asio::ip::make_address("127.0.0.1"), port);
  stream.next_layer().async_connect(server, [&](error_code ec) {
    out.connect = ec;
    if (ec)
      return;
    stream.async_handshake(ssl::stream_base::client, [&](error_code ec) {
      out.handshake = ec;
      if (ec)
        return;
      out.server_member = peer_member(stream.native_handle());
      // In TLS 1.3 the client finishes its handshake before the server has judged the client
      // certificate; a refusal shows up on the first read.
      asio::async_read(stream, asio::buffer(buffer), [&](error_code ec, std::size_t n) {
        out.read = ec;
        out.data.assign(buffer.data(), n);
      });
    });
  });
  io.run_for(step_deadline);
  return out;
}

ssl::context server_context(const tls_files& files) {
  ssl::context context(ssl::context::tls_server);
  SAPHAN_REQUIRE_OK(configure_server_context(context.native_handle(), files));
  return context;
}

ssl::context client_context(const tls_files& files) {
  ssl::context context(ssl::context::tls_client);
  SAPHAN_REQUIRE_OK(configure_client_context(context.native_handle(), files));
  return context;
}

struct exchange {
  server_outcome server;
  client_outcome client;
};

exchange run_exchange(ssl::context& server_ctx, ssl::context& client_ctx,
                      const std::string& expected_host = "127.0.0.1",
                      member_id claimed = consumer) {
  one_shot_server server(server_ctx, std::move(claimed));
  server.start();
  auto client = run_client(client_ctx, server.port(), expected_host);
  return {server.finish(), std::move(client)};
}

void check_server_refused(const exchange& x) {
  REQUIRE(x.server.accept.has_value());
  CHECK_FALSE(x.server.accept->failed());
  REQUIRE(x.server.handshake.has_value());
  CHECK(x.server.handshake->failed());
  CHECK_FALSE(x.server.peer.has_value());
  // The client never gets application data, whatever stage it noticed the refusal at.
  CHECK(x.client.data.empty());
  bool client_failed = (x.client.handshake && x.client.handshake->failed()) ||
                       (x.client.read && x.client.read->failed());
  CHECK(client_failed);
}

}  // namespace

TEST_CASE("mutual TLS 1.3: a member certificate from our CA is accepted", "[pki][tls]") {
  test_pki pki;
  auto server_ctx = server_context(pki.hub);
  auto client_ctx = client_context(pki.consumer_files);

  auto x = run_exchange(server_ctx, client_ctx);
  REQUIRE(x.server.handshake.has_value());
  INFO("server handshake: " << x.server.handshake->message());
  REQUIRE_FALSE(x.server.handshake->failed());
  REQUIRE(x.server.peer.has_value());
  SAPHAN_REQUIRE_OK(*x.server.peer);
  CHECK(**x.server.peer == consumer);
  REQUIRE(x.server.claim.has_value());
  CHECK(x.server.claim->has_value());

  REQUIRE(x.client.handshake.has_value());
  CHECK_FALSE(x.client.handshake->failed());
  REQUIRE(x.client.read.has_value());
  CHECK_FALSE(x.client.read->failed());
  CHECK(x.client.data == greeting);
  REQUIRE(x.client.server_member.has_value());
  SAPHAN_REQUIRE_OK(*x.client.server_member);
  CHECK(**x.client.server_member == hub_member);
}

TEST_CASE("mutual TLS 1.3: the DNS name localhost is checked too", "[pki][tls]") {
  test_pki pki;
  auto server_ctx = server_context(pki.hub);
  auto client_ctx = client_context(pki.consumer_files);
  auto x = run_exchange(server_ctx, client_ctx, "localhost");
  REQUIRE(x.client.read.has_value());
  CHECK_FALSE(x.client.read->failed());
  CHECK(x.client.data == greeting);
}

TEST_CASE("mutual TLS 1.3: a valid certificate of another member is a mismatch", "[pki][tls]") {
  test_pki pki;
  auto server_ctx = server_context(pki.hub);
  auto client_ctx = client_context(pki.consumer_files);
  // The consumer's certificate is genuine, but the request claims to come from the provider.
  auto x = run_exchange(server_ctx, client_ctx, "127.0.0.1", provider);
  REQUIRE(x.server.claim.has_value());
  REQUIRE_FALSE(x.server.claim->has_value());
  CHECK(x.server.claim->code() == errc::certificate_mismatch);
  CHECK_THAT(x.server.claim->error().detail, Catch::Contains("TH/GOV/JFO/legal-aid") &&
                                                 Catch::Contains("TH/GOV/DOPA/civil-registry"));
}

TEST_CASE("mutual TLS 1.3: a client without a certificate is refused", "[pki][tls]") {
  test_pki pki;
  auto server_ctx = server_context(pki.hub);
  // A client that trusts the hub but presents nothing.
  ssl::context client_ctx(ssl::context::tls_client);
  REQUIRE(SSL_CTX_set_min_proto_version(client_ctx.native_handle(), TLS1_3_VERSION) == 1);
  client_ctx.load_verify_file(pki.hub.ca_certificate_path);
  client_ctx.set_verify_mode(ssl::verify_peer);

  auto x = run_exchange(server_ctx, client_ctx);
  check_server_refused(x);
}

TEST_CASE("mutual TLS 1.3: a client certificate from another CA is refused", "[pki][tls]") {
  test_pki pki;
  auto server_ctx = server_context(pki.hub);
  auto client_ctx = client_context(pki.rogue_files);
  auto x = run_exchange(server_ctx, client_ctx);
  check_server_refused(x);
}

TEST_CASE("mutual TLS 1.3: a TLS 1.2-only client is refused", "[pki][tls]") {
  test_pki pki;
  auto server_ctx = server_context(pki.hub);
  auto client_ctx = client_context(pki.consumer_files);
  REQUIRE(SSL_CTX_set_min_proto_version(client_ctx.native_handle(), TLS1_2_VERSION) == 1);
  REQUIRE(SSL_CTX_set_max_proto_version(client_ctx.native_handle(), TLS1_2_VERSION) == 1);
  auto x = run_exchange(server_ctx, client_ctx);
  check_server_refused(x);
  REQUIRE(x.client.handshake.has_value());
  CHECK(x.client.handshake->failed());  // no protocol in common: both sides fail
}

TEST_CASE("mutual TLS 1.3: the client refuses a server from another CA or host", "[pki][tls]") {
  test_pki pki;
  auto client_ctx = client_context(pki.consumer_files);

  SECTION("server certificate from another CA") {
    // The rogue server trusts our CA for clients, but its own certificate is foreign.
    auto server_ctx = server_context(pki.rogue_files);
    auto x = run_exchange(server_ctx, client_ctx);
    REQUIRE(x.client.handshake.has_value());
    CHECK(x.client.handshake->failed());
    CHECK_FALSE(x.client.server_member.has_value());
  }
  SECTION("server certificate for another address") {
    auto server_ctx = server_context(pki.hub);
    auto x = run_exchange(server_ctx, client_ctx, "10.9.8.7");
    REQUIRE(x.client.handshake.has_value());
    CHECK(x.client.handshake->failed());
  }
  SECTION("server certificate for another host name") {
    auto server_ctx = server_context(pki.hub);
    auto x = run_exchange(server_ctx, client_ctx, "hub.example.go.th");
    REQUIRE(x.client.handshake.has_value());
    CHECK(x.client.handshake->failed());
  }
}

TEST_CASE("peer_member refuses a peer whose chain did not verify", "[pki][tls]") {
  test_pki pki;
  auto server_ctx = server_context(pki.hub);
  // A server wrongly configured to carry on whatever the verdict: peer_member must still refuse.
  SSL_CTX_set_verify(server_ctx.native_handle(), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                     [](int, X509_STORE_CTX*) { return 1; });
  auto client_ctx = client_context(pki.rogue_files);
  auto x = run_exchange(server_ctx, client_ctx);
  REQUIRE(x.server.handshake.has_value());
  REQUIRE_FALSE(x.server.handshake->failed());
  REQUIRE(x.server.peer.has_value());
  CHECK(x.server.peer->code() == errc::unauthenticated);
  REQUIRE(x.server.claim.has_value());
  CHECK(x.server.claim->code() == errc::unauthenticated);
}

TEST_CASE("TLS context configuration reports bad inputs", "[pki][tls]") {
  test_pki pki;
  ssl::context context(ssl::context::tls_server);
  CHECK(configure_server_context(nullptr, pki.hub).code() == errc::invalid_argument);
  CHECK(configure_client_context(nullptr, pki.hub).code() == errc::invalid_argument);

  tls_files missing = pki.hub;
  missing.certificate_chain_path = pki.dir / "nope.crt";
  auto r = configure_server_context(context.native_handle(), missing);
  CHECK(r.code() == errc::io_error);
  CHECK_THAT(r.error().detail, Catch::Contains("nope.crt"));

  tls_files no_ca = pki.hub;
  no_ca.ca_certificate_path = pki.dir / "nope-ca.crt";
  CHECK(configure_client_context(context.native_handle(), no_ca).code() == errc::io_error);

  tls_files mismatched = pki.hub;
  mismatched.private_key_path = pki.consumer_files.private_key_path;
  CHECK(configure_server_context(context.native_handle(), mismatched).code() ==
        errc::invalid_argument);

  tls_files missing_key = pki.hub;
  missing_key.private_key_path = pki.dir / "nope.key";
  CHECK(configure_server_context(context.native_handle(), missing_key).code() == errc::io_error);

  tls_files not_a_key = pki.hub;
  not_a_key.private_key_path = pki.hub.certificate_chain_path;
  CHECK(configure_server_context(context.native_handle(), not_a_key).code() ==
        errc::invalid_argument);

  CHECK(set_peer_host(nullptr, "127.0.0.1").code() == errc::invalid_argument);
  CHECK(peer_member(nullptr).code() == errc::unauthenticated);
}

TEST_CASE("TLS contexts allow TLS 1.3 only and require client certificates", "[pki][tls]") {
  test_pki pki;
  ssl::context server(ssl::context::tls_server);
  SAPHAN_REQUIRE_OK(configure_server_context(server.native_handle(), pki.hub));
  CHECK(SSL_CTX_get_min_proto_version(server.native_handle()) == TLS1_3_VERSION);
  CHECK(SSL_CTX_get_max_proto_version(server.native_handle()) == TLS1_3_VERSION);
  CHECK(SSL_CTX_get_verify_mode(server.native_handle()) ==
        (SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT));

  ssl::context client(ssl::context::tls_client);
  SAPHAN_REQUIRE_OK(configure_client_context(client.native_handle(), pki.consumer_files));
  CHECK(SSL_CTX_get_min_proto_version(client.native_handle()) == TLS1_3_VERSION);
  CHECK(SSL_CTX_get_max_proto_version(client.native_handle()) == TLS1_3_VERSION);
  CHECK(SSL_CTX_get_verify_mode(client.native_handle()) == SSL_VERIFY_PEER);
}
