// The PostgreSQL record adapter against a real server (tests/store/pg_server.sh), one fresh
// database per test.
#include <libpq-fe.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <thread>
#include <vector>

#include "connectors/postgresql/pg_adapter.hpp"
#include "core/json.hpp"
#include "tests/store/pg_test_server.hpp"

using namespace saphan;
using namespace saphan::connector;
using saphan::store_test::pg_database;

namespace {

void exec(const std::string& url, const std::string& sql) {
  PGconn* c = PQconnectdb(url.c_str());
  REQUIRE(PQstatus(c) == CONNECTION_OK);
  PGresult* r = PQexec(c, sql.c_str());
  const auto status = PQresultStatus(r);
  INFO(sql << ": " << PQresultErrorMessage(r));
  PQclear(r);
  PQfinish(c);
  REQUIRE((status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK));
}

// An agency's table: a text record, a jsonb record, a NULL record and a record too large.
void make_person_table(const std::string& url) {
  exec(url,
       "CREATE TABLE person (citizen_id text PRIMARY KEY, record text, doc jsonb, \"select\" text);"
       "INSERT INTO person VALUES ('1101700203451', '{\"citizenId\":\"1101700203451\"}',"
       "  '{\"citizenId\": \"1101700203451\"}', 'x');"
       "INSERT INTO person VALUES ('3100600123456', NULL, NULL, 'y');"
       "INSERT INTO person VALUES ('3100600123457', repeat('a', 1048577), NULL, 'z');");
}

// The adapter's config on `table` (a table or view with citizen_id and record), plus `extra`.
std::string config_for(const pg_database& db, const std::string& extra = {},
                       const std::string& table = "person") {
  return R"({"type":"postgresql","connection":")" + db.url + R"(","table":")" + table +
         R"(","keyColumn":"citizen_id","recordColumn":"record")" + extra + "}";
}

result<std::shared_ptr<record_adapter>> make(const std::string& json) {
  auto doc = parse_json(json);
  REQUIRE(doc);
  return make_postgresql_adapter(*doc, "adapter", "");
}

std::shared_ptr<record_adapter> make_ok(const std::string& json) {
  auto adapter = make(json);
  INFO((adapter ? "" : adapter.error().detail));
  REQUIRE(adapter);
  return *adapter;
}

}  // namespace

TEST_CASE("postgresql adapter reads records by key from a real server", "[connector][pg]") {
  pg_database db;
  make_person_table(db.url);
  auto adapter = make_ok(config_for(db));
  CHECK(adapter->type() == "postgresql");

  auto found = adapter->fetch("1101700203451");
  REQUIRE(found);
  REQUIRE(found->has_value());
  CHECK(**found == R"({"citizenId":"1101700203451"})");

  auto missing = adapter->fetch("1234567890121");
  REQUIRE(missing);
  CHECK_FALSE(missing->has_value());

  // A quote in the subject is data: bound as a parameter, never spliced into SQL.
  auto hostile = adapter->fetch("' OR '1'='1");
  REQUIRE(hostile);
  CHECK_FALSE(hostile->has_value());

  auto null_record = adapter->fetch("3100600123456");
  REQUIRE_FALSE(null_record);
  CHECK(null_record.error().code == errc::provider_error);

  auto too_large = adapter->fetch("3100600123457");
  REQUIRE_FALSE(too_large);
  CHECK(too_large.error().code == errc::payload_too_large);

  auto too_long = adapter->fetch(std::string(max_subject_bytes + 1, '1'));
  REQUIRE_FALSE(too_long);
  CHECK(too_long.error().code == errc::invalid_argument);
}

TEST_CASE("postgresql adapter reads jsonb columns and quotes reserved words", "[connector][pg]") {
  pg_database db;
  make_person_table(db.url);
  auto jsonb = make_ok(R"({"type":"postgresql","connection":")" + db.url +
                       R"(","schema":"public","table":"person","keyColumn":"citizen_id",)"
                       R"("recordColumn":"doc"})");
  auto found = jsonb->fetch("1101700203451");
  REQUIRE(found);
  REQUIRE(found->has_value());
  auto parsed = parse_json(**found);
  REQUIRE(parsed);
  CHECK(std::string((*parsed)["citizenId"].GetString()) == "1101700203451");

  auto reserved =
      make_ok(R"({"type":"postgresql","connection":")" + db.url +
              R"(","table":"person","keyColumn":"citizen_id","recordColumn":"select"})");
  auto x = reserved->fetch("1101700203451");
  REQUIRE(x);
  REQUIRE(x->has_value());
  CHECK(**x == "x");
}

TEST_CASE("postgresql adapter refuses a key that names two records", "[connector][pg]") {
  pg_database db;
  make_person_table(db.url);
  exec(db.url,
       "CREATE VIEW twice AS SELECT citizen_id, record FROM person "
       "UNION ALL SELECT citizen_id, record FROM person");
  auto adapter = make_ok(config_for(db, "", "twice"));
  auto two = adapter->fetch("1101700203451");
  REQUIRE_FALSE(two);
  CHECK(two.error().code == errc::provider_error);
}

