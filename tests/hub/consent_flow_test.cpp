// The hub's consent flow without a network: the documents (consent view, receipt, notification),
// the back-off schedule, the citizen's decision body, the outbox and receipts in a real SQLite
// store, and the ledger that writes a change with its entry, receipt and notification at once.
#include <catch2/catch.hpp>

#include "core/citizen_id.hpp"
#include "core/json.hpp"
#include "crypto/encoding.hpp"
#include "crypto/jws.hpp"
#include "hub/consent_api.hpp"
#include "hub/consent_documents.hpp"
#include "hub/consent_ledger.hpp"
#include "tests/store/store_test_support.hpp"
#include "tests/support/signing_ca.hpp"

using namespace saphan;
using namespace std::chrono_literals;

namespace {

timestamp at(const char* text) {
  return parse_rfc3339(text).value();
}

const member_id hub_member = *parse_member_id("TH/GOV/SAPHAN/hub");
const member_id jfo = *parse_member_id("TH/GOV/JFO/legal-aid");

consent_artefact requested(const std::string& id = "cns-1") {
  consent_terms t;
  t.subject = complete_thai_id("110370012345");
  t.consumer = jfo;
  t.datasets = {parse_dataset_id("TH/GOV/DOPA/civil-registry/person@1.0").value()};
  t.purpose = "legal-aid-eligibility";
  t.fields = {"firstNameTh", "lastNameTh"};
  t.valid_from = at("2026-01-01T00:00:00Z");
  t.valid_until = at("2026-02-01T00:00:00Z");
  t.max_uses = 3;
  t.collection_method = "citizen-portal";
  t.reason = "Legal aid <eligibility>";
  return request_consent(consent_id{id}, t, at("2026-01-01T00:00:00Z"), to_string(jfo)).value();
}

rapidjson::Document json_of(const std::string& text) {
  auto doc = parse_json(text);
  REQUIRE(doc);
  return std::move(*doc);
}

std::string payload_of(const std::string& compact) {
  auto first = compact.find('.');
  auto second = compact.find('.', first + 1);
  REQUIRE(second != std::string::npos);
  auto bytes = crypto::base64url_decode(compact.substr(first + 1, second - first - 1));
  REQUIRE(bytes);
  return *bytes;
}

std::string detached_of(const std::string& compact) {
  auto first = compact.find('.');
  auto second = compact.find('.', first + 1);
  return compact.substr(0, first + 1) + compact.substr(second);
}

std::unique_ptr<store> memory_store() {
  auto s = open_store(":memory:");
  REQUIRE(s);
  return std::move(*s);
}

}  // namespace

TEST_CASE("notifications back off from 1 s, doubling, to at most 60 s", "[hub][consent]") {
  using ms = std::chrono::milliseconds;
  CHECK(hub::notification_backoff(0) == ms(0));
  CHECK(hub::notification_backoff(1) == ms(1000));
  CHECK(hub::notification_backoff(2) == ms(2000));
  CHECK(hub::notification_backoff(3) == ms(4000));
  CHECK(hub::notification_backoff(6) == ms(32000));
  CHECK(hub::notification_backoff(7) == ms(60000));
  CHECK(hub::notification_backoff(8) == ms(60000));
  CHECK(hub::notification_backoff(4000000000u) == ms(60000));
}

TEST_CASE("the consent view shows the effective status, the reason and the events",
          "[hub][consent]") {
  auto active = grant(requested(), at("2026-01-02T00:00:00Z"), "citizen via portal").value();
  auto doc =
      json_of(hub::consent_view_json(active, "Justice Fund Office", at("2026-01-10T00:00:00Z")));
  CHECK(std::string(doc["consentId"].GetString()) == "cns-1");
  CHECK(std::string(doc["consumerName"].GetString()) == "Justice Fund Office");
  CHECK(std::string(doc["reason"].GetString()) == "Legal aid <eligibility>");
  CHECK(std::string(doc["status"].GetString()) == "active");
  CHECK(doc["maxUses"].GetUint() == 3);
  CHECK(doc["events"].Size() == 2);
  CHECK(std::string(doc["events"][1]["type"].GetString()) == "granted");
  CHECK(std::string(doc["requestedAt"].GetString()) == format_rfc3339(at("2026-01-01T00:00:00Z")));
  CHECK_FALSE(doc.HasMember("piiPrincipalId"));  // the citizen id is not shown
  auto later = json_of(hub::consent_view_json(active, "JFO", at("2026-03-01T00:00:00Z")));
  CHECK(std::string(later["status"].GetString()) == "expired");
}

