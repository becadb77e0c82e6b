// The tree-head timestamper against a real TSA over loopback and a real SQLite store: tokens
// stored and verifiable, an unreachable TSA (heads wait, health fails after the grace period,
// the backlog is stamped oldest first when it returns), refused tokens, backoff and stop.
#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "evidence/log.hpp"
#include "evidence/timestamper.hpp"
#include "net/http.hpp"
#include "tests/pki/pki_test_support.hpp"
#include "tsa/http.hpp"

using namespace saphan;
using saphan::pki::test::temp_dir;
using std::chrono::milliseconds;
using std::chrono::seconds;
namespace asio = saphan::net::asio;
namespace http = saphan::net::http;

namespace {

// 2026-11-21T09:30:00Z: the tree heads' times. Health is asked at explicit instants after it.
const timestamp t0 = std::chrono::sys_days{std::chrono::year{2026} / 11 / 21} +
                     std::chrono::hours{9} + std::chrono::minutes{30};

// A CA and a TSA certificate under it.
struct test_authority {
  std::string ca_dir;
  tsa::signer_config config;

  test_authority(const temp_dir& dir, const std::string& name) : ca_dir(dir / (name + "-ca")) {
    SAPHAN_REQUIRE_OK(pki::create_ca(ca_dir, name + " Root", 365));
    SAPHAN_REQUIRE_OK(pki::issue_tsa_certificate(ca_dir, name, dir / name, 30));
    config.certificate_path = dir / (name + ".crt");
    config.key_path = dir / (name + ".key");
  }
  tsa::trust_config trust() const { return {ca_dir + "/ca.crt", config.certificate_path}; }
  tsa::tsa_signer signer() const {
    auto s = tsa::tsa_signer::create(config);
    SAPHAN_REQUIRE_OK(s);
    return *s;
  }
};

// Serials 1, 2, 3, ... in the order the TSA answers, so a test can tell the order of requests.
tsa::serial_source counting_serials() {
  auto next = std::make_shared<std::uint8_t>(0);
  return [next]() -> result<tsa::serial_number> {
    tsa::serial_number serial{};
    serial.back() = ++*next;
    return serial;
  };
}

// An HTTP server on 127.0.0.1 with its own I/O thread.
class running_server {
 public:
  running_server(net::request_handler handler, std::uint16_t port = 0)
      : server_(io_, nullptr, tsa::server_limits(), std::move(handler)) {
    auto bound = server_.listen("127.0.0.1", port);
    SAPHAN_REQUIRE_OK(bound);
    port_ = *bound;
    runner_ = std::thread([this] { io_.run(); });
  }
  ~running_server() {
    server_.stop();
    io_.stop();
    runner_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  asio::io_context io_;
  net::http_server server_;
  std::uint16_t port_ = 0;
  std::thread runner_;
};

net::request_handler tsa_handler(const test_authority& authority) {
  return tsa::make_handler(authority.signer(), counting_serials());
}

asio::awaitable<net::http_response> fixed_reply(std::string body, unsigned version,
                                                bool keep_alive) {
  co_return net::make_response(version, keep_alive, http::status::ok, std::move(body),
                               tsa::reply_content_type);
}

// A TSA that answers every query with the same granted reply (over whatever it was made for).
net::request_handler canned_handler(std::string reply) {
  return [reply](net::http_request& request, const net::peer_info&) {
    return fixed_reply(reply, request.version(), request.keep_alive());
  };
}

// A port that refuses connections: bound (so nobody else takes it) but not listening.
struct reserved_port {
  asio::io_context io;
  net::tcp::acceptor socket{io};
  std::uint16_t port = 0;

  reserved_port() {
    socket.open(net::tcp::v4());
    socket.set_option(asio::socket_base::reuse_address(true));
    socket.bind(net::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    port = socket.local_endpoint().port();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port); }
  void release() { socket.close(); }
};

// The hub's side: a store with log entries and signed heads, and a second connection for the
// timestamper.
struct evidence_store {
  std::string path;
  std::unique_ptr<store> db;
  evidence::log_identity identity;