TEST_CASE("postgresql adapter sessions are read-only", "[connector][pg]") {
  pg_database db;
  make_person_table(db.url);
  // A record column computed by a function that writes: a read-only session must refuse it.
  exec(db.url,
       "CREATE TABLE touched (at timestamptz);"
       "CREATE FUNCTION touch(text) RETURNS text LANGUAGE plpgsql AS "
       "$$ BEGIN INSERT INTO touched VALUES (now()); RETURN $1; END $$;"
       "CREATE VIEW writes AS SELECT citizen_id, touch(record) AS record FROM person");
  auto adapter = make_ok(config_for(db, "", "writes"));
  auto refused = adapter->fetch("1101700203451");
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == errc::storage_failure);
  CHECK_THAT(refused.error().detail, Catch::Contains("read-only"));
}

TEST_CASE("postgresql adapter stops a slow lookup at statementTimeoutMs", "[connector][pg]") {
  pg_database db;
  make_person_table(db.url);
  exec(db.url, "CREATE VIEW slow AS SELECT citizen_id, record FROM person, pg_sleep(2)");
  auto adapter = make_ok(config_for(db, R"(,"statementTimeoutMs":100)", "slow"));
  const auto started = std::chrono::steady_clock::now();
  auto slow = adapter->fetch("1101700203451");
  REQUIRE_FALSE(slow);
  CHECK(slow.error().code == errc::provider_timeout);
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(2));
}

TEST_CASE("postgresql adapter connects again after the server ends its session",
          "[connector][pg]") {
  pg_database db;
  make_person_table(db.url);
  auto adapter = make_ok(config_for(db, R"(,"connections":1)"));
  REQUIRE(adapter->fetch("1101700203451"));
  exec(db.url,
       "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
       "WHERE application_name = 'saphan-connector' AND datname = current_database()");
  auto again = adapter->fetch("1101700203451");
  INFO((again ? "" : again.error().detail));
  REQUIRE(again);
  CHECK(again->has_value());
}

TEST_CASE("postgresql adapter serves concurrent lookups from its pool", "[connector][pg]") {
  pg_database db;
  make_person_table(db.url);
  auto adapter = make_ok(config_for(db, R"(,"connections":2)"));
  std::atomic<int> right{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < 8; ++t) {
    workers.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        auto r = adapter->fetch(i % 2 ? "1101700203451" : "1234567890121");
        if (r && r->has_value() == (i % 2 == 1))
          ++right;
      }
    });
  }
  for (auto& w : workers)
    w.join();
  CHECK(right == 200);
}

TEST_CASE("postgresql adapter config errors name the member", "[connector][pg]") {
  pg_database db;
  make_person_table(db.url);
  auto error_of = [](const std::string& json) {
    auto adapter = make(json);
    REQUIRE_FALSE(adapter);
    CHECK(adapter.error().code == errc::invalid_argument);
    return adapter.error().detail;
  };
  const auto prefix = R"({"type":"postgresql","connection":")" + db.url + R"(",)";
  CHECK_THAT(
      error_of(prefix + R"("table":"nope","keyColumn":"citizen_id","recordColumn":"record"})"),
      Catch::StartsWith("adapter.table:"));
  CHECK_THAT(
      error_of(prefix + R"("table":"person","keyColumn":"citizen_id","recordColumn":"nope"})"),
      Catch::StartsWith("adapter.table:"));
  CHECK_THAT(error_of(prefix + R"("table":"person; DROP TABLE person","keyColumn":"citizen_id",)"
                               R"("recordColumn":"record"})"),
             Catch::StartsWith("adapter.table:"));
  CHECK_THAT(error_of(config_for(db, R"(,"colour":"blue")")),
             Catch::Contains("adapter.colour: unknown member"));
  CHECK_THAT(error_of(config_for(db, R"(,"connections":0)")),
             Catch::StartsWith("adapter.connections:"));
  CHECK_THAT(error_of(R"({"type":"postgresql","connection":"host=localhost","table":"person",)"
                      R"("keyColumn":"citizen_id","recordColumn":"record"})"),
             Catch::StartsWith("adapter.connection:"));

  // A database that is not there: the error names the member and never repeats the password.
  const auto& server = saphan::store_test::pg_server();
  const auto absent =
      "postgresql://saphan:hunter2secret@/no_such_db?host=" + server.host + "&port=" + server.port;
  const auto detail = error_of(R"({"type":"postgresql","connection":")" + absent +
                               R"(","table":"person","keyColumn":"citizen_id",)"
                               R"("recordColumn":"record"})");
  CHECK_THAT(detail, Catch::StartsWith("adapter.connection:"));
  CHECK_THAT(detail, !Catch::Contains("hunter2secret"));
}