TEST_CASE("a consent receipt is a compact JWS by the hub over the TS 27560-style record",
          "[hub][consent]") {
  test::signing_ca ca;
  auto signer = ca.signer(hub_member, "hub-1");
  auto active = grant(requested(), at("2026-01-02T00:00:00Z"), "citizen").value();
  hub::receipt_terms terms;
  terms.receipt_id = "rcp-1";
  terms.issued_at = at("2026-01-02T00:00:01Z");
  terms.subject_type = hub::receipt_subject::pseudonym;
  terms.subject = "ab12";
  terms.consumer_name = "Justice Fund Office";
  terms.event = consent_event_type::granted;
  terms.event_at = at("2026-01-02T00:00:00Z");
  terms.log_index = 41;
  terms.log = "saphan/TH/GOV/SAPHAN/hub";
  const auto payload = hub::receipt_payload(active, terms);
  auto doc = json_of(payload);
  CHECK(std::string(doc["schema"].GetString()) == "saphan-consent-receipt/1");
  CHECK(std::string(doc["piiPrincipalId"].GetString()) == "ab12");
  CHECK(std::string(doc["piiPrincipalIdType"].GetString()) == "pseudonym");
  CHECK(std::string(doc["piiController"].GetString()) == to_string(jfo));
  CHECK(doc["piiCategories"].Size() == 2);
  CHECK(std::string(doc["event"].GetString()) == "granted");
  CHECK(doc["logIndex"].GetUint64() == 41);
  CHECK(std::string(doc["collectionMethod"].GetString()) == "citizen-portal");

  auto jws = hub::sign_receipt(signer, payload);
  REQUIRE(jws);
  CHECK(payload_of(*jws) == payload);
  auto header = crypto::peek_jws_header(detached_of(*jws));
  REQUIRE(header);
  CHECK(header->members["typ"] == hub::receipt_type);
  CHECK(header->x5c.size() == 1);
  // The same signature checks as a detached JWS naming the hub, with the CA the members pin.
  CHECK(
      pki::verify_member_signature(detached_of(*jws), payload, hub_member, now_utc(), *ca.trust()));
  auto tampered = payload;
  tampered.replace(tampered.find("\"granted\""), 9, "\"revoked\"");
  CHECK_FALSE(pki::verify_member_signature(detached_of(*jws), tampered, hub_member, now_utc(),
                                           *ca.trust()));
}

TEST_CASE("a citizen's decision body is read strictly", "[hub][consent]") {
  auto approve = hub::parse_citizen_decision(R"({"action":"approve"})");
  REQUIRE(approve);
  CHECK(approve->action == hub::citizen_action::approve);
  CHECK(approve->subject == hub::receipt_subject::pseudonym);
  auto withdraw = hub::parse_citizen_decision(R"({"action":"withdraw","receiptSubject":"id"})");
  REQUIRE(withdraw);
  CHECK(withdraw->action == hub::citizen_action::withdraw);
  CHECK(withdraw->subject == hub::receipt_subject::citizen_id);
  CHECK(hub::parse_citizen_decision("{").code() == errc::malformed_json);
  CHECK(hub::parse_citizen_decision("[]").code() == errc::malformed_body);
  CHECK(hub::parse_citizen_decision(R"({"action":"grant"})").code() == errc::malformed_body);
  CHECK(hub::parse_citizen_decision(R"({})").code() == errc::malformed_body);
  CHECK(hub::parse_citizen_decision(R"({"action":"approve","x":1})").code() ==
        errc::malformed_body);
  CHECK(hub::parse_citizen_decision(R"({"action":"approve","receiptSubject":"name"})").code() ==
        errc::malformed_body);
  CHECK(hub::parse_citizen_decision(std::string(2000, ' ')).code() == errc::payload_too_large);
}

TEST_CASE("the consent API's paths are told apart from the log API's", "[hub][consent]") {
  CHECK(hub::is_consent_api_path("/v1/consents"));
  CHECK(hub::is_consent_api_path("/v1/consents/cns-1"));
  CHECK(hub::is_consent_api_path("/v1/citizen/1103700123454/consents"));
  CHECK(hub::is_consent_api_path("/v1/citizen/1103700123454/consents/cns-1/receipts"));
  CHECK(hub::is_consent_api_path("/v1/citizen/1103700123454/export"));
  CHECK_FALSE(hub::is_consent_api_path("/v1/citizen/1103700123454/accesses"));
  CHECK_FALSE(hub::is_consent_api_path("/v1/log/entries"));
}

