#include <catch2/catch.hpp>

#include "catalog/dataset.hpp"
#include "core/citizen_id.hpp"
#include "policy/decision.hpp"

using namespace saphan;
using namespace std::chrono_literals;

namespace {

const std::string jfo = "TH/GOV/JFO/legal-aid";
const std::string rtp = "TH/GOV/RTP/criminal-records";
const std::string legal_aid_act = "Justice Fund Act B.E. 2558 s.28";
const std::string statistics_act = "Statistics Act B.E. 2550";

member_id member(const std::string& text) {
  return *parse_member_id(text);
}

timestamp test_now() {
  return *parse_rfc3339("2026-11-21T09:30:00Z");
}

// A DOPA person dataset: JFO may ask for legal aid (consent or public task, 3 requests a
// minute); the justice group may ask for pseudonymised statistics under research, unlimited.
dataset_entry person_dataset() {
  dataset_entry d;
  d.id = *parse_dataset_id("TH/GOV/DOPA/civil-registry/person@1.0");
  d.subject_field = "citizenId";
  d.level = classification::confidential;
  purpose_rule legal_aid{"legal-aid-eligibility",
                         {"citizenId", "firstNameTh", "lastNameTh", "birthDate"},
                         {lawful_basis::consent, lawful_basis::public_task},
                         {legal_aid_act},
                         false};
  purpose_rule statistics{
      "statistics", {"birthDate", "sex"}, {lawful_basis::research}, {statistics_act}, true};
  d.policy.grants = {access_grant{{jfo}, {legal_aid}, rate_limit{3, 60}},
                     access_grant{{"group:justice"}, {statistics}, rate_limit{0, 60}}};
  return d;
}

access_request consent_request() {
  access_request r;
  r.consumer = member(jfo);
  r.consumer_clearance = classification::secret;
  r.dataset = person_dataset().id;
  r.purpose = "legal-aid-eligibility";
  r.basis = lawful_basis::consent;
  r.consent = consent_id{"consent-1"};
  r.subject = complete_thai_id("110170012345");
  r.fields = {"citizenId", "firstNameTh"};
  return r;
}

access_request public_task_request() {
  auto r = consent_request();
  r.basis = lawful_basis::public_task;
  r.consent.reset();
  r.legal_instrument = legal_aid_act;
  return r;
}

access_request statistics_request() {
  access_request r;
  r.consumer = member(rtp);
  r.consumer_groups = {"police", "justice"};
  r.consumer_clearance = classification::secret;
  r.dataset = person_dataset().id;
  r.purpose = "statistics";
  r.basis = lawful_basis::research;
  r.legal_instrument = statistics_act;
  r.subject = complete_thai_id("110170012345");
  return r;
}

consent_artefact active_consent() {
  consent_artefact c;
  c.id = consent_id{"consent-1"};
  c.subject = complete_thai_id("110170012345");
  c.consumer = member(jfo);
  c.datasets = {person_dataset().id};
  c.purpose = "legal-aid-eligibility";
  c.fields = {"citizenId", "firstNameTh", "lastNameTh"};
  c.valid_from = test_now() - 24h;
  c.valid_until = test_now() + 24h * 30;
  c.collection_method = "web-form";
  c.status = consent_status::active;
  return c;
}

access_decision decide_with(const access_request& r, const consent_artefact* c = nullptr,
                            std::uint32_t recent = 0) {
  return decide(r, person_dataset(), c, test_now(), recent);
}

void require_denied(const access_decision& d, errc reason) {
  INFO("detail: " << d.detail);
  CHECK_FALSE(d.allowed);
  CHECK(to_string(d.reason) == to_string(reason));
  CHECK(d.granted_fields.empty());
  CHECK_FALSE(d.detail.empty());
}

}  // namespace

TEST_CASE("a consented request for allowed fields is allowed", "[policy][decision]") {
  auto consent = active_consent();
  auto d = decide_with(consent_request(), &consent);
  INFO(d.detail);
  REQUIRE(d.allowed);
  CHECK(d.granted_fields == std::set<std::string>{"citizenId", "firstNameTh"});
  CHECK(d.purpose == "legal-aid-eligibility");
  CHECK_FALSE(d.pseudonymise_subject);
}

TEST_CASE("no requested fields grants every field of the purpose", "[policy][decision]") {
  auto r = public_task_request();
  r.fields.clear();
  auto d = decide_with(r);
  REQUIRE(d.allowed);
  CHECK(d.granted_fields ==
        std::set<std::string>{"citizenId", "firstNameTh", "lastNameTh", "birthDate"});
}

