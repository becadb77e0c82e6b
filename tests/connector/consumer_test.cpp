#include <catch2/catch.hpp>

#include "connector/consumer.hpp"
#include "core/citizen_id.hpp"
#include "net/problem.hpp"

using namespace saphan;
using namespace saphan::connector;

namespace {

const std::string target = "/r1/TH/GOV/DOPA/civil-registry/person@1.0";

member_id self() {
  return *parse_member_id("TH/GOV/JFO/legal-aid");
}

consumer_headers headers() {
  return {"TH/GOV/JFO/legal-aid", "", "officer-7", "case-2026-001"};
}

std::string subject() {
  return complete_thai_id("110170020345");
}

std::string body(const std::string& extra = "") {
  return R"({"subject":")" + subject() +
         R"(","purpose":"legal-aid-eligibility","lawfulBasis":"consent","consentId":"c-1")" +
         extra + "}";
}

}  // namespace

TEST_CASE("consumer call: a complete request", "[connector]") {
  auto call =
      parse_consumer_call(target, headers(), body(R"(,"fields":["firstNameTh","citizenId"])"),
                          self(), "generated-id-123");
  REQUIRE(call);
  CHECK(to_string(call->dataset) == "TH/GOV/DOPA/civil-registry/person@1.0");
  CHECK(call->request_id == "generated-id-123");
  CHECK(call->subject == subject());
  CHECK(call->purpose == "legal-aid-eligibility");
  CHECK(call->basis == lawful_basis::consent);
  CHECK(call->consent_id == std::optional<std::string>("c-1"));
  CHECK_FALSE(call->legal_instrument);
  CHECK(call->fields == std::set<std::string>{"citizenId", "firstNameTh"});
  CHECK(call->user_id == "officer-7");
  CHECK(call->issue == "case-2026-001");

  auto h = headers();
  h.request_id = "caller-chosen-id";
  auto with_id = parse_consumer_call(target, h, body(), self(), "generated-id-123");
  REQUIRE(with_id);
  CHECK(with_id->request_id == "caller-chosen-id");
}

TEST_CASE("consumer call: the target may be percent-encoded and carry a query", "[connector]") {
  auto call = parse_consumer_call("/r1/TH%2FGOV/DOPA/civil-registry/person%401.0?x=1", headers(),
                                  body(), self(), "generated-id-123");
  REQUIRE(call);
  CHECK(to_string(call->dataset) == "TH/GOV/DOPA/civil-registry/person@1.0");
  auto bad = parse_consumer_target("/r1/TH/GOV/DOPA/civil-registry/person%4");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == errc::invalid_dataset_id);
  auto elsewhere = parse_consumer_target("/r2/TH/GOV/DOPA/civil-registry/person@1.0");
  REQUIRE_FALSE(elsewhere);
  CHECK(elsewhere.error().code == errc::not_found);
  auto no_version = parse_consumer_target("/r1/TH/GOV/DOPA/civil-registry/person");
  REQUIRE_FALSE(no_version);
  CHECK(no_version.error().code == errc::invalid_dataset_id);
}

TEST_CASE("consumer call: X-Road headers", "[connector]") {
  auto h = headers();
  h.client = "";
  auto missing = parse_consumer_call(target, h, body(), self(), "generated-id-123");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == errc::invalid_argument);
  CHECK(missing.error().detail.rfind("X-Road-Client", 0) == 0);

  h.client = "TH/GOV/DOPA/civil-registry";
  auto other = parse_consumer_call(target, h, body(), self(), "generated-id-123");
  REQUIRE_FALSE(other);
  CHECK(other.error().code == errc::unknown_member);

  h.client = "not a member";
  auto malformed = parse_consumer_call(target, h, body(), self(), "generated-id-123");
  REQUIRE_FALSE(malformed);
  CHECK(malformed.error().code == errc::invalid_argument);

  h = headers();
  h.request_id = "short";
  CHECK(parse_consumer_call(target, h, body(), self(), "generated-id-123").code() ==
        errc::invalid_argument);
  h.request_id = std::string(64, 'a');
  CHECK(parse_consumer_call(target, h, body(), self(), "generated-id-123"));
  h.request_id = std::string(65, 'a');
  CHECK(parse_consumer_call(target, h, body(), self(), "generated-id-123").code() ==
        errc::invalid_argument);

  h = headers();
  h.client = std::string(max_header_text + 1, 'x');
  CHECK(parse_consumer_call(target, h, body(), self(), "generated-id-123").code() ==
        errc::invalid_argument);
}