  explicit evidence_store(const temp_dir& dir) : path(dir / "hub.db") {
    db = open();
    auto keys = crypto::signing_key_from_seed(std::string(32, '\x07'));
    REQUIRE(keys);
    identity = {"saphan/TH/GOV/SAPHAN/hub", {*keys, "log-test"}};
  }
  std::unique_ptr<store> open() const {
    auto s = open_store(path);
    SAPHAN_REQUIRE_OK(s);
    return std::move(*s);
  }
  // One more entry, then a head over it signed at `at`.
  checkpoint_record add_head(timestamp at) {
    log_terms terms;
    terms.at = at;
    terms.kind = "exchange.decision";
    terms.status = "allow";
    auto size = db->log_size();
    SAPHAN_REQUIRE_OK(size);
    SAPHAN_REQUIRE_OK(
        evidence::append_entries(*db, {log_append{"entry " + std::to_string(*size), terms}}));
    auto head = evidence::make_checkpoint(*db, identity, at);
    SAPHAN_REQUIRE_OK(head);
    return *head;
  }
  std::vector<checkpoint_record> heads() const {
    auto all = db->read_checkpoints(0, 100);
    SAPHAN_REQUIRE_OK(all);
    return *all;
  }
  std::size_t waiting() const {
    auto w = db->untimestamped_checkpoints(100);
    SAPHAN_REQUIRE_OK(w);
    return w->size();
  }
};

evidence::timestamper_config config_for(const std::string& url, const tsa::trust_config& trust) {
  evidence::timestamper_config config;
  config.tsa_url = url;
  config.trust = trust;
  config.request_timeout = milliseconds(2000);
  config.grace_period = seconds(30);
  config.poll_interval = seconds(60);  // tests wake the thread themselves
  return config;
}

std::unique_ptr<evidence::timestamper> make_timestamper(const evidence::timestamper_config& config,
                                                        const evidence_store& hub) {
  auto t = evidence::timestamper::create(config, hub.open());
  SAPHAN_REQUIRE_OK(t);
  return std::move(*t);
}

// The serial of the stored token, after checking it verifies over the head's imprint.
std::string verified_serial(const checkpoint_record& record, const tsa::trust_config& trust) {
  REQUIRE(record.timestamp_token);
  auto head = evidence::checkpoint_from_json(record.checkpoint_json);
  SAPHAN_REQUIRE_OK(head);
  auto verified =
      tsa::verify_token(*record.timestamp_token, evidence::timestamp_imprint(*head), trust);
  SAPHAN_REQUIRE_OK(verified);
  return verified->serial_hex;
}

template <class Predicate>
bool eventually(Predicate done, milliseconds limit = milliseconds(2000)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline)
      return false;
    std::this_thread::sleep_for(milliseconds(5));
  }
  return true;
}

}  // namespace

TEST_CASE("timestamper stores a verifying token for every waiting tree head oldest first",
          "[evidence][timestamper]") {
  temp_dir dir;
  test_authority authority(dir, "tsa");
  running_server tsa_server(tsa_handler(authority));
  evidence_store hub(dir);
  for (int i = 0; i < 3; ++i)
    hub.add_head(t0 + seconds(5 * i));
  auto stamper = make_timestamper(config_for(tsa_server.url(), authority.trust()), hub);

  auto report = stamper->run_round(t0 + seconds(11));
  CHECK_FALSE(report.failure);
  CHECK(report.stamped == 3);
  CHECK_FALSE(report.more_waiting);

  auto heads = hub.heads();
  REQUIRE(heads.size() == 3);
  // The TSA numbers its answers: the smallest (oldest) head was asked for first.
  CHECK(verified_serial(heads[0], authority.trust()) == "01");
  CHECK(verified_serial(heads[1], authority.trust()) == "02");
  CHECK(verified_serial(heads[2], authority.trust()) == "03");
  // Each token is bound to its own head.
  auto second = evidence::checkpoint_from_json(heads[1].checkpoint_json);
  SAPHAN_REQUIRE_OK(second);
  CHECK(tsa::verify_token(*heads[0].timestamp_token, evidence::timestamp_imprint(*second),
                          authority.trust())
            .code() == errc::timestamp_invalid);

  auto stats = stamper->snapshot();
  CHECK(stats.tokens_stored == 3);
  CHECK(stats.failures == 0);
  CHECK(stats.rounds == 1);
  CHECK_FALSE(stats.oldest_waiting);
  CHECK(stats.last_success == t0 + seconds(11));
  SAPHAN_REQUIRE_OK(stamper->health(t0 + std::chrono::hours(24)));

  // Nothing left: the next round asks nothing.
  auto again = stamper->run_round(t0 + seconds(12));
  CHECK(again.stamped == 0);
  CHECK_FALSE(again.failure);
  CHECK(stamper->snapshot().tokens_stored == 3);
}