TEST_CASE("1: a request for another dataset is unknown_dataset", "[policy][decision]") {
  auto r = public_task_request();
  r.dataset = *parse_dataset_id("TH/GOV/DOPA/civil-registry/person@2.0");
  require_denied(decide_with(r), errc::unknown_dataset);
  r.dataset = *parse_dataset_id("TH/GOV/DOPA/civil-registry/house@1.0");
  require_denied(decide_with(r), errc::unknown_dataset);
}

TEST_CASE("2: clearance below the dataset's level is classification_not_permitted",
          "[policy][decision]") {
  auto r = public_task_request();
  r.consumer_clearance = classification::internal;  // one below confidential
  require_denied(decide_with(r), errc::classification_not_permitted);
  r.consumer_clearance = classification::open;
  require_denied(decide_with(r), errc::classification_not_permitted);
  r.consumer_clearance = classification::confidential;  // exactly the level
  CHECK(decide_with(r).allowed);
}

TEST_CASE("3: a consumer no grant names is consumer_not_allowed", "[policy][decision]") {
  auto r = public_task_request();
  r.consumer = member("TH/GOV/DBD/juristic-registry");
  require_denied(decide_with(r), errc::consumer_not_allowed);
  // A member id is matched whole, never by prefix or subsystem.
  r.consumer = member("TH/GOV/JFO/legal-aid-2");
  require_denied(decide_with(r), errc::consumer_not_allowed);
  // A group the consumer is not in does not help.
  auto s = statistics_request();
  s.consumer_groups = {"police"};
  require_denied(decide_with(s), errc::consumer_not_allowed);
  // A member literally named like the group is not in it.
  s.consumer_groups = {"group:justice"};
  require_denied(decide_with(s), errc::consumer_not_allowed);
}

TEST_CASE("3: group membership lets a consumer in", "[policy][decision]") {
  auto d = decide_with(statistics_request());
  INFO(d.detail);
  REQUIRE(d.allowed);
  CHECK(d.purpose == "statistics");
  CHECK(d.pseudonymise_subject);
  CHECK(d.granted_fields == std::set<std::string>{"birthDate", "sex"});
}

TEST_CASE("an empty policy denies everybody", "[policy][decision]") {
  auto dataset = person_dataset();
  dataset.policy.grants.clear();
  auto d = decide(public_task_request(), dataset, nullptr, test_now(), 0);
  require_denied(d, errc::consumer_not_allowed);
}

TEST_CASE("4: a purpose the consumer's grants lack is purpose_not_allowed", "[policy][decision]") {
  auto r = public_task_request();
  r.purpose = "debt-collection";
  require_denied(decide_with(r), errc::purpose_not_allowed);
  // "statistics" exists, but only in the justice group's grant, which JFO is not in.
  r.purpose = "statistics";
  r.basis = lawful_basis::research;
  r.legal_instrument = statistics_act;
  require_denied(decide_with(r), errc::purpose_not_allowed);
}

TEST_CASE("5: a field outside the purpose is field_not_allowed, named", "[policy][decision]") {
  auto r = public_task_request();
  r.fields = {"citizenId", "religion"};
  auto d = decide_with(r);
  require_denied(d, errc::field_not_allowed);
  CHECK(d.detail.find("religion") != std::string::npos);
  CHECK(d.purpose == "legal-aid-eligibility");
}

TEST_CASE("6: a basis the purpose does not accept is lawful_basis_not_allowed",
          "[policy][decision]") {
  auto r = public_task_request();
  for (auto basis :
       {lawful_basis::legal_obligation, lawful_basis::vital_interest, lawful_basis::contract,
        lawful_basis::legitimate_interest, lawful_basis::research}) {
    r.basis = basis;
    INFO(to_string(basis));
    require_denied(decide_with(r), errc::lawful_basis_not_allowed);
  }
  auto s = statistics_request();
  s.basis = lawful_basis::consent;
  s.consent = consent_id{"consent-1"};
  require_denied(decide_with(s), errc::lawful_basis_not_allowed);
}

TEST_CASE("7: a non-consent basis needs an accepted legal instrument", "[policy][decision]") {
  auto r = public_task_request();
  r.legal_instrument.reset();
  require_denied(decide_with(r), errc::legal_instrument_required);
  r.legal_instrument = "";
  require_denied(decide_with(r), errc::legal_instrument_required);
  r.legal_instrument = statistics_act;  // a real instrument, but not one this purpose accepts
  require_denied(decide_with(r), errc::legal_instrument_not_accepted);
  r.legal_instrument = legal_aid_act;
  CHECK(decide_with(r).allowed);
}

TEST_CASE("7: a non-consent basis needs no consent", "[policy][decision]") {
  auto r = public_task_request();
  auto d = decide_with(r, nullptr);
  INFO(d.detail);
  CHECK(d.allowed);
}