TEST_CASE("the outbox keeps notifications across a reopen until they are removed",
          "[hub][consent][store]") {
  store_test::temp_dir dir;
  const auto t0 = at("2026-01-01T00:00:00Z");
  {
    auto s = open_store(dir.file());
    REQUIRE(s);
    REQUIRE((*s)->add_notification({"ntf-1", jfo, R"({"a":1})", 0, t0, ""}));
    REQUIRE((*s)->add_notification({"ntf-2", jfo, R"({"a":2})", 0, t0 + 5s, ""}));
    CHECK((*s)->add_notification({"ntf-1", jfo, R"({"a":1})", 0, t0, ""}).code() ==
          errc::already_exists);
    CHECK((*s)->add_notification({"ntf-3", jfo, "", 0, t0, ""}).code() == errc::payload_too_large);
    CHECK((*s)->add_notification(
                  {"ntf-3", jfo, std::string(max_notification_bytes + 1, 'x'), 0, t0, ""})
              .code() == errc::payload_too_large);
  }
  auto s = open_store(dir.file());
  REQUIRE(s);
  auto due = (*s)->due_notifications(t0, 10);
  REQUIRE(due);
  REQUIRE(due->size() == 1);
  CHECK(due->front().id == "ntf-1");
  CHECK(due->front().consumer == jfo);
  CHECK(due->front().payload == R"({"a":1})");
  REQUIRE((*s)->reschedule_notification("ntf-1", 1, t0 + 10s, "unreachable"));
  auto later = (*s)->due_notifications(t0 + 6s, 10);
  REQUIRE(later);
  REQUIRE(later->size() == 1);
  CHECK(later->front().id == "ntf-2");
  auto both = (*s)->due_notifications(t0 + 10s, 10);
  REQUIRE(both);
  REQUIRE(both->size() == 2);
  CHECK(both->back().attempts == 1);
  CHECK(both->back().last_error == "unreachable");
  CHECK((*s)->due_notifications(t0 + 10s, 1)->size() == 1);  // the limit holds
  REQUIRE((*s)->remove_notification("ntf-1"));
  CHECK((*s)->remove_notification("ntf-1").code() == errc::not_found);
  CHECK((*s)->reschedule_notification("ntf-9", 1, t0, "").code() == errc::not_found);
  CHECK((*s)->due_notifications(t0 + 1h, 10)->size() == 1);
}

TEST_CASE("the ledger writes a change with its entry, receipt and notification, or nothing",
          "[hub][consent][store]") {
  test::signing_ca ca;
  auto db = memory_store();
  bool notifies = true;
  hub::ledger_context ledger{crypto::pseudonym_key_from_bytes(std::string(32, 'k')).value(),
                             pki::reloadable_signer::of(ca.signer(hub_member, "hub-1")),
                             "saphan/TH/GOV/SAPHAN/hub",
                             [&](const member_id&) { return notifies; }};
  const auto t1 = at("2026-01-01T00:00:00Z");
  auto first = requested();
  auto asked = hub::record_consent_change(*db, ledger, first, std::nullopt, to_string(jfo), "JFO",
                                          hub::receipt_subject::pseudonym, t1);
  REQUIRE(asked);
  CHECK(asked->log_index == 0);
  CHECK(asked->receipt.empty());                       // a request has no receipt
  CHECK(db->due_notifications(t1 + 1h, 10)->empty());  // nor a notification

  auto active = grant(first, t1 + 1h, "citizen via portal").value();
  auto granted = hub::record_consent_change(*db, ledger, active, consent_status::requested,
                                            "citizen via portal", "JFO",
                                            hub::receipt_subject::citizen_id, t1 + 1h);
  REQUIRE(granted);
  CHECK(granted->log_index == 1);
  auto receipt = json_of(payload_of(granted->receipt));
  CHECK(std::string(receipt["piiPrincipalId"].GetString()) == first.subject);
  CHECK(receipt["logIndex"].GetUint64() == 1);
  auto kept = db->list_consent_receipts(first.id);
  REQUIRE(kept);
  REQUIRE(kept->size() == 1);
  CHECK(kept->front().jws == granted->receipt);
  CHECK(kept->front().event == "granted");
  auto due = db->due_notifications(t1 + 2h, 10);
  REQUIRE(due);
  REQUIRE(due->size() == 1);
  auto notice = json_of(due->front().payload);
  CHECK(std::string(notice["event"].GetString()) == "granted");
  CHECK(notice["logIndex"].GetUint64() == 1);
  CHECK(std::string(notice["consumer"].GetString()) == to_string(jfo));
  auto rows = db->read_log(0, 10);
  REQUIRE(rows);
  REQUIRE(rows->size() == 2);
  CHECK(json_of((*rows)[1].entry)["kind"] == "consent.granted");

  // Decided on a status that is no longer stored: nothing of it remains.
  auto stale = grant(first, t1 + 3h, "citizen via portal").value();
  auto refused = hub::record_consent_change(*db, ledger, stale, consent_status::requested,
                                            "citizen via portal", "JFO",
                                            hub::receipt_subject::pseudonym, t1 + 3h);
  CHECK(refused.code() == errc::conflict);
  CHECK(*db->log_size() == 2);
  CHECK(db->list_consent_receipts(first.id)->size() == 1);
  CHECK(db->due_notifications(t1 + 4h, 10)->size() == 1);

  // A consumer without a listener gets no notification; the receipt is still made.
  notifies = false;
  auto revoked = revoke(active, t1 + 5h, "citizen via portal").value();
  REQUIRE(hub::record_consent_change(*db, ledger, revoked, consent_status::active,
                                     "citizen via portal", "JFO", hub::receipt_subject::pseudonym,
                                     t1 + 5h));
  CHECK(db->due_notifications(t1 + 6h, 10)->size() == 1);
  CHECK(db->list_consent_receipts(first.id)->size() == 2);
  CHECK(db->add_consent_receipt({consent_id{"cns-none"}, "granted", t1, 0, "x"}).code() ==
        errc::consent_not_found);
}