TEST_CASE("timestamper stamps at most batch_limit heads per round", "[evidence][timestamper]") {
  temp_dir dir;
  test_authority authority(dir, "tsa");
  running_server tsa_server(tsa_handler(authority));
  evidence_store hub(dir);
  for (int i = 0; i < 3; ++i)
    hub.add_head(t0 + seconds(i));
  auto config = config_for(tsa_server.url(), authority.trust());
  config.batch_limit = 2;
  auto stamper = make_timestamper(config, hub);

  auto first = stamper->run_round(t0 + seconds(3));
  CHECK(first.stamped == 2);
  CHECK(first.more_waiting);
  CHECK(hub.waiting() == 1);
  CHECK(stamper->snapshot().oldest_waiting == t0 + seconds(2));
  auto second = stamper->run_round(t0 + seconds(4));
  CHECK(second.stamped == 1);
  CHECK_FALSE(second.more_waiting);
  CHECK(hub.waiting() == 0);
  CHECK_FALSE(stamper->snapshot().oldest_waiting);
}

TEST_CASE("timestamper keeps heads waiting while the TSA is down then stamps the backlog",
          "[evidence][timestamper]") {
  temp_dir dir;
  test_authority authority(dir, "tsa");
  reserved_port down;
  evidence_store hub(dir);
  hub.add_head(t0);
  hub.add_head(t0 + seconds(5));
  auto log_before = hub.db->read_log(0, 100);
  SAPHAN_REQUIRE_OK(log_before);
  auto heads_before = hub.heads();
  auto stamper = make_timestamper(config_for(down.url(), authority.trust()), hub);

  auto report = stamper->run_round(t0 + seconds(6));
  CHECK(report.stamped == 0);
  REQUIRE(report.failure);
  CHECK(report.failure->code == errc::provider_unreachable);
  // The round stopped at the first failure: one attempt, not one per waiting head.
  auto stats = stamper->snapshot();
  CHECK(stats.failures == 1);
  CHECK(stats.consecutive_failures == 1);
  CHECK(stats.answers_refused == 0);
  CHECK(stats.oldest_waiting == t0);
  CHECK(stats.last_error.rfind("provider_unreachable: ", 0) == 0);

  // The log and its heads are as they were; the heads only wait.
  auto log_after = hub.db->read_log(0, 100);
  SAPHAN_REQUIRE_OK(log_after);
  REQUIRE(log_after->size() == log_before->size());
  for (std::size_t i = 0; i < log_after->size(); ++i)
    CHECK((*log_after)[i].entry == (*log_before)[i].entry);
  auto heads_after = hub.heads();
  REQUIRE(heads_after.size() == heads_before.size());
  for (std::size_t i = 0; i < heads_after.size(); ++i) {
    CHECK(heads_after[i].checkpoint_json == heads_before[i].checkpoint_json);
    CHECK_FALSE(heads_after[i].timestamp_token);
  }
  // The exchange side goes on meanwhile: entries and heads are still written.
  hub.add_head(t0 + seconds(20));
  CHECK(hub.waiting() == 3);

  // Health: fine up to the grace period after the oldest waiting head, failing after it.
  SAPHAN_REQUIRE_OK(stamper->health(t0 + seconds(6)));
  SAPHAN_REQUIRE_OK(stamper->health(t0 + seconds(30)));
  auto overdue = stamper->health(t0 + seconds(45));
  REQUIRE_FALSE(overdue);
  CHECK(overdue.code() == errc::timestamp_overdue);
  CHECK_THAT(overdue.error().detail, Catch::Contains("not timestamped for 45 s") &&
                                         Catch::Contains(down.url()) &&
                                         Catch::Contains("provider_unreachable"));

  auto retry = stamper->run_round(t0 + seconds(40));
  CHECK(retry.failure);
  CHECK(stamper->snapshot().failures == 2);
  CHECK(stamper->snapshot().consecutive_failures == 2);

  // The TSA comes up on its port: the whole backlog is stamped, oldest first.
  down.release();
  running_server tsa_server(tsa_handler(authority), down.port);
  auto recovered = stamper->run_round(t0 + seconds(50));
  CHECK_FALSE(recovered.failure);
  CHECK(recovered.stamped == 3);
  auto heads = hub.heads();
  REQUIRE(heads.size() == 3);
  CHECK(verified_serial(heads[0], authority.trust()) == "01");
  CHECK(verified_serial(heads[1], authority.trust()) == "02");
  CHECK(verified_serial(heads[2], authority.trust()) == "03");
  stats = stamper->snapshot();
  CHECK(stats.tokens_stored == 3);
  CHECK(stats.consecutive_failures == 0);
  CHECK(stats.failures == 2);
  CHECK_FALSE(stats.oldest_waiting);
  CHECK(stats.last_success == t0 + seconds(50));
  SAPHAN_REQUIRE_OK(stamper->health(t0 + seconds(50)));
  SAPHAN_REQUIRE_OK(stamper->health(t0 + std::chrono::hours(1)));
}