TEST_CASE("consumer call: X-Road-UserId and X-Road-Issue are references, not personal data",
          "[connector]") {
  // Absent (or empty, as an empty header reads) is fine: both are optional.
  auto h = headers();
  h.user_id.clear();
  h.issue.clear();
  auto bare = parse_consumer_call(target, h, body(), self(), "generated-id-123");
  REQUIRE(bare);
  CHECK(bare->user_id.empty());
  CHECK(bare->issue.empty());

  for (auto header : {user_id_header, issue_header}) {
    auto set = [&](std::string value) {
      auto with = headers();
      (header == user_id_header ? with.user_id : with.issue) = std::move(value);
      return parse_consumer_call(target, with, body(), self(), "generated-id-123");
    };
    INFO(header);
    CHECK(set(std::string(64, 'x')));
    CHECK(set("JFO-2026/0001#a.b_c:d"));
    for (const auto& bad :
         std::vector<std::string>{std::string(65, 'x'), std::string(max_header_text + 1, 'x'),
                                  ".hidden", "Somchai Jaidee", subject(), "case-" + subject()}) {
      INFO(bad);
      auto refused = set(bad);
      REQUIRE_FALSE(refused);
      CHECK(refused.error().code == errc::malformed_body);
      CHECK(refused.error().detail.rfind(std::string(header) + ": ", 0) == 0);
    }
  }
}

TEST_CASE("consumer call: body rules", "[connector]") {
  struct bad_case {
    std::string body;
    errc code;
  };
  const std::vector<bad_case> cases = {
      {"{", errc::malformed_body},
      {"[]", errc::malformed_body},
      {body(R"(,"unknown":1)"), errc::malformed_body},
      {body(R"(,"fields":"citizenId")"), errc::malformed_body},
      {body(R"(,"fields":["a","a"])"), errc::malformed_body},
      {body(R"(,"fields":[""])"), errc::malformed_body},
      {body(R"(,"fields":["first name"])"), errc::malformed_body},
      {body(R"(,"fields":["9lives"])"), errc::malformed_body},
      {body(R"(,"fields":["a\u0001b"])"), errc::malformed_body},
      {body(R"(,"fields":["é"])"), errc::malformed_body},
      {body(",\"fields\":[\"" + std::string(65, 'a') + "\"]"), errc::malformed_body},
      {body(",\"subject\":\"" + std::string(70 * 1024, 'x') + "\""), errc::payload_too_large},
      {body(R"(,"legalInstrument":"")"), errc::malformed_body},
      {R"({"subject":"1234567890123","purpose":"p","lawfulBasis":"consent"})",
       errc::invalid_citizen_id},
      {R"({"subject":")" + subject() + R"(","purpose":"Bad Purpose","lawfulBasis":"consent"})",
       errc::malformed_body},
      {R"({"subject":")" + subject() + R"(","purpose":"p","lawfulBasis":"because"})",
       errc::malformed_body},
      {R"({"subject":")" + subject() + R"(","lawfulBasis":"consent"})", errc::malformed_body},
  };
  for (const auto& c : cases) {
    INFO(c.body);
    auto r = parse_consumer_call(target, headers(), c.body, self(), "generated-id-123");
    REQUIRE_FALSE(r);
    CHECK(r.error().code == c.code);
  }
  CHECK(parse_consumer_call(target, headers(),
                            body(",\"fields\":[\"" + std::string(64, 'a') + "\",\"b_2\"]"), self(),
                            "generated-id-123"));
  std::string fields;
  for (int i = 0; i < 256; ++i)
    fields += (i ? ",\"f" : "\"f") + std::to_string(i) + "\"";
  CHECK(parse_consumer_call(target, headers(), body(",\"fields\":[" + fields + "]"), self(),
                            "generated-id-123"));
  CHECK_FALSE(parse_consumer_call(target, headers(), body(",\"fields\":[" + fields + ",\"x\"]"),
                                  self(), "generated-id-123"));
}

