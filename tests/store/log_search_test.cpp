#include <catch2/catch.hpp>

#include <sqlite3.h>

#include <algorithm>
#include <memory>
#include <string>

#include "core/time.hpp"
#include "store/log_search.hpp"
#include "store/migrations.hpp"

using namespace saphan;

namespace {

using db_handle = std::unique_ptr<sqlite3, int (*)(sqlite3*)>;

// An in-memory database with the store's current schema.
db_handle migrated_db() {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(":memory:", &db) == SQLITE_OK);
  db_handle owned(db, sqlite3_close);
  REQUIRE(sqlite::migrate(db));
  return owned;
}

// SQLite's plan for `sql` on the current schema, one detail line per step.
std::string plan_of(const std::string& sql) {
  auto db = migrated_db();
  sqlite3_stmt* raw = nullptr;
  auto explain = "EXPLAIN QUERY PLAN " + sql;
  REQUIRE(sqlite3_prepare_v2(db.get(), explain.c_str(), -1, &raw, nullptr) == SQLITE_OK);
  std::string plan;
  while (sqlite3_step(raw) == SQLITE_ROW)
    plan += reinterpret_cast<const char*>(sqlite3_column_text(raw, 3)) + std::string("\n");
  sqlite3_finalize(raw);
  return plan;
}

std::string plan_of(const log_filter& f) {
  auto q = sqlite::log_search_query(f, 100);
  INFO(q.sql);
  return plan_of(q.sql);
}

}  // namespace

TEST_CASE("a log search looks its criterion up in an index instead of reading the whole log",
          "[store][evidence]") {
  log_filter f;
  f.subject = "pseudonym";  // a citizen's "who saw my data"
  auto plan = plan_of(f);
  CHECK(plan.find("SEARCH log_entries USING INDEX log_by_subject") != std::string::npos);
  CHECK(plan.find("SCAN") == std::string::npos);

  f = {};
  f.request_id = "r1";
  f.kind = "exchange.outcome";
  plan = plan_of(f);
  CHECK(plan.find("USING INDEX log_by_request") != std::string::npos);
  CHECK(plan.find("SCAN") == std::string::npos);

  f = {};
  f.dataset = "TH/GOV/DOPA/civil-registry/person@1.0";
  plan = plan_of(f);
  CHECK(plan.find("USING INDEX log_by_dataset") != std::string::npos);
  CHECK(plan.find("SCAN") == std::string::npos);

  // A member as consumer or provider: both indexes, merged in idx order without a sort of all
  // of the member's entries.
  f = {};
  f.member = "TH/GOV/DOPA/civil-registry";
  f.status = "ok";
  plan = plan_of(f);
  CHECK(plan.find("USING INDEX log_by_consumer") != std::string::npos);
  CHECK(plan.find("USING INDEX log_by_provider") != std::string::npos);
  CHECK(plan.find("SCAN") == std::string::npos);
  CHECK(plan.find("TEMP B-TREE") == std::string::npos);

  // A time range alone walks the log newest first and stops at the page, without sorting the range.
  f = {};
  f.since = *parse_rfc3339("2026-11-01T00:00:00Z");
  f.until = *parse_rfc3339("2026-12-01T00:00:00Z");
  plan = plan_of(f);
  CHECK(plan.find("log_by_time") == std::string::npos);
  CHECK(plan.find("TEMP B-TREE") == std::string::npos);
  // With a subject as well, the subject's index still leads.
  f.subject = "pseudonym";
  plan = plan_of(f);
  CHECK(plan.find("USING INDEX log_by_subject") != std::string::npos);
  CHECK(plan.find("TEMP B-TREE") == std::string::npos);
}

