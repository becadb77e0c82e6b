// The hub's exchange checks without a network: a real SQLite store, real keys and signatures.
// A store wrapper fails the evidence log on demand, to show the hub fails closed.
#include <catch2/catch.hpp>

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <optional>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "core/files.hpp"
#include "crypto/jws.hpp"
#include "crypto/keys.hpp"
#include "crypto/pseudonym.hpp"
#include "evidence/writer.hpp"
#include "hub/exchange.hpp"
#include "store/store_decorator.hpp"
#include "tests/support/signing_ca.hpp"

using namespace saphan;
namespace fs = std::filesystem;

namespace {

// Runs one step of the service to its end on this thread (the log writer resumes it here).
template <class T>
T run(boost::asio::awaitable<T> step) {
  boost::asio::io_context io;
  std::optional<T> out;
  boost::asio::co_spawn(
      io, [&]() -> boost::asio::awaitable<void> { out.emplace(co_await std::move(step)); },
      boost::asio::detached);
  io.run();
  return std::move(*out);
}

// Delegates to a real store; appending to the log fails while `fail_log` is set.
class failing_log_store : public store_decorator {
 public:
  using store_decorator::store_decorator;
  bool fail_log = false;

  // While stalled, the writer waits inside append_log, as on a very slow disk.
  void stall(bool on) {
    {
      std::lock_guard lock(gate_mutex_);
      stalled_ = on;
    }
    gate_.notify_all();
  }
  bool wait_for_stalled_batch(std::chrono::seconds limit) {
    std::unique_lock lock(gate_mutex_);
    return gate_.wait_for(lock, limit, [&] { return batches_waiting_ > 0; });
  }

  result<void> append_log(std::uint64_t first, const std::vector<log_append>& entries,
                          const std::vector<merkle::stored_node>& nodes) override {
    {
      std::unique_lock lock(gate_mutex_);
      ++batches_waiting_;
      gate_.notify_all();
      gate_.wait(lock, [&] { return !stalled_; });
      --batches_waiting_;
    }
    if (fail_log)
      return make_error(errc::storage_failure, "disk full (injected)");
    return inner().append_log(first, entries, nodes);
  }

 private:
  std::mutex gate_mutex_;
  std::condition_variable gate_;
  bool stalled_ = false;
  int batches_waiting_ = 0;
};

struct fixture {
  fs::path dir;
  std::unique_ptr<store> db;            // what the service reads, and the test inspects
  failing_log_store* log_db = nullptr;  // the evidence writer's own connection
  std::unique_ptr<evidence::log_writer> writer;
  hub::hub_config config;
  test::signing_ca ca;
  crypto::signing_key_pair consumer_keys = crypto::generate_signing_key();
  pki::member_signer consumer_signer =
      ca.signer_for(*parse_member_id("TH/GOV/JFO/legal-aid"), consumer_keys, "jfo-sig-1");
  crypto::encryption_key_pair reply_keys = crypto::generate_encryption_key();
  member_id consumer = *parse_member_id("TH/GOV/JFO/legal-aid");
  member_id other = *parse_member_id("TH/GOV/RTP/criminal-records");
  dataset_id dataset = *parse_dataset_id("TH/GOV/DOPA/civil-registry/person@1.0");
  std::string subject = "1101700230708";
  std::string consent = "cns-test-1";
  // Now, to the second: the test CA's certificates are valid from a few minutes ago.
  timestamp now = std::chrono::floor<std::chrono::seconds>(now_utc());

  fixture() {
    dir = fs::temp_directory_path() / ("saphan-hub-test-" + crypto::random_id());
    fs::create_directories(dir);
    auto opened = open_store((dir / "store.db").string());
    REQUIRE(opened);
    db = std::move(*opened);
    auto second = open_store((dir / "store.db").string());
    REQUIRE(second);
    auto failing = std::make_unique<failing_log_store>(std::move(*second));
    log_db = failing.get();
    writer = std::make_unique<evidence::log_writer>(std::move(failing));
    register_members();
    publish_dataset();
    add_consent();
    config.member = *parse_member_id("TH/GOV/SAPHAN/hub");
    config.providers[dataset.owner] = {"127.0.0.1", 9, true};
  }
  ~fixture() {
    writer.reset();
    db.reset();
    std::error_code ec;
    fs::remove_all(dir, ec);
  }

