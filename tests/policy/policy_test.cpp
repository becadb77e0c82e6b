#include <catch2/catch.hpp>

#include "policy/policy.hpp"

using namespace saphan;

namespace {

// The brief's example grant, plus a second purpose so that paths like purposes[1] exist.
const char* const example_policy = R"({"grants": [{
  "consumers": ["TH/GOV/JFO/legal-aid", "group:justice"],
  "rateLimit": {"requests": 600, "windowSeconds": 60},
  "purposes": [
    {"purpose": "legal-aid-eligibility", "fields": ["citizenId", "firstNameTh"],
     "lawfulBases": ["consent", "public_task"],
     "legalInstruments": ["Justice Fund Act B.E. 2558 s.28"], "pseudonymiseSubject": false},
    {"purpose": "statistics", "fields": ["birthDate"], "lawfulBases": ["consent"],
     "pseudonymiseSubject": true}]}]})";

rapidjson::Document example_doc() {
  auto doc = parse_json(example_policy);
  REQUIRE(doc);
  return std::move(*doc);
}

rapidjson::Value& grant0(rapidjson::Document& doc) {
  return doc["grants"][0];
}
rapidjson::Value& purpose(rapidjson::Document& doc, int i) {
  return doc["grants"][0]["purposes"][i];
}

// Replaces (or adds) a member with JSON text.
void set(rapidjson::Value& object, const char* name, const std::string& json,
         rapidjson::Document& doc) {
  auto parsed = parse_json(json);
  REQUIRE(parsed);
  rapidjson::Value copy(*parsed, doc.GetAllocator());
  object.RemoveMember(name);
  object.AddMember(rapidjson::Value(name, doc.GetAllocator()), copy, doc.GetAllocator());
}

std::string string_list(std::size_t count, const std::string& prefix) {
  std::string out = "[";
  for (std::size_t i = 0; i < count; ++i)
    out += (i ? ",\"" : "\"") + prefix + std::to_string(i) + "\"";
  return out + "]";
}

void require_invalid(const rapidjson::Document& doc, const std::string& detail_prefix) {
  auto policy = policy_from_json(doc);
  REQUIRE_FALSE(policy);
  CHECK(policy.code() == errc::invalid_policy);
  INFO(policy.error().detail);
  CHECK(policy.error().detail.rfind(detail_prefix, 0) == 0);
}

}  // namespace

TEST_CASE("the example policy parses", "[policy][policy_json]") {
  auto doc = example_doc();
  auto policy = policy_from_json(doc);
  REQUIRE(policy);
  REQUIRE(policy->grants.size() == 1);
  const auto& g = policy->grants[0];
  CHECK(g.consumers == std::vector<std::string>{"TH/GOV/JFO/legal-aid", "group:justice"});
  CHECK(g.rate.requests == 600);
  CHECK(g.rate.window_seconds == 60);
  REQUIRE(g.purposes.size() == 2);
  CHECK(g.purposes[0].purpose == "legal-aid-eligibility");
  CHECK(g.purposes[0].fields == std::set<std::string>{"citizenId", "firstNameTh"});
  CHECK(g.purposes[0].bases ==
        std::set<lawful_basis>{lawful_basis::consent, lawful_basis::public_task});
  CHECK(g.purposes[0].legal_instruments ==
        std::set<std::string>{"Justice Fund Act B.E. 2558 s.28"});
  CHECK_FALSE(g.purposes[0].pseudonymise_subject);
  CHECK(g.purposes[1].pseudonymise_subject);
  CHECK(g.purposes[1].legal_instruments.empty());
}

TEST_CASE("a policy round-trips through its JSON form", "[policy][policy_json]") {
  auto doc = example_doc();
  auto policy = policy_from_json(doc);
  REQUIRE(policy);
  rapidjson::Document out;
  policy_to_json(*policy, out, out.GetAllocator());
  auto back = policy_from_json(out);
  REQUIRE(back);
  CHECK(*back == *policy);
  rapidjson::Document again;
  policy_to_json(*back, again, again.GetAllocator());
  CHECK(write_json(again) == write_json(out));
}