TEST_CASE("build_envelope carries the call and round-trips", "[connector]") {
  auto call = parse_consumer_call(target, headers(), body(R"(,"fields":["firstNameTh"])"), self(),
                                  "generated-id-123");
  REQUIRE(call);
  auto now = *parse_rfc3339("2026-11-21T09:30:00Z");
  auto reply = R"({"kty":"OKP","crv":"X25519","x":"abc"})";
  auto envelope = build_envelope(*call, self(), now, reply);
  CHECK(envelope.issued_at == now);
  CHECK(envelope.reply_key == reply);
  CHECK(envelope.consumer == self());
  auto parsed = parse_request_envelope(serialize(envelope));
  REQUIRE(parsed);
  CHECK(parsed->request_id == "generated-id-123");
  CHECK(parsed->user_id == "officer-7");
  CHECK(parsed->issue == "case-2026-001");
  CHECK(parsed->fields == std::set<std::string>{"firstNameTh"});
  CHECK(parsed->consent_id == std::optional<std::string>("c-1"));
}

TEST_CASE("traceparent is passed along or made", "[connector]") {
  const std::string valid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  CHECK(is_valid_traceparent(valid));
  CHECK(choose_traceparent(valid, std::string(24, '\x01')) == valid);
  for (const std::string& bad :
       std::vector<std::string>{"", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0",
                                "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                                "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
                                "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
                                "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"}) {
    INFO(bad);
    CHECK_FALSE(is_valid_traceparent(bad));
    auto made = choose_traceparent(bad, std::string(24, '\xab'));
    CHECK(made == "00-abababababababababababababababab-abababababababab-01");
    CHECK(is_valid_traceparent(made));
  }
}

TEST_CASE("problem_with_status keeps the code and sets the status", "[connector]") {
  auto body = problem_with_status(make_error(errc::bad_signature, "hub answer: nope"), 502);
  auto doc = parse_json(body);
  REQUIRE(doc);
  CHECK((*doc)["status"].GetInt() == 502);
  CHECK(std::string((*doc)["code"].GetString()) == "bad_signature");
  auto back = net::parse_problem(body, 502);
  CHECK(back.code == errc::bad_signature);
}

TEST_CASE("answer schema from the catalog drops top-level required", "[connector]") {
  const std::string catalog =
      R"({"id":"x","subjectField":"citizenId","schemaText":"{\"type\":\"object\",\"properties\":{\"citizenId\":{\"type\":\"string\"},\"age\":{\"type\":\"integer\"}},\"required\":[\"citizenId\",\"age\"]}"})";
  auto schema = answer_schema_from_catalog(catalog);
  REQUIRE(schema);
  CHECK(schema->subject_field == "citizenId");
  auto partial = parse_json(R"({"age":5})");
  REQUIRE(partial);
  CHECK(schema->schema.validate(*partial));
  auto wrong = parse_json(R"({"age":"five"})");
  REQUIRE(wrong);
  CHECK(schema->schema.validate(*wrong).code() == errc::schema_violation);

  CHECK_FALSE(answer_schema_from_catalog(R"({"subjectField":"citizenId"})"));
  CHECK_FALSE(answer_schema_from_catalog(R"({"schemaText":"[]","subjectField":"citizenId"})"));
  CHECK_FALSE(answer_schema_from_catalog("nope"));
}
