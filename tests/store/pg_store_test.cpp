// What only the PostgreSQL store has to show (its migrations, its server's refusals, writers on
// several connections racing for one index), and the consent flow's tables on both backends.
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include "core/citizen_id.hpp"
#include "evidence/log.hpp"
#include "store/pg_migrations.hpp"
#include "store/pg_store.hpp"
#include "store/store.hpp"
#include "store_backends.hpp"
#include "store_test_data.hpp"

using namespace saphan;
using namespace saphan::store_test::data;
using store_test::backend;
using store_test::backend_location;
using store_test::name_of;

namespace {

log_append entry(int n) {
  log_terms t;
  t.kind = "exchange.decision";
  t.request_id = "r" + std::to_string(n);
  return {R"({"n":)" + std::to_string(n) + "}", t};
}

// A statement on one test database, outside the store. FAILs on error.
void pg_exec(const std::string& url, const std::string& sql) {
  PGconn* c = PQconnectdb(url.c_str());
  REQUIRE(PQstatus(c) == CONNECTION_OK);
  PGresult* r = PQexec(c, sql.c_str());
  const bool done = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
  std::string message = PQresultErrorMessage(r);
  PQclear(r);
  PQfinish(c);
  INFO(sql << ": " << message);
  REQUIRE(done);
}

}  // namespace

TEST_CASE("a new PostgreSQL database is migrated to the latest schema, once", "[store][pg]") {
  store_test::pg_database db;
  auto first = open_store(db.url);
  REQUIRE(first);
  CHECK(*(*first)->schema_version() == pg::latest_schema_version());
  // A second node opening the migrated database finds nothing to do and sees the same rows.
  REQUIRE((*first)->add_member(jfo()));
  auto second = open_store(db.url);
  REQUIRE(second);
  CHECK(*(*second)->schema_version() == pg::latest_schema_version());
  CHECK((*second)->find_member(jfo().id));
}

TEST_CASE("PostgreSQL migrations are numbered 1..N without gaps", "[store][pg][migration]") {
  const auto& list = pg::migrations();
  REQUIRE_FALSE(list.empty());
  for (std::size_t i = 0; i < list.size(); ++i)
    CHECK(list[i].version == static_cast<int>(i + 1));
}

TEST_CASE("nodes opening one new database at once migrate it exactly once", "[store][pg]") {
  store_test::pg_database db;
  std::atomic<int> failures{0};
  std::vector<std::thread> nodes;
  for (int i = 0; i < 4; ++i) {
    nodes.emplace_back([&] {
      auto s = open_store(db.url);
      if (!s || *(*s)->schema_version() != pg::latest_schema_version())
        ++failures;
    });
  }
  for (auto& t : nodes)
    t.join();
  CHECK(failures == 0);
}

TEST_CASE("a PostgreSQL database newer than this program is refused", "[store][pg][migration]") {
  store_test::pg_database db;
  REQUIRE(open_store(db.url));
  pg_exec(db.url, "UPDATE saphan_schema SET version = 99");
  auto s = open_store(db.url);
  REQUIRE_FALSE(s);
  CHECK(s.code() == errc::storage_failure);
  CHECK_THAT(s.error().detail, Catch::Matchers::Contains("99"));
  auto reader = open_store(db.url, store_access::read_only);
  CHECK(reader.code() == errc::storage_failure);
}

TEST_CASE("an unreachable or unknown PostgreSQL database is a storage failure", "[store][pg]") {
  const auto& server = store_test::pg_server();
  auto missing = open_store(server.url("no_such_database"));
  REQUIRE_FALSE(missing);
  CHECK(missing.code() == errc::storage_failure);
  CHECK_THAT(missing.error().detail, Catch::Matchers::Contains("no_such_database"));
  // A port nothing listens on (the server's own port, on a socket folder that has none).
  auto nowhere = open_store("postgresql://saphan@/postgres?host=/nonexistent&port=1");
  CHECK(nowhere.code() == errc::storage_failure);
  CHECK(open_pg_store("/tmp/hub.db").code() == errc::invalid_argument);
}