TEST_CASE("timestamper refuses tokens over another digest or from an untrusted TSA",
          "[evidence][timestamper]") {
  temp_dir dir;
  test_authority authority(dir, "tsa");
  evidence_store hub(dir);
  hub.add_head(t0);
  hub.add_head(t0 + seconds(1));
  std::unique_ptr<running_server> server;

  SECTION("a granted token over another digest") {
    auto query = tsa::make_request(crypto::sha256("some other tree head"));
    SAPHAN_REQUIRE_OK(query);
    auto reply = authority.signer().respond(*query, counting_serials(), now_utc());
    SAPHAN_REQUIRE_OK(reply);
    server = std::make_unique<running_server>(canned_handler(*reply));
  }
  SECTION("a token from a TSA under another CA") {
    test_authority stranger(dir, "stranger");
    server = std::make_unique<running_server>(tsa_handler(stranger));
  }
  SECTION("a token from another TSA certificate under the same CA when the TSA is pinned") {
    tsa::signer_config second;
    second.certificate_path = dir / "second.crt";
    second.key_path = dir / "second.key";
    SAPHAN_REQUIRE_OK(pki::issue_tsa_certificate(authority.ca_dir, "Second", dir / "second", 30));
    auto signer = tsa::tsa_signer::create(second);
    SAPHAN_REQUIRE_OK(signer);
    server = std::make_unique<running_server>(tsa::make_handler(*signer, counting_serials()));
  }

  auto stamper = make_timestamper(config_for(server->url(), authority.trust()), hub);
  auto report = stamper->run_round(t0 + seconds(2));
  CHECK(report.stamped == 0);
  REQUIRE(report.failure);
  CHECK(report.failure->code == errc::timestamp_invalid);
  CHECK(hub.waiting() == 2);
  for (const auto& head : hub.heads())
    CHECK_FALSE(head.timestamp_token);
  auto stats = stamper->snapshot();
  CHECK(stats.tokens_stored == 0);
  CHECK(stats.failures == 1);
  CHECK(stats.answers_refused == 1);
  CHECK(stamper->health(t0 + seconds(60)).code() == errc::timestamp_overdue);
}

TEST_CASE("timestamper thread stamps a new head when poked", "[evidence][timestamper]") {
  temp_dir dir;
  test_authority authority(dir, "tsa");
  running_server tsa_server(tsa_handler(authority));
  evidence_store hub(dir);
  auto stamper = make_timestamper(config_for(tsa_server.url(), authority.trust()), hub);
  stamper->start();
  // The first round finds nothing; the next waits for poll_interval (a minute) or a poke.
  REQUIRE(eventually([&] { return stamper->snapshot().rounds >= 1; }));
  auto head = hub.add_head(now_utc());
  stamper->poke();
  CHECK(eventually([&] { return stamper->snapshot().tokens_stored == 1; }));
  const auto begun = std::chrono::steady_clock::now();
  stamper->stop();
  CHECK(std::chrono::steady_clock::now() - begun < milliseconds(500));
  CHECK(hub.waiting() == 0);
  auto stored = hub.db->find_checkpoint(head.tree_size);
  SAPHAN_REQUIRE_OK(stored);
  CHECK_FALSE(verified_serial(*stored, authority.trust()).empty());
}

TEST_CASE("timestamper backs off after a failure and pokes do not cut the backoff short",
          "[evidence][timestamper]") {
  temp_dir dir;
  test_authority authority(dir, "tsa");
  reserved_port down;
  evidence_store hub(dir);
  hub.add_head(t0);
  auto config = config_for(down.url(), authority.trust());
  config.initial_backoff = seconds(30);
  auto stamper = make_timestamper(config, hub);
  stamper->start();
  REQUIRE(eventually([&] { return stamper->snapshot().failures >= 1; }));
  for (int i = 0; i < 5; ++i)
    stamper->poke();
  std::this_thread::sleep_for(milliseconds(100));
  CHECK(stamper->snapshot().rounds == 1);
  CHECK(stamper->snapshot().failures == 1);
  // stop() wakes the thread out of its 30 s wait.
  const auto begun = std::chrono::steady_clock::now();
  stamper->stop();
  CHECK(std::chrono::steady_clock::now() - begun < milliseconds(500));
  CHECK(hub.waiting() == 1);
}