TEST_CASE("a search by kind, by status or by both uses an index, with a time range too",
          "[store][evidence]") {
  const auto since = *parse_rfc3339("2026-11-01T00:00:00Z");
  const auto until = *parse_rfc3339("2026-12-01T00:00:00Z");
  for (int timed = 0; timed < 2; ++timed) {
    log_filter f;
    if (timed) {
      f.since = since;
      f.until = until;
    }
    f.kind = "exchange.outcome";
    auto plan = plan_of(f);
    CHECK(plan.find("SEARCH log_entries USING INDEX log_by_kind (kind=?)") != std::string::npos);
    CHECK(plan.find("SCAN log_entries") == std::string::npos);
    CHECK(plan.find("TEMP B-TREE") == std::string::npos);

    f.kind.reset();
    f.status = "provider_timeout";
    plan = plan_of(f);
    CHECK(plan.find("SEARCH log_entries USING INDEX log_by_status (status=?)") !=
          std::string::npos);
    CHECK(plan.find("SCAN log_entries") == std::string::npos);
    CHECK(plan.find("TEMP B-TREE") == std::string::npos);

    f.kind = "exchange.outcome";
    f.before_index = 1000;
    plan = plan_of(f);
    CHECK(plan.find("USING INDEX log_by_kind_status (kind=? AND status=?") != std::string::npos);
    CHECK(plan.find("SCAN log_entries") == std::string::npos);
    CHECK(plan.find("TEMP B-TREE") == std::string::npos);
  }
  // A sharper criterion still leads: a kind's or status's index would walk all of its entries
  // to find one citizen's (the citizen view asks for the decisions about one subject).
  log_filter f;
  f.kind = "exchange.decision";
  f.subject = "pseudonym";
  CHECK(plan_of(f).find("USING INDEX log_by_subject") != std::string::npos);
  f.subject.reset();
  f.member = "TH/GOV/JFO/legal-aid";
  f.status = "ok";
  auto plan = plan_of(f);
  CHECK(plan.find("USING INDEX log_by_consumer") != std::string::npos);
  CHECK(plan.find("USING INDEX log_by_provider") != std::string::npos);
  f = {};
  f.request_id = "r1";
  f.kind = "exchange.outcome";
  CHECK(plan_of(f).find("USING INDEX log_by_request") != std::string::npos);
  f = {};
  f.dataset = "TH/GOV/DOPA/civil-registry/person@1.0";
  f.status = "ok";
  CHECK(plan_of(f).find("USING INDEX log_by_dataset") != std::string::npos);
}

TEST_CASE("every combination of criteria makes a statement SQLite accepts, one value per '?'",
          "[store][evidence]") {
  auto db = migrated_db();
  for (unsigned mask = 0; mask < (1u << 9); ++mask) {
    log_filter f;
    auto given = [&](unsigned bit) { return (mask >> bit & 1u) != 0; };
    if (given(0))
      f.since = *parse_rfc3339("2026-11-01T00:00:00Z");
    if (given(1))
      f.until = *parse_rfc3339("2026-12-01T00:00:00Z");
    if (given(2))
      f.member = "m";
    if (given(3))
      f.dataset = "d";
    if (given(4))
      f.status = "ok";
    if (given(5))
      f.kind = "k";
    if (given(6))
      f.subject = mask % 3 == 0 ? "" : "s";
    if (given(7))
      f.request_id = mask % 5 == 0 ? "" : "r";
    if (given(8))
      f.before_index = 10;
    auto q = sqlite::log_search_query(f, 10);
    INFO(q.sql);
    CHECK(static_cast<std::size_t>(std::count(q.sql.begin(), q.sql.end(), '?')) == q.values.size());
    sqlite3_stmt* raw = nullptr;
    CHECK(sqlite3_prepare_v2(db.get(), q.sql.c_str(), -1, &raw, nullptr) == SQLITE_OK);
    CHECK(sqlite3_bind_parameter_count(raw) == static_cast<int>(q.values.size()));
    sqlite3_finalize(raw);
  }
}

TEST_CASE("a log search binds every value and names only the criteria given", "[store][evidence]") {
  log_filter f;
  auto q = sqlite::log_search_query(f, 7);
  CHECK(q.sql == "SELECT idx, entry FROM log_entries WHERE 1 ORDER BY idx DESC LIMIT ?");
  REQUIRE(q.values.size() == 1);
  CHECK(std::get<std::int64_t>(q.values[0]) == 7);

  f.member = "a' OR 1=1 --";
  f.before_index = 5;
  q = sqlite::log_search_query(f, 100);
  CHECK(q.sql.find(*f.member) == std::string::npos);
  // member, idx bound on each side of the UNION, then the limit.
  REQUIRE(q.values.size() == 5);
  CHECK(std::get<std::string>(q.values[0]) == "a' OR 1=1 --");
  CHECK(std::get<std::int64_t>(q.values[1]) == 5);
  CHECK(std::get<std::string>(q.values[2]) == "a' OR 1=1 --");
  CHECK(std::get<std::int64_t>(q.values[3]) == 5);
  CHECK(std::get<std::int64_t>(q.values[4]) == 100);
}
