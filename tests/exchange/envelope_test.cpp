// The request envelope's officer and case references (userId, issue): the hub and the provider
// hold them to the rule of exchange/case_reference.hpp whatever the consumer's connector checked.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "core/citizen_id.hpp"
#include "exchange/envelope.hpp"

using namespace saphan;
using Catch::Matchers::StartsWith;

namespace {

request_envelope envelope() {
  request_envelope r;
  r.request_id = "request-0001";
  r.issued_at = *parse_rfc3339("2026-11-21T09:30:00Z");
  r.consumer = *parse_member_id("TH/GOV/JFO/legal-aid");
  r.dataset = *parse_dataset_id("TH/GOV/DOPA/civil-registry/person@1.0");
  r.purpose = "legal-aid-eligibility";
  r.consent_id = "c-1";
  r.subject = complete_thai_id("110170020345");
  r.fields = {"firstNameTh"};
  r.reply_key = R"({"kty":"OKP","crv":"X25519","x":"AAAA"})";
  r.user_id = "officer-7";
  r.issue = "JFO-2026-0001";
  return r;
}

// The envelope's JSON with `member` set to the raw JSON `value` (as a consumer's connector that
// did not check, or a forger, would send it).
std::string with_member(const std::string& member, const std::string& value) {
  auto r = envelope();
  if (member == "userId")
    r.user_id.clear();
  else
    r.issue.clear();
  auto text = serialize(r);
  text.pop_back();  // the closing brace
  return text + ",\"" + member + "\":" + value + "}";
}

}  // namespace

TEST_CASE("request envelope: userId and issue round-trip, and may be absent", "[exchange]") {
  auto parsed = parse_request_envelope(serialize(envelope()));
  REQUIRE(parsed);
  CHECK(parsed->user_id == "officer-7");
  CHECK(parsed->issue == "JFO-2026-0001");

  auto bare = envelope();
  bare.user_id.clear();
  bare.issue.clear();
  auto text = serialize(bare);
  CHECK(text.find("userId") == std::string::npos);
  auto without = parse_request_envelope(text);
  REQUIRE(without);
  CHECK(without->user_id.empty());
  CHECK(without->issue.empty());

  auto longest = parse_request_envelope(with_member("issue", "\"" + std::string(64, 'c') + "\""));
  REQUIRE(longest);
  CHECK(longest->issue == std::string(64, 'c'));
}

TEST_CASE("request envelope: userId and issue must be references, not a citizen ID", "[exchange]") {
  const auto id = complete_thai_id("110170020345");
  for (const auto& member : std::vector<std::string>{"userId", "issue"}) {
    for (const auto& value : std::vector<std::string>{
             "\"\"", "\"" + std::string(65, 'c') + "\"", "\".case\"", "\"Somchai Jaidee\"",
             "\"" + id + "\"", "\"case-" + id + "\"", "\"1-1017-00203-45-" + id.substr(12) + "\"",
             "\"" + std::string(300, 'c') + "\"", "7", "[\"officer-7\"]"}) {
      INFO(member << " = " << value);
      auto refused = parse_request_envelope(with_member(member, value));
      REQUIRE_FALSE(refused);
      CHECK(refused.error().code == errc::malformed_body);
      CHECK_THAT(refused.error().detail, StartsWith(member + ": "));
    }
  }
}