TEST_CASE("a read-only PostgreSQL connection is refused by the server itself", "[store][pg]") {
  store_test::pg_database db;
  // An empty database: no schema to read.
  CHECK(open_store(db.url, store_access::read_only).code() == errc::storage_failure);
  REQUIRE(open_store(db.url));
  // Without the store's own refusal in front: the server refuses, and nothing changes.
  auto raw = open_pg_store(db.url, store_access::read_only);
  REQUIRE(raw);
  auto added = (*raw)->add_member(jfo());
  REQUIRE_FALSE(added);
  CHECK(added.code() == errc::storage_failure);
  CHECK_THAT(added.error().detail, Catch::Matchers::Contains("read-only"));
  CHECK((*raw)->list_members()->empty());
}

TEST_CASE("two writers appending at the same index: one commits, the other gets conflict",
          "[store][pg][evidence]") {
  store_test::pg_database db;
  auto a = open_store(db.url);
  auto b = open_store(db.url);
  REQUIRE(a);
  REQUIRE(b);
  // Writer a holds its uncommitted entry 0 when b, which reads size 0 too (a has not committed),
  // appends at 0: b waits for a's commit, then fails whole, writing nothing.
  std::atomic<bool> b_done{false};
  result<void> b_result;
  std::thread other;
  auto outer = (*a)->transaction([&](store& tx) -> result<void> {
    auto first = evidence::append_entries(tx, {entry(0)});
    if (!first)
      return first.error();
    other = std::thread([&] {
      auto appended = evidence::append_entries(**b, {entry(100)});
      b_result = appended ? ok() : result<void>(appended.error());
      b_done = true;
    });
    // b cannot finish while a's entry 0 is uncommitted.
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    CHECK_FALSE(b_done.load());
    return ok();
  });
  other.join();
  REQUIRE(outer);
  REQUIRE_FALSE(b_result);
  CHECK(b_result.code() == errc::conflict);
  auto rows = (*b)->read_log(0, 10);
  REQUIRE(rows);
  REQUIRE(rows->size() == 1);
  CHECK(rows->front().entry == entry(0).entry);
  // b appends after it with the size it reads now.
  REQUIRE(evidence::append_entries(**b, {entry(1)}));
  CHECK(*(*a)->log_size() == 2);
}

TEST_CASE("log terms keep every byte, NUL included, and are found by it", "[store][evidence]") {
  const auto backend = SAPHAN_EACH_BACKEND;
  INFO(name_of(backend));
  backend_location where(backend);
  auto s = where.open();
  auto e = entry(0);
  e.terms.request_id = std::string("r\0x", 3);
  REQUIRE(evidence::append_entries(*s, {e}));
  log_filter f;
  f.request_id = e.terms.request_id;
  auto found = s->search_log(f);
  REQUIRE(found);
  CHECK(found->size() == 1);
  auto decided = s->decided_request_ids(timestamp{});
  REQUIRE(decided);
  REQUIRE(decided->size() == 1);
  CHECK(decided->front().request_id == e.terms.request_id);
}

