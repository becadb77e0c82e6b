#include <catch2/catch.hpp>

#include <functional>

#include "consent/consent.hpp"
#include "core/citizen_id.hpp"

using namespace saphan;
using namespace std::chrono_literals;
using Catch::Matchers::Contains;
using rapidjson::Value;

namespace {

timestamp at(std::string_view text) {
  return *parse_rfc3339(text);
}

consent_artefact sample() {
  consent_terms t;
  t.subject = complete_thai_id("110370012345");
  t.consumer = *parse_member_id("TH/GOV/JFO/legal-aid");
  t.datasets = {*parse_dataset_id("TH/GOV/DOPA/civil-registry/person@1.0"),
                *parse_dataset_id("TH/GOV/DOPA/civil-registry/house@1.2.3")};
  t.purpose = "legal-aid-eligibility";
  t.fields = {"birthDate", "firstNameTh", "lastNameTh"};
  t.valid_from = at("2026-01-01T00:00:00.000001Z");
  t.valid_until = at("2026-12-31T23:59:59.5Z");
  t.max_uses = 5;
  t.collection_method = "paper-signed";
  auto c = *request_consent(consent_id{"c-0001"}, t, at("2025-12-31T10:00:00Z"), "jfo-officer");
  c = *grant(c, at("2026-01-02T08:00:00.25Z"), t.subject);
  c = *record_use(c, at("2026-02-01T00:00:00Z"));
  c = *record_use(c, at("2026-02-02T00:00:00Z"));
  return c;
}

void check_same(const consent_artefact& a, const consent_artefact& b) {
  CHECK(a.id == b.id);
  CHECK(a.subject == b.subject);
  CHECK(a.consumer == b.consumer);
  CHECK(a.datasets == b.datasets);
  CHECK(a.purpose == b.purpose);
  CHECK(a.fields == b.fields);
  CHECK(a.valid_from == b.valid_from);
  CHECK(a.valid_until == b.valid_until);
  CHECK(a.max_uses == b.max_uses);
  CHECK(a.uses == b.uses);
  CHECK(a.collection_method == b.collection_method);
  CHECK(a.status == b.status);
  REQUIRE(a.events.size() == b.events.size());
  for (std::size_t i = 0; i < a.events.size(); ++i) {
    CHECK(a.events[i].type == b.events[i].type);
    CHECK(a.events[i].at == b.events[i].at);
    CHECK(a.events[i].actor == b.events[i].actor);
  }
}

// The sample's JSON with one change applied through RapidJSON.
std::string mutated(const std::function<void(rapidjson::Document&)>& change) {
  rapidjson::Document doc;
  auto text = consent_to_json(sample());
  doc.Parse(text.c_str());
  change(doc);
  return write_json(doc);
}

Value str(rapidjson::Document& d, std::string_view s) {
  return Value(s.data(), static_cast<rapidjson::SizeType>(s.size()), d.GetAllocator());
}

}  // namespace

TEST_CASE("consent JSON round trip is exact", "[consent][json]") {
  auto c = sample();
  auto text = consent_to_json(c);
  auto back = consent_from_json(text);
  REQUIRE(back);
  check_same(c, *back);
  CHECK(consent_to_json(*back) == text);
}

TEST_CASE("consent JSON round trip in every state and without maxUses", "[consent][json]") {
  auto c = sample();
  std::vector<consent_artefact> cases = {c, *revoke(c, at("2026-03-01T00:00:00Z"), "citizen")};
  auto no_limit = c;
  no_limit.max_uses.reset();
  cases.push_back(no_limit);
  auto rejected = c;
  rejected.status = consent_status::rejected;
  cases.push_back(rejected);
  auto expired = *expire(c, c.valid_until);
  cases.push_back(expired);
  for (const auto& item : cases) {
    auto back = consent_from_json(consent_to_json(item));
    REQUIRE(back);
    check_same(item, *back);
  }
}