TEST_CASE("rate limit and pseudonymisation have defaults, no grants means nobody",
          "[policy][policy_json]") {
  auto doc = example_doc();
  grant0(doc).RemoveMember("rateLimit");
  purpose(doc, 1).RemoveMember("pseudonymiseSubject");
  auto policy = policy_from_json(doc);
  REQUIRE(policy);
  CHECK(policy->grants[0].rate.requests == 0);  // unlimited
  CHECK_FALSE(policy->grants[0].purposes[1].pseudonymise_subject);

  auto empty = parse_json(R"({"grants": []})");
  REQUIRE(empty);
  auto nobody = policy_from_json(*empty);
  REQUIRE(nobody);
  CHECK(nobody->grants.empty());
}

TEST_CASE("lawful bases round-trip through their strings", "[policy][policy_json]") {
  for (auto basis :
       {lawful_basis::consent, lawful_basis::legal_obligation, lawful_basis::public_task,
        lawful_basis::vital_interest, lawful_basis::contract, lawful_basis::legitimate_interest,
        lawful_basis::research}) {
    auto parsed = parse_lawful_basis(to_string(basis));
    REQUIRE(parsed);
    CHECK(*parsed == basis);
  }
  CHECK(to_string(lawful_basis::public_task) == "public_task");
  CHECK_FALSE(parse_lawful_basis("public-task"));
}

TEST_CASE("purpose codes are a lower-case letter or digit then up to 63 of a-z 0-9 -",
          "[policy][policy_json]") {
  CHECK(is_purpose_code("legal-aid-eligibility"));
  CHECK(is_purpose_code("0"));
  CHECK(is_purpose_code(std::string(64, 'a')));
  CHECK_FALSE(is_purpose_code(std::string(65, 'a')));
  CHECK_FALSE(is_purpose_code(""));
  CHECK_FALSE(is_purpose_code("-leading"));
  CHECK_FALSE(is_purpose_code("Legal"));
  CHECK_FALSE(is_purpose_code("legal_aid"));
}

TEST_CASE("invalid consumers are named", "[policy][policy_json]") {
  auto doc = example_doc();
  set(grant0(doc), "consumers", "[]", doc);
  require_invalid(doc, "policy.grants[0].consumers: must not be empty");
  set(grant0(doc), "consumers", R"(["TH/GOV/JFO/legal-aid", "TH/GOV/JFO"])", doc);
  require_invalid(doc, "policy.grants[0].consumers[1]: must be a member id");
  set(grant0(doc), "consumers", R"(["group:Justice"])", doc);
  require_invalid(doc, "policy.grants[0].consumers[0]: must be a member id");
  set(grant0(doc), "consumers", R"(["group:"])", doc);
  require_invalid(doc, "policy.grants[0].consumers[0]: must be a member id");
  set(grant0(doc), "consumers", R"(["justice"])", doc);
  require_invalid(doc, "policy.grants[0].consumers[0]: must be a member id");
  set(grant0(doc), "consumers", R"("group:justice")", doc);
  require_invalid(doc, "policy.grants[0].consumers: must be an array");
  grant0(doc).RemoveMember("consumers");
  require_invalid(doc, "policy.grants[0].consumers: is required");
}

TEST_CASE("invalid purposes are named", "[policy][policy_json]") {
  auto doc = example_doc();
  set(grant0(doc), "purposes", "[]", doc);
  require_invalid(doc, "policy.grants[0].purposes: must not be empty");

  doc = example_doc();
  set(purpose(doc, 1), "purpose", R"("Statistics")", doc);
  require_invalid(doc, "policy.grants[0].purposes[1].purpose: must match");
  set(purpose(doc, 1), "purpose", "\"" + std::string(65, 'a') + "\"", doc);
  require_invalid(doc, "policy.grants[0].purposes[1].purpose: must match");
  set(purpose(doc, 1), "purpose", "\"" + std::string(64, 'a') + "\"", doc);
  CHECK(policy_from_json(doc));
  set(purpose(doc, 1), "purpose", R"("legal-aid-eligibility")", doc);
  require_invalid(doc, "policy.grants[0].purposes[1].purpose: duplicate purpose");
}