  void register_members() {
    for (const auto* text :
         {"TH/GOV/JFO/legal-aid", "TH/GOV/RTP/criminal-records", "TH/GOV/DOPA/civil-registry"}) {
      member_record m{*parse_member_id(text), "member", {"justice"}, classification::secret};
      REQUIRE(db->add_member(m));
      // Its TLS client certificate, as the hub finds it by fingerprint (see peer()).
      REQUIRE(db->add_key({m.id, tls_fingerprint(m.id), key_use::tls, "-----BEGIN CERTIFICATE-----",
                           timestamp{}, timestamp{}, false}));
    }
    REQUIRE(db->add_key({consumer, "jfo-sig-1", key_use::signing,
                         crypto::to_base64url(consumer_keys.public_key), timestamp{}, timestamp{},
                         false}));
  }

  void publish_dataset() {
    auto file = read_file(std::string(SAPHAN_SOURCE_DIR) + "/config/datasets/dopa-person.json");
    REQUIRE(file);
    auto doc = parse_json(*file);
    REQUIRE(doc);
    auto entry = dataset_from_json(*doc, std::string(SAPHAN_SOURCE_DIR) + "/schemas");
    REQUIRE(entry);
    REQUIRE(db->publish_dataset(*entry));
  }

  void add_consent() {
    consent_terms terms{subject,
                        consumer,
                        {dataset},
                        "legal-aid-eligibility",
                        {"firstNameTh"},
                        now - std::chrono::hours(1),
                        now + std::chrono::hours(24),
                        5,
                        "test"};
    auto requested =
        request_consent(consent_id{consent}, terms, now - std::chrono::hours(1), "jfo");
    REQUIRE(requested);
    auto granted = grant(*requested, now - std::chrono::hours(1), "subject");
    REQUIRE(granted);
    REQUIRE(db->add_consent(*granted));
  }

  hub::hub_identity identity() {
    return {config.member, pki::reloadable_signer::of(ca.signer(config.member, "hub-1")),
            crypto::pseudonym_key_from_bytes(std::string(32, 'k')).value()};
  }

  request_envelope envelope(std::string id) {
    request_envelope r;
    r.request_id = std::move(id);
    r.issued_at = now;
    r.consumer = consumer;
    r.dataset = dataset;
    r.purpose = "legal-aid-eligibility";
    r.basis = lawful_basis::consent;
    r.consent_id = consent;
    r.subject = subject;
    r.fields = {"firstNameTh"};
    r.reply_key = crypto::to_public_jwk(reply_keys.public_key, "jfo-enc-1");
    return r;
  }

  std::pair<std::string, std::string> signed_body(const request_envelope& r) {
    auto body = serialize(r);
    auto sig = consumer_signer.sign(body);
    REQUIRE(sig);
    return {body, *sig};
  }

  static std::string tls_fingerprint(const member_id& who) {
    return crypto::sha256(to_string(who)).to_hex();
  }

  // A TLS peer presenting the certificate registered for `who`.
  net::peer_info peer(const member_id& who) {
    net::peer_info p;
    p.member = who;
    p.certificate_fingerprint = tls_fingerprint(who);
    p.certificate_serial = "01";
    return p;
  }

  std::size_t log_size() {
    auto rows = db->read_log(0, 10000);
    REQUIRE(rows);
    return rows->size();
  }

  std::uint32_t consent_uses() {
    auto c = db->find_consent(consent_id{consent});
    REQUIRE(c);
    return c->uses;
  }
};

}  // namespace

