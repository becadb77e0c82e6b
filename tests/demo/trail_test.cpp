#include "demo/trail.hpp"

#include <catch2/catch.hpp>

namespace {

std::vector<saphan::evidence_row> sample_rows() {
  auto db = saphan::open_sqlite_store({":memory:"});
  REQUIRE(db);
  REQUIRE((*db)->append_evidence(
      R"({"kind":"exchange.decision","receivedAt":"2026-01-01T00:00:00Z","requestId":"r1",)"
      R"("consumer":"TH/GOV/JFO/legal-aid","dataset":"TH/GOV/DOPA/civil-registry/person@1.0",)"
      R"("purpose":"legal-aid-eligibility","lawfulBasis":"consent","fieldsGranted":["birthDate","firstNameTh"],)"
      R"("decision":"allow","reason":""})"));
  REQUIRE((*db)->append_evidence(
      R"({"kind":"exchange.outcome","at":"2026-01-01T00:00:01Z","requestId":"r1","decisionIndex":0,"status":"ok"})"));
  REQUIRE((*db)->append_evidence(
      R"({"kind":"exchange.decision","receivedAt":"2026-01-01T00:00:02Z","requestId":"r2","decision":"deny","reason":"consent_required"})"));
  auto rows = (*db)->read_evidence(0, 100);
  REQUIRE(rows);
  REQUIRE(rows->size() == 3);
  return *rows;
}

}  // namespace

TEST_CASE("the trail lists entries and verifies the hash chain", "[demo][trail]") {
  saphan::demo::chain_state chain;
  const auto lines = saphan::demo::summarise_evidence(sample_rows(), chain);
  REQUIRE(lines.size() == 3);
  for (const auto& line : lines) CHECK(line.chain_ok);
  CHECK(lines[0].outcome == "allow");
  CHECK(lines[0].detail.find("granted=[birthDate,firstNameTh]") != std::string::npos);
  CHECK(lines[1].kind == "exchange.outcome");
  CHECK(lines[1].outcome == "ok");
  CHECK(lines[1].detail == "decision #0");
  CHECK(lines[2].outcome == "deny");
  CHECK(lines[2].reason == "consent_required");
  CHECK(chain.next_index == 3);
  const auto text = saphan::demo::format_trail_line(lines[2]);
  CHECK(text.find("#2  exchange.decision") == 0);
  CHECK(text.find("deny (consent_required)") != std::string::npos);
  CHECK(text.find("chain ok") != std::string::npos);
}

TEST_CASE("the trail shows a rewritten or missing entry as a broken link", "[demo][trail]") {
  auto rows = sample_rows();
  SECTION("rewritten entry") {
    rows[1].entry_json.replace(rows[1].entry_json.find("\"ok\""), 4, "\"no\"");
    saphan::demo::chain_state chain;
    const auto lines = saphan::demo::summarise_evidence(rows, chain);
    CHECK(lines[0].chain_ok);
    CHECK_FALSE(lines[1].chain_ok);
    CHECK(lines[2].chain_ok);  // reported once, at the entry that changed
    CHECK(saphan::demo::format_trail_line(lines[1]).find("CHAIN BROKEN") != std::string::npos);
  }
  SECTION("removed entry") {
    rows.erase(rows.begin() + 1);
    saphan::demo::chain_state chain;
    const auto lines = saphan::demo::summarise_evidence(rows, chain);
    CHECK(lines[0].chain_ok);
    CHECK_FALSE(lines[1].chain_ok);
  }
  SECTION("unreadable entry") {
    rows[0].entry_json = "not json";
    saphan::demo::chain_state chain;
    const auto lines = saphan::demo::summarise_evidence(rows, chain);
    CHECK(lines[0].kind == "(unreadable)");
    CHECK_FALSE(lines[0].chain_ok);
  }
}
