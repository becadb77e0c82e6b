// Consent expiry over a real (in-memory) SQLite store behind the audited store: consents that
// ran out become expired with one consent.expired evidence entry each; nothing else changes.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "core/citizen_id.hpp"
#include "core/json.hpp"
#include "crypto/pseudonym.hpp"
#include "evidence/audited_store.hpp"
#include "hub/consent_expiry.hpp"

namespace {

using namespace saphan;

timestamp at(const char* text) {
  return parse_rfc3339(text).value();
}

member_record jfo() {
  return member_record{
      parse_member_id("TH/GOV/JFO/legal-aid").value(), "JFO", {"justice"}, classification::secret};
}

consent_artefact active_until(const std::string& id, const char* until) {
  consent_terms t;
  t.subject = complete_thai_id("110370012345");
  t.consumer = jfo().id;
  t.datasets = {parse_dataset_id("TH/GOV/DOPA/civil-registry/person@1.0").value()};
  t.purpose = "legal-aid-eligibility";
  t.fields = {"firstNameTh"};
  t.valid_from = at("2026-01-01T00:00:00Z");
  t.valid_until = at(until);
  t.collection_method = "web-form";
  auto requested = request_consent(consent_id{id}, t, at("2026-01-01T00:00:00Z"), "portal");
  return grant(requested.value(), at("2026-01-02T00:00:00Z"), "subject").value();
}

std::unique_ptr<store> audited_memory_store() {
  auto inner = open_store(":memory:");
  REQUIRE(inner);
  return evidence::make_audited_store(
      std::move(*inner), crypto::pseudonym_key_from_bytes(std::string(32, 'k')).value(), "hub");
}

// The kinds and consent ids of every log entry, in order.
std::vector<std::string> logged(store& s) {
  auto rows = s.read_log(0, 1000);
  REQUIRE(rows);
  std::vector<std::string> out;
  for (const auto& row : *rows) {
    auto doc = parse_json(row.entry);
    REQUIRE(doc);
    out.push_back(std::string((*doc)["kind"].GetString()) + " " + (*doc)["consentId"].GetString());
  }
  return out;
}

consent_status stored_status(store& s, const char* id) {
  return s.find_consent(consent_id{id}).value().status;
}

}  // namespace

TEST_CASE("the expiry sweep expires exactly the consents whose validity has ended",
          "[hub][consent]") {
  auto db = audited_memory_store();
  REQUIRE(db->add_consent(active_until("c-ended", "2026-03-01T00:00:00Z")));
  REQUIRE(db->add_consent(active_until("c-at-boundary", "2026-06-01T00:00:00Z")));
  REQUIRE(db->add_consent(active_until("c-current", "2026-06-01T00:00:00.000001Z")));
  auto revoked = revoke(active_until("c-revoked", "2026-02-01T00:00:00Z"),
                        at("2026-01-10T00:00:00Z"), "subject");
  REQUIRE(db->add_consent(revoked.value()));
  const auto before = logged(*db).size();

  auto swept = hub::expire_due_consents(*db, at("2026-06-01T00:00:00Z"));
  REQUIRE(swept);
  CHECK(swept->expired == 2);
  CHECK(stored_status(*db, "c-ended") == consent_status::expired);
  CHECK(stored_status(*db, "c-at-boundary") == consent_status::expired);  // validUntil is exclusive
  CHECK(stored_status(*db, "c-current") == consent_status::active);
  CHECK(stored_status(*db, "c-revoked") == consent_status::revoked);

  auto entries = logged(*db);
  REQUIRE(entries.size() == before + 2);
  CHECK(entries[before] == "consent.expired c-ended");
  CHECK(entries[before + 1] == "consent.expired c-at-boundary");
  // The expiry is in the artefact's own history too.
  auto ended = db->find_consent(consent_id{"c-ended"}).value();
  CHECK(ended.events.back().type == consent_event_type::expired);

  // A second sweep at the same time finds nothing; a later one finds the next.
  CHECK(hub::expire_due_consents(*db, at("2026-06-01T00:00:00Z"))->expired == 0);
  CHECK(logged(*db).size() == before + 2);
  CHECK(hub::expire_due_consents(*db, at("2026-06-01T00:00:01Z"))->expired == 1);
  CHECK(stored_status(*db, "c-current") == consent_status::expired);
}

TEST_CASE("the expiry sweep works through more consents than one batch", "[hub][consent]") {
  auto db = audited_memory_store();
  for (int i = 0; i < 7; ++i) {
    REQUIRE(db->add_consent(active_until("c-" + std::to_string(i), "2026-03-01T00:00:00Z")));
  }
  auto swept = hub::expire_due_consents(*db, at("2026-04-01T00:00:00Z"), 3);
  REQUIRE(swept);
  CHECK(swept->expired == 7);
  consent_filter still_active;
  still_active.status = consent_status::active;
  CHECK(db->list_consents(still_active)->empty());
}
