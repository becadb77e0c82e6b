#include "demo/trail.hpp"

#include <catch2/catch.hpp>

#include "evidence/log.hpp"

namespace {

saphan::log_append entry(std::string json) {
  return {std::move(json), {}};
}

std::vector<saphan::log_row> sample_rows() {
  auto db = saphan::open_store(":memory:");
  REQUIRE(db);
  std::vector<saphan::log_append> entries = {
      entry(
          R"({"kind":"exchange.decision","receivedAt":"2026-01-01T00:00:00Z","requestId":"r1",)"
          R"("consumer":"TH/GOV/JFO/legal-aid","dataset":"TH/GOV/DOPA/civil-registry/person@1.0",)"
          R"("purpose":"legal-aid-eligibility","lawfulBasis":"consent","fieldsGranted":["birthDate","firstNameTh"],)"
          R"("decision":"allow","reason":""})"),
      entry(
          R"({"kind":"exchange.outcome","at":"2026-01-01T00:00:01Z","requestId":"r1","decisionIndex":0,"status":"ok"})"),
      entry(
          R"({"kind":"exchange.decision","receivedAt":"2026-01-01T00:00:02Z","requestId":"r2","decision":"deny","reason":"consent_required"})"),
      entry("not json")};
  REQUIRE(saphan::evidence::append_entries(**db, entries));
  auto rows = (*db)->read_log(0, 100);
  REQUIRE(rows);
  REQUIRE(rows->size() == 4);
  return *rows;
}

}  // namespace

TEST_CASE("the trail summarises each kind of log entry", "[demo][trail]") {
  const auto rows = sample_rows();
  const auto allow = saphan::demo::summarise_entry(rows[0]);
  CHECK(allow.outcome == "allow");
  CHECK(allow.request_id == "r1");
  CHECK(allow.detail.find("granted=[birthDate,firstNameTh]") != std::string::npos);
  const auto outcome = saphan::demo::summarise_entry(rows[1]);
  CHECK(outcome.kind == "exchange.outcome");
  CHECK(outcome.outcome == "ok");
  CHECK(outcome.detail == "decision #0");
  const auto deny = saphan::demo::summarise_entry(rows[2]);
  CHECK(deny.outcome == "deny");
  CHECK(deny.reason == "consent_required");
  CHECK(deny.index == 2);
  CHECK(saphan::demo::summarise_entry(rows[3]).kind == "(unreadable)");

  const auto text = saphan::demo::format_trail_line(deny, "proved in head 4");
  CHECK(text.find("#2  exchange.decision") == 0);
  CHECK(text.find("deny (consent_required)") != std::string::npos);
  CHECK(text.find("proved in head 4") != std::string::npos);
}