TEST_CASE("invalid purpose fields are named", "[policy][policy_json]") {
  auto doc = example_doc();
  set(purpose(doc, 1), "fields", "[]", doc);
  require_invalid(doc, "policy.grants[0].purposes[1].fields: must not be empty");
  set(purpose(doc, 1), "fields", R"(["birthDate", ""])", doc);
  require_invalid(doc, "policy.grants[0].purposes[1].fields[1]: must not be empty");
  set(purpose(doc, 1), "fields", R"(["birthDate", 7])", doc);
  require_invalid(doc, "policy.grants[0].purposes[1].fields[1]: must be a string");
  purpose(doc, 1).RemoveMember("fields");
  require_invalid(doc, "policy.grants[0].purposes[1].fields: is required");
}

TEST_CASE("lawful bases must be present and known", "[policy][policy_json]") {
  auto doc = example_doc();
  set(purpose(doc, 0), "lawfulBases", "[]", doc);
  require_invalid(doc, "policy.grants[0].purposes[0].lawfulBases: must not be empty");
  set(purpose(doc, 0), "lawfulBases", R"(["consent", "public-task"])", doc);
  require_invalid(doc, "policy.grants[0].purposes[0].lawfulBases[1]: lawful basis: must be one of");
  purpose(doc, 0).RemoveMember("lawfulBases");
  require_invalid(doc, "policy.grants[0].purposes[0].lawfulBases: is required");
}

TEST_CASE("a basis other than consent needs a legal instrument", "[policy][policy_json]") {
  auto doc = example_doc();
  set(purpose(doc, 0), "legalInstruments", "[]", doc);
  require_invalid(doc, "policy.grants[0].purposes[0].legalInstruments: at least one is required");
  purpose(doc, 0).RemoveMember("legalInstruments");
  require_invalid(doc, "policy.grants[0].purposes[0].legalInstruments: at least one is required");
  // Consent alone needs none.
  set(purpose(doc, 0), "lawfulBases", R"(["consent"])", doc);
  CHECK(policy_from_json(doc));
  for (const char* basis : {"legal_obligation", "public_task", "vital_interest", "contract",
                            "legitimate_interest", "research"}) {
    INFO(basis);
    set(purpose(doc, 0), "lawfulBases", std::string("[\"") + basis + "\"]", doc);
    require_invalid(doc, "policy.grants[0].purposes[0].legalInstruments");
  }
  set(purpose(doc, 0), "legalInstruments", R"([""])", doc);
  require_invalid(doc, "policy.grants[0].purposes[0].legalInstruments[0]: must not be empty");
}

TEST_CASE("rate limits are bounded on both sides", "[policy][policy_json]") {
  auto doc = example_doc();
  auto rate = [&](const std::string& json) { set(grant0(doc), "rateLimit", json, doc); };
  rate(R"({"requests": 0, "windowSeconds": 1})");
  CHECK(policy_from_json(doc));
  rate(R"({"requests": 10, "windowSeconds": 86400})");
  CHECK(policy_from_json(doc));
  rate(R"({"requests": 10, "windowSeconds": 0})");
  require_invalid(doc, "policy.grants[0].rateLimit.windowSeconds: must be 1..86400");
  rate(R"({"requests": 10, "windowSeconds": 86401})");
  require_invalid(doc, "policy.grants[0].rateLimit.windowSeconds: must be 1..86400");
  rate(R"({"requests": -1, "windowSeconds": 60})");
  require_invalid(doc, "policy.grants[0].rateLimit.requests: must be 0");
  rate(R"({"requests": 1000000000, "windowSeconds": 60})");
  CHECK(policy_from_json(doc));
  rate(R"({"requests": 1000000001, "windowSeconds": 60})");
  require_invalid(doc, "policy.grants[0].rateLimit.requests: must be 0");
  rate(R"({"requests": 1.5, "windowSeconds": 60})");
  require_invalid(doc, "policy.grants[0].rateLimit.requests: must be an integer");
  rate(R"({"windowSeconds": 60})");
  require_invalid(doc, "policy.grants[0].rateLimit.requests: is required");
  rate(R"(600)");
  require_invalid(doc, "policy.grants[0].rateLimit: must be an object");
}