TEST_CASE("consent JSON uses the ISO/IEC TS 27560-inspired names", "[consent][json]") {
  rapidjson::Document doc;
  auto text = consent_to_json(sample());
  doc.Parse(text.c_str());
  REQUIRE(doc.IsObject());
  CHECK(std::string(doc["consentId"].GetString()) == "c-0001");
  CHECK(std::string(doc["piiPrincipalId"].GetString()) == complete_thai_id("110370012345"));
  CHECK(std::string(doc["piiController"].GetString()) == "TH/GOV/JFO/legal-aid");
  CHECK(std::string(doc["piiProviders"][1].GetString()) ==
        "TH/GOV/DOPA/civil-registry/house@1.2.3");
  CHECK(doc["piiCategories"].Size() == 3);
  CHECK(std::string(doc["validFrom"].GetString()) == "2026-01-01T00:00:00.000001Z");
  CHECK(std::string(doc["validUntil"].GetString()) == "2026-12-31T23:59:59.500000Z");
  CHECK(doc["maxUses"].GetInt() == 5);
  CHECK(doc["uses"].GetInt() == 2);
  CHECK(std::string(doc["collectionMethod"].GetString()) == "paper-signed");
  CHECK(std::string(doc["status"].GetString()) == "active");
  REQUIRE(doc["eventHistory"].Size() == 2);
  CHECK(std::string(doc["eventHistory"][1]["event"].GetString()) == "granted");
  CHECK(std::string(doc["eventHistory"][1]["time"].GetString()) == "2026-01-02T08:00:00.250000Z");
  CHECK(std::string(doc["eventHistory"][0]["actor"].GetString()) == "jfo-officer");

  auto no_limit = sample();
  no_limit.max_uses.reset();
  doc.Parse(consent_to_json(no_limit).c_str());
  CHECK_FALSE(doc.HasMember("maxUses"));
}

TEST_CASE("consent JSON: every required member is required", "[consent][json]") {
  for (const char* name :
       {"consentId", "piiPrincipalId", "piiController", "piiProviders", "purpose", "piiCategories",
        "validFrom", "validUntil", "uses", "collectionMethod", "status", "eventHistory"}) {
    INFO(name);
    auto text = mutated([&](rapidjson::Document& d) { d.RemoveMember(name); });
    auto r = consent_from_json(text);
    REQUIRE_FALSE(r);
    CHECK(r.code() == errc::invalid_argument);
    CHECK_THAT(r.error().detail, Contains(name));
  }
  auto optional =
      consent_from_json(mutated([](rapidjson::Document& d) { d.RemoveMember("maxUses"); }));
  REQUIRE(optional);
  CHECK_FALSE(optional->max_uses);
}

TEST_CASE("consent JSON: malformed members give their codes", "[consent][json]") {
  struct row {
    std::string name;
    std::function<void(rapidjson::Document&)> change;
    errc code;
    std::string detail;
  };
  const std::vector<row> rows = {
      {"consentId type", [](auto& d) { d["consentId"].SetInt(5); }, errc::invalid_argument,
       "consentId"},
      {"consentId chars", [](auto& d) { d["consentId"] = str(d, "a/b"); }, errc::invalid_argument,
       "consent id"},
      {"subject", [](auto& d) { d["piiPrincipalId"] = str(d, "1234567890123"); },
       errc::invalid_citizen_id, "subject"},
      {"controller", [](auto& d) { d["piiController"] = str(d, "TH/GOV/JFO"); },
       errc::invalid_member_id, "piiController"},
      {"provider", [](auto& d) { d["piiProviders"][0] = str(d, "TH/GOV/DOPA/x/person"); },
       errc::invalid_dataset_id, "piiProviders[0]"},
      {"providers type", [](auto& d) { d["piiProviders"] = str(d, "x"); }, errc::invalid_argument,
       "piiProviders"},
      {"providers empty", [](auto& d) { d["piiProviders"].Clear(); }, errc::invalid_argument,
       "datasets"},
      {"purpose", [](auto& d) { d["purpose"] = str(d, "Bad Purpose"); }, errc::invalid_argument,
       "purpose"},
      {"categories item type", [](auto& d) { d["piiCategories"][0].SetBool(true); },
       errc::invalid_argument, "piiCategories"},
      {"categories duplicate",
       [](auto& d) { d["piiCategories"].PushBack(str(d, "birthDate"), d.GetAllocator()); },
       errc::invalid_argument, "duplicate"},
      {"validFrom", [](auto& d) { d["validFrom"] = str(d, "2026-01-01"); }, errc::invalid_timestamp,
       "validFrom"},
      {"validUntil before validFrom",
       [](auto& d) { d["validUntil"] = str(d, "2025-01-01T00:00:00Z"); }, errc::invalid_argument,
       "valid_until"},
      {"maxUses zero", [](auto& d) { d["maxUses"].SetInt(0); }, errc::invalid_argument, "max_uses"},
      {"maxUses negative", [](auto& d) { d["maxUses"].SetInt(-1); }, errc::invalid_argument,
       "maxUses"},
      {"maxUses too big", [](auto& d) { d["maxUses"].SetInt64(4294967296LL); },
       errc::invalid_argument, "maxUses"},
      {"maxUses fraction", [](auto& d) { d["maxUses"].SetDouble(1.5); }, errc::invalid_argument,
       "maxUses"},
      {"uses negative", [](auto& d) { d["uses"].SetInt(-1); }, errc::invalid_argument, "uses"},
      {"uses above maxUses", [](auto& d) { d["uses"].SetInt(6); }, errc::invalid_argument, "uses"},
      {"collectionMethod", [](auto& d) { d["collectionMethod"] = str(d, ""); },
       errc::invalid_argument, "collection_method"},
      {"status unknown", [](auto& d) { d["status"] = str(d, "paused"); }, errc::invalid_argument,
       "status"},
      {"status type", [](auto& d) { d["status"].SetNull(); }, errc::invalid_argument, "status"},
      {"events type", [](auto& d) { d["eventHistory"].SetObject(); }, errc::invalid_argument,
       "eventHistory"},
      {"event not object", [](auto& d) { d["eventHistory"][0].SetInt(1); }, errc::invalid_argument,
       "eventHistory[0]"},
      {"event unknown type", [](auto& d) { d["eventHistory"][1]["event"] = str(d, "paused"); },
       errc::invalid_argument, "eventHistory[1]"},
      {"event time", [](auto& d) { d["eventHistory"][0]["time"] = str(d, "yesterday"); },
       errc::invalid_timestamp, "eventHistory[0].time"},
      {"event actor empty", [](auto& d) { d["eventHistory"][0]["actor"] = str(d, ""); },
       errc::invalid_argument, "actor"},
      {"event missing actor", [](auto& d) { d["eventHistory"][0].RemoveMember("actor"); },
       errc::invalid_argument, "actor"},
      {"event unknown member",
       [](auto& d) { d["eventHistory"][0].AddMember("extra", 1, d.GetAllocator()); },
       errc::invalid_argument, "extra"},
      {"unknown member", [](auto& d) { d.AddMember("maxUse", 1, d.GetAllocator()); },
       errc::invalid_argument, "maxUse"},
  };
  for (const auto& r : rows) {
    INFO(r.name);
    auto parsed = consent_from_json(mutated(r.change));
    REQUIRE_FALSE(parsed);
    CHECK(parsed.code() == r.code);
    CHECK_THAT(parsed.error().detail, Contains(r.detail));
  }
}

