#include <sqlite3.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <thread>
#include <vector>

#include "connectors/sqlite/sqlite_adapter.hpp"
#include "core/json.hpp"
#include "test_support.hpp"

using namespace saphan;
using namespace saphan::connector;
using saphan::connector::testing::temp_dir;

namespace {

void exec(sqlite3* db, const char* sql) {
  char* message = nullptr;
  auto rc = sqlite3_exec(db, sql, nullptr, nullptr, &message);
  INFO((message ? message : ""));
  sqlite3_free(message);
  REQUIRE(rc == SQLITE_OK);
}

std::string make_db(const temp_dir& dir) {
  auto path = dir.file("dopa.db");
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  exec(db, "CREATE TABLE person (citizen_id TEXT PRIMARY KEY, record TEXT, \"select\" TEXT)");
  exec(db, "INSERT INTO person VALUES ('1101700203451', '{\"citizenId\":\"1101700203451\"}', 'x')");
  exec(db, "INSERT INTO person VALUES ('3100600123456', NULL, 'y')");
  sqlite3_close(db);
  return path;
}

result<std::shared_ptr<record_adapter>> make(const std::string& json, const std::string& base) {
  auto doc = parse_json(json);
  REQUIRE(doc);
  return make_sqlite_adapter(*doc, "adapter", base);
}

}  // namespace

TEST_CASE("sql identifiers follow the config rule", "[connector]") {
  CHECK(is_sql_identifier("person"));
  CHECK(is_sql_identifier("_x9"));
  CHECK(is_sql_identifier(std::string(64, 'a')));
  CHECK_FALSE(is_sql_identifier(std::string(65, 'a')));
  CHECK_FALSE(is_sql_identifier(""));
  CHECK_FALSE(is_sql_identifier("9abc"));
  CHECK_FALSE(is_sql_identifier("person; DROP TABLE x"));
  CHECK_FALSE(is_sql_identifier("a\"b"));
  CHECK_FALSE(is_sql_identifier("a-b"));
}

TEST_CASE("sqlite adapter reads records by key from a real database", "[connector]") {
  temp_dir dir;
  make_db(dir);
  auto adapter = make(
      R"({"type":"sqlite","path":"dopa.db","table":"person","keyColumn":"citizen_id","recordColumn":"record"})",
      dir.path());
  REQUIRE(adapter);
  CHECK((*adapter)->type() == "sqlite");

  auto found = (*adapter)->fetch("1101700203451");
  REQUIRE(found);
  REQUIRE(found->has_value());
  CHECK(**found == R"({"citizenId":"1101700203451"})");

  auto missing = (*adapter)->fetch("1234567890121");
  REQUIRE(missing);
  CHECK_FALSE(missing->has_value());

  // A quote in the subject is just data: bound as a parameter, never spliced into SQL.
  auto hostile = (*adapter)->fetch("' OR '1'='1");
  REQUIRE(hostile);
  CHECK_FALSE(hostile->has_value());

  auto null_record = (*adapter)->fetch("3100600123456");
  REQUIRE_FALSE(null_record);
  CHECK(null_record.error().code == errc::provider_error);

  auto too_long = (*adapter)->fetch(std::string(max_subject_bytes + 1, '1'));
  REQUIRE_FALSE(too_long);
  CHECK(too_long.error().code == errc::invalid_argument);
  CHECK((*adapter)->fetch(std::string(max_subject_bytes, '1')));
}

TEST_CASE("sqlite adapter quotes identifiers so reserved words work", "[connector]") {
  temp_dir dir;
  make_db(dir);
  auto adapter = make(
      R"({"type":"sqlite","path":"dopa.db","table":"person","keyColumn":"citizen_id","recordColumn":"select"})",
      dir.path());
  REQUIRE(adapter);
  auto found = (*adapter)->fetch("1101700203451");
  REQUIRE(found);
  REQUIRE(found->has_value());
  CHECK(**found == "x");
}

TEST_CASE("sqlite adapter opens read-only", "[connector]") {
  temp_dir dir;
  auto path = make_db(dir);
  auto adapter = make(
      R"({"type":"sqlite","path":"dopa.db","table":"person","keyColumn":"citizen_id","recordColumn":"record"})",
      dir.path());
  REQUIRE(adapter);
  // Another connection can still write: the adapter holds no write lock.
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  exec(db, "INSERT INTO person VALUES ('1234567890121', '{}', 'z')");
  sqlite3_close(db);
  auto found = (*adapter)->fetch("1234567890121");
  REQUIRE(found);
  CHECK(found->has_value());
}

TEST_CASE("sqlite adapter config errors name the member", "[connector]") {
  temp_dir dir;
  make_db(dir);
  struct bad_case {
    const char* json;
    const char* member;
  };
  const bad_case cases[] = {
      {R"({"type":"sqlite","path":"missing.db","table":"person","keyColumn":"citizen_id","recordColumn":"record"})",
       "adapter.path"},
      {R"({"type":"sqlite","path":"dopa.db","table":"nope","keyColumn":"citizen_id","recordColumn":"record"})",
       "adapter.table"},
      {R"({"type":"sqlite","path":"dopa.db","table":"person x","keyColumn":"citizen_id","recordColumn":"record"})",
       "adapter.table"},
      {R"({"type":"sqlite","path":"dopa.db","table":"person","keyColumn":"id;--","recordColumn":"record"})",
       "adapter.keyColumn"},
      {R"({"type":"sqlite","path":"dopa.db","table":"person","keyColumn":"citizen_id"})",
       "adapter.recordColumn"},
      {R"({"type":"sqlite","path":"dopa.db","table":"person","keyColumn":"citizen_id","recordColumn":"record","extra":1})",
       "adapter.extra"},
      {R"({"type":"sqlite","path":"","table":"person","keyColumn":"citizen_id","recordColumn":"record"})",
       "adapter.path"},
  };
  for (const auto& c : cases) {
    auto adapter = make(c.json, dir.path());
    INFO(c.json);
    REQUIRE_FALSE(adapter);
    CHECK(adapter.error().code == errc::invalid_argument);
    CHECK(adapter.error().detail.rfind(c.member, 0) == 0);
  }
}

TEST_CASE("sqlite adapter is safe to use from several threads", "[connector]") {
  temp_dir dir;
  make_db(dir);
  auto adapter = make(
      R"({"type":"sqlite","path":"dopa.db","table":"person","keyColumn":"citizen_id","recordColumn":"record"})",
      dir.path());
  REQUIRE(adapter);
  std::atomic<int> found{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        auto r = (*adapter)->fetch(i % 2 ? "1101700203451" : "1234567890121");
        if (r && r->has_value() == (i % 2 == 1))
          ++found;
      }
    });
  }
  for (auto& t : threads)
    t.join();
  CHECK(found == 800);
}