TEST_CASE("timestamper stop abandons a request to a TSA that never answers",
          "[evidence][timestamper]") {
  temp_dir dir;
  test_authority authority(dir, "tsa");
  // Listens (connections complete in the backlog) but never reads or answers.
  asio::io_context io;
  net::tcp::acceptor silent(io, net::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  silent.non_blocking(true);
  const std::string url = "http://127.0.0.1:" + std::to_string(silent.local_endpoint().port());
  evidence_store hub(dir);
  hub.add_head(t0);
  auto config = config_for(url, authority.trust());
  config.request_timeout = seconds(20);
  auto stamper = make_timestamper(config, hub);
  stamper->start();

  // Accepting shows the request is on its way; the connection is held open and never answered.
  net::tcp::socket held(io);
  REQUIRE(eventually([&] {
    boost::system::error_code ec;
    silent.accept(held, ec);
    return !ec;
  }));
  // Meanwhile the exchange side is not held up by the TSA.
  const auto write_begun = std::chrono::steady_clock::now();
  hub.add_head(t0 + seconds(1));
  CHECK(std::chrono::steady_clock::now() - write_begun < milliseconds(500));

  const auto begun = std::chrono::steady_clock::now();
  stamper->stop();
  CHECK(std::chrono::steady_clock::now() - begun < milliseconds(500));
  // An abandoned request is not a TSA failure.
  CHECK(stamper->snapshot().failures == 0);
  CHECK(hub.waiting() == 2);
}

TEST_CASE("next_backoff doubles from the initial wait up to the cap", "[evidence][timestamper]") {
  evidence::timestamper_config config;  // 1 s, capped at 60 s
  std::vector<milliseconds> waits;
  milliseconds current{0};
  for (int i = 0; i < 9; ++i) {
    current = evidence::next_backoff(current, config);
    waits.push_back(current);
  }
  CHECK(waits == std::vector<milliseconds>{seconds(1), seconds(2), seconds(4), seconds(8),
                                           seconds(16), seconds(32), seconds(60), seconds(60),
                                           seconds(60)});
  config.initial_backoff = milliseconds(300);
  config.max_backoff = milliseconds(1000);
  CHECK(evidence::next_backoff(milliseconds(0), config) == milliseconds(300));
  CHECK(evidence::next_backoff(milliseconds(300), config) == milliseconds(600));
  CHECK(evidence::next_backoff(milliseconds(600), config) == milliseconds(1000));
  CHECK(evidence::next_backoff(milliseconds(1000), config) == milliseconds(1000));
  // Near the top of the range the doubling cannot overflow.
  config.max_backoff = milliseconds::max();
  CHECK(evidence::next_backoff(milliseconds::max() / 2 + milliseconds(1), config) ==
        milliseconds::max());
}

TEST_CASE("timestamper configuration is validated", "[evidence][timestamper]") {
  evidence::timestamper_config good;
  good.tsa_url = "http://127.0.0.1:3180";
  good.trust.ca_certificate_path = "/etc/saphan/tsa-ca.crt";
  SAPHAN_REQUIRE_OK(evidence::validate_timestamper_config(good));

  auto invalid = [&](auto change) {
    auto config = good;
    change(config);
    return evidence::validate_timestamper_config(config).code() == errc::invalid_argument;
  };
  using cfg = evidence::timestamper_config;
  CHECK(invalid([](cfg& c) { c.tsa_url = "ftp://127.0.0.1:21"; }));
  CHECK(invalid([](cfg& c) { c.tsa_url = ""; }));
  CHECK(invalid([](cfg& c) { c.tsa_url = "https://tsa.example:443"; }));  // no TLS context
  CHECK(invalid([](cfg& c) { c.trust.ca_certificate_path.clear(); }));
  CHECK(invalid([](cfg& c) { c.request_timeout = milliseconds(0); }));
  CHECK(invalid([](cfg& c) { c.initial_backoff = milliseconds(0); }));
  CHECK(invalid([](cfg& c) { c.max_backoff = c.initial_backoff - milliseconds(1); }));
  CHECK(invalid([](cfg& c) { c.poll_interval = milliseconds(-1); }));
  CHECK(invalid([](cfg& c) { c.grace_period = milliseconds(0); }));
  CHECK(invalid([](cfg& c) { c.batch_limit = 0; }));
  CHECK(invalid([](cfg& c) { c.batch_limit = evidence::max_timestamper_batch + 1; }));
  CHECK_FALSE(invalid([](cfg& c) { c.batch_limit = evidence::max_timestamper_batch; }));
  CHECK_FALSE(invalid([](cfg& c) { c.max_backoff = c.initial_backoff; }));

  CHECK(evidence::timestamper::create(good, nullptr).code() == errc::invalid_argument);
}