TEST_CASE("consent JSON: uses and maxUses at their limits", "[consent][json][boundary]") {
  auto max = consent_from_json(mutated([](auto& d) {
    d["maxUses"].SetInt64(4294967295LL);
    d["uses"].SetInt64(4294967295LL);
  }));
  REQUIRE(max);
  CHECK(max->uses == 4294967295u);
  auto equal = consent_from_json(mutated([](auto& d) { d["uses"].SetInt(5); }));
  REQUIRE(equal);
  CHECK(equal->uses == 5);
  auto zero_uses = consent_from_json(mutated([](auto& d) { d["uses"].SetInt(0); }));
  CHECK(zero_uses);
}

TEST_CASE("consent JSON: event history is bounded", "[consent][json][boundary]") {
  auto with_events = [](std::size_t n) {
    return mutated([n](rapidjson::Document& d) {
      auto& events = d["eventHistory"];
      Value first(events[0], d.GetAllocator());
      events.Clear();
      for (std::size_t i = 0; i < n; ++i)
        events.PushBack(Value(first, d.GetAllocator()), d.GetAllocator());
    });
  };
  CHECK(consent_from_json(with_events(64)));
  auto too_many = consent_from_json(with_events(65));
  CHECK(too_many.code() == errc::invalid_argument);
  CHECK_THAT(too_many.error().detail, Contains("eventHistory"));
}

TEST_CASE("consent JSON: documents that are not a consent", "[consent][json]") {
  CHECK(consent_from_json("").code() == errc::malformed_json);
  CHECK(consent_from_json("{").code() == errc::malformed_json);
  CHECK(consent_from_json(consent_to_json(sample()) + "x").code() == errc::malformed_json);
  CHECK(consent_from_json("[]").code() == errc::invalid_argument);
  CHECK(consent_from_json("\"consent\"").code() == errc::invalid_argument);
  CHECK(consent_from_json("{\"a\":[[[[[1]]]]]}").code() == errc::malformed_json);
  std::string huge = "{\"consentId\":\"" + std::string(256 * 1024, 'a') + "\"}";
  CHECK(consent_from_json(huge).code() == errc::payload_too_large);
}