TEST_CASE("8: the rate limit allows requests-1 and denies requests", "[policy][decision]") {
  auto r = public_task_request();
  CHECK(decide_with(r, nullptr, 0).allowed);
  CHECK(decide_with(r, nullptr, 2).allowed);  // limit is 3: this is the third
  require_denied(decide_with(r, nullptr, 3), errc::rate_limited);
  require_denied(decide_with(r, nullptr, 1000), errc::rate_limited);
}

TEST_CASE("8: requests 0 means unlimited", "[policy][decision]") {
  CHECK(decide_with(statistics_request(), nullptr, 4'000'000'000u).allowed);
}

TEST_CASE("9: consent basis without a consent id is consent_required", "[policy][decision]") {
  auto r = consent_request();
  r.consent.reset();
  auto consent = active_consent();
  require_denied(decide_with(r, &consent), errc::consent_required);
}

TEST_CASE("9: a consent the caller did not find is consent_not_found", "[policy][decision]") {
  auto r = consent_request();
  require_denied(decide_with(r, nullptr), errc::consent_not_found);
  auto other = active_consent();
  other.id = consent_id{"consent-2"};
  require_denied(decide_with(r, &other), errc::consent_not_found);
}

TEST_CASE("9: check_consent's reason is the decision's reason", "[policy][decision]") {
  auto r = consent_request();
  auto consent = active_consent();

  consent.status = consent_status::revoked;
  require_denied(decide_with(r, &consent), errc::consent_revoked);
  consent.status = consent_status::requested;
  require_denied(decide_with(r, &consent), errc::consent_not_active);

  consent = active_consent();
  consent.valid_until = test_now();
  require_denied(decide_with(r, &consent), errc::consent_expired);

  consent = active_consent();
  consent.max_uses = 2;
  consent.uses = 2;
  require_denied(decide_with(r, &consent), errc::consent_exhausted);

  consent = active_consent();
  consent.purpose = "other-purpose";
  require_denied(decide_with(r, &consent), errc::consent_mismatch);

  consent = active_consent();
  consent.subject = complete_thai_id("310170012345");
  require_denied(decide_with(r, &consent), errc::consent_mismatch);
}

TEST_CASE("9: consent must cover the granted fields, including 'all fields'",
          "[policy][decision]") {
  auto consent = active_consent();  // covers citizenId, firstNameTh, lastNameTh
  auto r = consent_request();
  r.fields = {"citizenId", "lastNameTh"};
  CHECK(decide_with(r, &consent).allowed);
  r.fields = {"citizenId", "birthDate"};  // allowed by policy, not by consent
  auto d = decide_with(r, &consent);
  require_denied(d, errc::consent_mismatch);
  CHECK(d.detail.find("birthDate") != std::string::npos);
  r.fields.clear();  // all four purpose fields; consent covers three
  require_denied(decide_with(r, &consent), errc::consent_mismatch);
}

TEST_CASE("the earliest failing check gives the reason", "[policy][decision]") {
  auto r = consent_request();
  r.consent.reset();
  r.fields = {"religion"};
  r.consumer_clearance = classification::open;
  r.dataset = *parse_dataset_id("TH/GOV/DOPA/civil-registry/person@9");
  require_denied(decide_with(r), errc::unknown_dataset);
  r.dataset = person_dataset().id;
  require_denied(decide_with(r), errc::classification_not_permitted);
  r.consumer_clearance = classification::secret;
  require_denied(decide_with(r), errc::field_not_allowed);
  r.fields = {"citizenId"};
  r.basis = lawful_basis::contract;
  require_denied(decide_with(r, nullptr, 99), errc::lawful_basis_not_allowed);
  r.basis = lawful_basis::consent;
  require_denied(decide_with(r, nullptr, 99), errc::rate_limited);
  require_denied(decide_with(r, nullptr, 0), errc::consent_required);
}

TEST_CASE("the first matching grant with the purpose decides, grants are not merged",
          "[policy][decision]") {
  auto dataset = person_dataset();
  purpose_rule narrow{
      "statistics", {"birthDate"}, {lawful_basis::research}, {statistics_act}, true};
  dataset.policy.grants.insert(dataset.policy.grants.begin(),
                               access_grant{{rtp}, {narrow}, rate_limit{0, 60}});
  auto r = statistics_request();
  r.fields = {"sex"};  // only the later, wider group grant allows it
  require_denied(decide(r, dataset, nullptr, test_now(), 0), errc::field_not_allowed);
  r.fields = {"birthDate"};
  CHECK(decide(r, dataset, nullptr, test_now(), 0).allowed);
}