TEST_CASE("an allowed request is logged, spends one consent use, and is signed for the provider",
          "[hub][exchange]") {
  fixture f;
  hub::exchange_service service(*f.db, *f.writer, f.config, f.identity(), f.ca.anchor());
  auto [body, sig] = f.signed_body(f.envelope("request-0001"));
  auto admitted = run(service.admit(f.peer(f.consumer), body, sig, f.now));
  REQUIRE(admitted);
  CHECK(admitted->decision.allowed);
  CHECK(admitted->decision.granted_fields == std::set<std::string>{"firstNameTh"});
  CHECK(admitted->decision_index == 0);
  CHECK(f.log_size() == 1);
  CHECK(f.consent_uses() == 1);
  CHECK(crypto::verify_detached(admitted->forward_signature, admitted->forward_body,
                                service.public_key()));
  auto forwarded = parse_forwarded_request(admitted->forward_body);
  REQUIRE(forwarded);
  CHECK(forwarded->request == body);
  CHECK(forwarded->grant.request_id == "request-0001");
  CHECK(forwarded->grant.fields == std::set<std::string>{"firstNameTh"});
}

TEST_CASE("an exchange waiting for the group commit holds no thread", "[hub][exchange]") {
  fixture f;
  hub::exchange_service service(*f.db, *f.writer, f.config, f.identity(), f.ca.anchor());
  f.log_db->stall(true);
  boost::asio::io_context io;  // its one thread runs the exchange and must stay free
  auto [body, sig] = f.signed_body(f.envelope("request-0201"));
  std::optional<result<hub::admitted_request>> admitted;
  boost::asio::co_spawn(
      io,
      [&]() -> boost::asio::awaitable<void> {
        admitted.emplace(co_await service.admit(f.peer(f.consumer), body, sig, f.now));
      },
      boost::asio::detached);
  std::thread runner([&] { io.run(); });
  struct release_and_join {  // also when a REQUIRE below fails: no stalled writer, no lost thread
    failing_log_store& log;
    std::thread& runner;
    ~release_and_join() {
      log.stall(false);
      if (runner.joinable())
        runner.join();
    }
  } cleanup{*f.log_db, runner};

  // The decision is with the writer, which cannot finish: the thread must do other work meanwhile.
  REQUIRE(f.log_db->wait_for_stalled_batch(std::chrono::seconds(10)));
  std::promise<void> other_work;
  boost::asio::post(io, [&] { other_work.set_value(); });
  CHECK(other_work.get_future().wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  CHECK_FALSE(admitted.has_value());

  f.log_db->stall(false);
  runner.join();
  REQUIRE(admitted.has_value());
  REQUIRE(*admitted);
  CHECK((*admitted)->decision_index == 0);
}

TEST_CASE("the hub fails closed: no evidence, no exchange, no consent use", "[hub][exchange]") {
  fixture f;
  hub::exchange_service service(*f.db, *f.writer, f.config, f.identity(), f.ca.anchor());
  f.log_db->fail_log = true;
  auto [body, sig] = f.signed_body(f.envelope("request-0002"));
  auto admitted = run(service.admit(f.peer(f.consumer), body, sig, f.now));
  REQUIRE_FALSE(admitted);
  CHECK(admitted.error().code == errc::evidence_unavailable);
  CHECK(f.consent_uses() == 0);
  f.log_db->fail_log = false;
  CHECK(f.log_size() == 0);
}

TEST_CASE("a denial the hub cannot log is answered evidence_unavailable", "[hub][exchange]") {
  fixture f;
  hub::exchange_service service(*f.db, *f.writer, f.config, f.identity(), f.ca.anchor());
  f.log_db->fail_log = true;
  auto r = f.envelope("request-0003");
  r.purpose = "marketing";
  auto [body, sig] = f.signed_body(r);
  auto admitted = run(service.admit(f.peer(f.consumer), body, sig, f.now));
  REQUIRE_FALSE(admitted);
  CHECK(admitted.error().code == errc::evidence_unavailable);
}

TEST_CASE("refusals before the decision are each logged with their code", "[hub][exchange]") {
  fixture f;
  hub::exchange_service service(*f.db, *f.writer, f.config, f.identity(), f.ca.anchor());
  auto [body, sig] = f.signed_body(f.envelope("request-0004"));

  auto mismatch = run(service.admit(f.peer(f.other), body, sig, f.now));
  CHECK(mismatch.code() == errc::certificate_mismatch);

  net::peer_info anonymous;
  anonymous.member_error = "no certificate";
  CHECK(run(service.admit(anonymous, body, sig, f.now)).code() == errc::unauthenticated);

  auto tampered = sig;
  tampered[tampered.size() - 3] = tampered[tampered.size() - 3] == 'A' ? 'B' : 'A';
  CHECK(run(service.admit(f.peer(f.consumer), body, tampered, f.now)).code() ==
        errc::bad_signature);

  auto late = f.now + f.config.freshness + std::chrono::seconds(1);
  CHECK(run(service.admit(f.peer(f.consumer), body, sig, late)).code() == errc::stale_request);
  auto early = f.now - f.config.freshness - std::chrono::seconds(1);
  CHECK(run(service.admit(f.peer(f.consumer), body, sig, early)).code() == errc::stale_request);

  CHECK(run(service.admit(f.peer(f.consumer), "{not json", sig, f.now)).code() ==
        errc::malformed_body);

  REQUIRE(run(service.admit(f.peer(f.consumer), body, sig, f.now)));
  CHECK(run(service.admit(f.peer(f.consumer), body, sig, f.now)).code() == errc::replay);

  // Seven refusals and one decision: every one of them is in the log.
  auto rows = f.db->read_log(0, 100);
  REQUIRE(rows);
  REQUIRE(rows->size() == 8);
  int rejected = 0;
  for (const auto& row : *rows) {
    if (row.entry.find("\"kind\":\"exchange.rejected\"") != std::string::npos)
      ++rejected;
  }
  CHECK(rejected == 7);
  CHECK(rows->back().entry.find("\"reason\":\"replay\"") != std::string::npos);
}

TEST_CASE("a request id is the consumer's own: another member's use of it is no replay",
          "[hub][exchange]") {
  fixture f;
  auto police_keys = crypto::generate_signing_key();
  auto police = f.ca.signer_for(f.other, police_keys, "rtp-sig-1");
  REQUIRE(f.db->add_key({f.other, "rtp-sig-1", key_use::signing,
                         crypto::to_base64url(police_keys.public_key), timestamp{}, timestamp{},
                         false}));
  hub::exchange_service service(*f.db, *f.writer, f.config, f.identity(), f.ca.anchor());
  auto [body, sig] = f.signed_body(f.envelope("shared-id-0001"));
  REQUIRE(run(service.admit(f.peer(f.consumer), body, sig, f.now)));

  auto theirs = f.envelope("shared-id-0001");
  theirs.consumer = f.other;
  const auto their_body = serialize(theirs);
  const auto their_sig = police.sign(their_body);
  REQUIRE(their_sig);
  auto first = run(service.admit(f.peer(f.other), their_body, *their_sig, f.now));
  // Whatever the policy says of the police's request, it is not refused as the JFO's replay.
  CHECK(first.code() != errc::replay);
  CHECK(run(service.admit(f.peer(f.other), their_body, *their_sig, f.now)).code() == errc::replay);
  CHECK(run(service.admit(f.peer(f.consumer), body, sig, f.now)).code() == errc::replay);
}

TEST_CASE("the freshness window is inclusive at its edges", "[hub][exchange]") {
  fixture f;
  hub::exchange_service service(*f.db, *f.writer, f.config, f.identity(), f.ca.anchor());
  auto [body, sig] = f.signed_body(f.envelope("request-0005"));
  CHECK(run(service.admit(f.peer(f.consumer), body, sig, f.now + f.config.freshness)));
}

TEST_CASE("the evidence never holds the citizen id, only its keyed pseudonym", "[hub][exchange]") {
  fixture f;
  hub::exchange_service service(*f.db, *f.writer, f.config, f.identity(), f.ca.anchor());
  auto [body, sig] = f.signed_body(f.envelope("request-0006"));
  REQUIRE(run(service.admit(f.peer(f.consumer), body, sig, f.now)));
  auto rows = f.db->read_log(0, 10);
  REQUIRE(rows);
  REQUIRE(rows->size() == 1);
  CHECK(rows->front().entry.find(f.subject) == std::string::npos);
  CHECK(rows->front().entry.find(service.pseudonym(f.subject)) != std::string::npos);
}