TEST_CASE("unknown members are rejected, not ignored", "[policy][policy_json]") {
  auto doc = example_doc();
  set(purpose(doc, 1), "pseudonymizeSubject", "true", doc);
  require_invalid(doc, "policy.grants[0].purposes[1].pseudonymizeSubject: unknown member");
  doc = example_doc();
  set(grant0(doc), "consumer", R"(["TH/GOV/JFO/legal-aid"])", doc);
  require_invalid(doc, "policy.grants[0].consumer: unknown member");
  doc = example_doc();
  set(doc, "default", R"("allow")", doc);
  require_invalid(doc, "policy.default: unknown member");
}

TEST_CASE("policy structure errors are named", "[policy][policy_json]") {
  auto missing = parse_json(R"({})");
  REQUIRE(missing);
  require_invalid(*missing, "policy.grants: is required");
  auto not_object = parse_json(R"([])");
  REQUIRE(not_object);
  require_invalid(*not_object, "policy: must be an object");
  auto grant_not_object = parse_json(R"({"grants": ["TH/GOV/JFO/legal-aid"]})");
  REQUIRE(grant_not_object);
  require_invalid(*grant_not_object, "policy.grants[0]: must be an object");
  auto doc = example_doc();
  set(purpose(doc, 1), "pseudonymiseSubject", R"("yes")", doc);
  require_invalid(doc, "policy.grants[0].purposes[1].pseudonymiseSubject: must be true or false");
}

TEST_CASE("policy counts are bounded at 256", "[policy][policy_json]") {
  auto doc = example_doc();
  set(purpose(doc, 1), "fields", string_list(256, "f"), doc);
  CHECK(policy_from_json(doc));
  set(purpose(doc, 1), "fields", string_list(257, "f"), doc);
  require_invalid(doc, "policy.grants[0].purposes[1].fields: at most 256");

  doc = example_doc();
  set(grant0(doc), "consumers", string_list(256, "group:g"), doc);
  CHECK(policy_from_json(doc));
  set(grant0(doc), "consumers", string_list(257, "group:g"), doc);
  require_invalid(doc, "policy.grants[0].consumers: at most 256");

  auto purposes = [](std::size_t n) {
    std::string out = "[";
    for (std::size_t i = 0; i < n; ++i) {
      out += (i ? "," : "") + std::string(R"({"purpose":"p)") + std::to_string(i) +
             R"(","fields":["a"],"lawfulBases":["consent"]})";
    }
    return out + "]";
  };
  doc = example_doc();
  set(grant0(doc), "purposes", purposes(256), doc);
  CHECK(policy_from_json(doc));
  set(grant0(doc), "purposes", purposes(257), doc);
  require_invalid(doc, "policy.grants[0].purposes: at most 256");

  auto grants = [](std::size_t n) {
    std::string grant =
        R"({"consumers":["group:a"],"purposes":[{"purpose":"p","fields":["a"],"lawfulBases":["consent"]}]})";
    std::string out = R"({"grants":[)";
    for (std::size_t i = 0; i < n; ++i)
      out += (i ? "," : "") + grant;
    return out + "]}";
  };
  auto ok_doc = parse_json(grants(256));
  REQUIRE(ok_doc);
  CHECK(policy_from_json(*ok_doc));
  auto too_many = parse_json(grants(257));
  REQUIRE(too_many);
  require_invalid(*too_many, "policy.grants: at most 256");
}