TEST_CASE("consent receipts are kept with their consent, oldest first", "[store][consents]") {
  const auto backend = SAPHAN_EACH_BACKEND;
  INFO(name_of(backend));
  backend_location where(backend);
  auto s = where.open();
  const auto c = consent("c-1");
  const auto t = *parse_rfc3339("2026-01-02T00:00:00Z");
  consent_receipt_record r{c.id, "granted", t, 7, "eyJhbGciOiJFZERTQSJ9..sig"};
  CHECK(s->add_consent_receipt(r).code() == errc::consent_not_found);
  REQUIRE(s->add_consent(c));
  REQUIRE(s->add_consent_receipt(r));
  auto revoked = r;
  revoked.event = "revoked";
  revoked.at = t + std::chrono::hours(1);
  revoked.log_index = 9;
  REQUIRE(s->add_consent_receipt(revoked));
  auto big = r;
  big.jws = std::string(max_receipt_bytes + 1, 'x');
  CHECK(s->add_consent_receipt(big).code() == errc::payload_too_large);

  auto listed = s->list_consent_receipts(c.id);
  REQUIRE(listed);
  REQUIRE(listed->size() == 2);
  CHECK((*listed)[0].event == "granted");
  CHECK((*listed)[0].at == t);
  CHECK((*listed)[0].log_index == 7);
  CHECK((*listed)[0].jws == r.jws);
  CHECK((*listed)[1].event == "revoked");
  CHECK(s->list_consent_receipts(consent_id{"c-404"})->empty());
}

TEST_CASE("the notification outbox keeps, reschedules and removes notifications",
          "[store][consents]") {
  const auto backend = SAPHAN_EACH_BACKEND;
  INFO(name_of(backend));
  backend_location where(backend);
  auto s = where.open();
  const auto t0 = *parse_rfc3339("2026-01-02T00:00:00Z");
  outbox_notification n{"n-1", jfo().id, R"({"consent":"c-1"})", 0, t0, ""};
  REQUIRE(s->add_notification(n));
  CHECK(s->add_notification(n).code() == errc::already_exists);
  auto later = n;
  later.id = "n-2";
  later.next_attempt = t0 + std::chrono::seconds(30);
  REQUIRE(s->add_notification(later));
  auto big = n;
  big.id = "n-3";
  big.payload = std::string(max_notification_bytes + 1, 'x');
  CHECK(s->add_notification(big).code() == errc::payload_too_large);
  big.payload = "{}";
  big.id = "";
  CHECK(s->add_notification(big).code() == errc::invalid_argument);

  auto due = s->due_notifications(t0, 10);
  REQUIRE(due);
  REQUIRE(due->size() == 1);
  CHECK(due->front().id == "n-1");
  CHECK(due->front().consumer == jfo().id);
  CHECK(due->front().payload == n.payload);
  CHECK(s->due_notifications(t0 + std::chrono::minutes(1), 10)->size() == 2);
  CHECK(s->due_notifications(t0 + std::chrono::minutes(1), 1)->size() == 1);

  REQUIRE(
      s->reschedule_notification("n-1", 1, t0 + std::chrono::minutes(5), std::string(2000, 'e')));
  due = s->due_notifications(t0 + std::chrono::minutes(1), 10);
  REQUIRE(due);
  REQUIRE(due->size() == 1);
  CHECK(due->front().id == "n-2");
  due = s->due_notifications(t0 + std::chrono::minutes(5), 10);
  REQUIRE(due->size() == 2);
  CHECK(due->back().id == "n-1");
  CHECK(due->back().attempts == 1);
  CHECK(due->back().last_error.size() == 512);  // kept bounded
  CHECK(s->reschedule_notification("n-9", 1, t0, "").code() == errc::not_found);

  REQUIRE(s->remove_notification("n-1"));
  CHECK(s->remove_notification("n-1").code() == errc::not_found);
  CHECK(s->due_notifications(t0 + std::chrono::hours(1), 10)->size() == 1);
}

TEST_CASE("check_writable succeeds on a store with room and leaves nothing behind", "[store]") {
  const auto backend = SAPHAN_EACH_BACKEND;
  INFO(name_of(backend));
  backend_location where(backend);
  auto s = where.open();
  REQUIRE(s->check_writable());
  REQUIRE(s->check_writable());
  // Inside a transaction too, which it does not end.
  REQUIRE(s->transaction([&](store& tx) -> result<void> {
    SAPHAN_TRY_VOID(tx.check_writable());
    return tx.add_member(jfo());
  }));
  CHECK(s->find_member(jfo().id));
}
