// The consent request body of POST /v1/consents (and the connector's POST /consents): what is
// read, the stable code of each refusal, and the reason's limits.
#include <catch2/catch.hpp>

#include <map>

#include "consent/consent.hpp"
#include "consent/consent_request.hpp"
#include "core/citizen_id.hpp"

using namespace saphan;

namespace {

timestamp at(std::string_view text) {
  return *parse_rfc3339(text);
}

const timestamp now = at("2026-03-01T00:00:00Z");

member_id jfo() {
  return *parse_member_id("TH/GOV/JFO/legal-aid");
}

std::string body_with(std::string_view replace_key = {}, std::string_view replace_with = {}) {
  std::string subject = complete_thai_id("110370012345");
  std::map<std::string, std::string, std::less<>> members = {
      {"subject", "\"" + subject + "\""},
      {"datasets", R"(["TH/GOV/DOPA/civil-registry/person@1.0"])"},
      {"purpose", R"("legal-aid-eligibility")"},
      {"fields", R"(["firstNameTh","lastNameTh"])"},
      {"validUntil", R"("2026-04-01T00:00:00Z")"},
      {"maxUses", "3"},
      {"reason", R"("To check your eligibility for legal aid")"},
  };
  if (!replace_key.empty()) {
    if (replace_with.empty())
      members.erase(std::string(replace_key));
    else
      members[std::string(replace_key)] = std::string(replace_with);
  }
  std::string out = "{";
  for (const auto& [k, v] : members)
    out += (out.size() > 1 ? "," : "") + ("\"" + k + "\":" + v);
  return out + "}";
}

errc code_of(std::string_view body) {
  auto parsed = parse_consent_request(body, jfo(), now);
  REQUIRE_FALSE(parsed);
  return parsed.code();
}

}  // namespace

TEST_CASE("a consent request is read into terms for the calling consumer", "[consent]") {
  auto terms = parse_consent_request(body_with(), jfo(), now);
  REQUIRE(terms);
  CHECK(terms->consumer == jfo());
  CHECK(terms->subject == complete_thai_id("110370012345"));
  CHECK(terms->datasets.size() == 1);
  CHECK(terms->fields == std::set<std::string>{"firstNameTh", "lastNameTh"});
  CHECK(terms->valid_from == now);  // validFrom defaults to now
  CHECK(terms->valid_until == at("2026-04-01T00:00:00Z"));
  CHECK(terms->max_uses == 3u);
  CHECK(terms->reason == "To check your eligibility for legal aid");
  CHECK(terms->collection_method == portal_collection_method);

  auto unlimited = parse_consent_request(body_with("maxUses"), jfo(), now);
  REQUIRE(unlimited);
  CHECK_FALSE(unlimited->max_uses);
  auto later =
      parse_consent_request(body_with("validFrom", R"("2026-03-05T00:00:00Z")"), jfo(), now);
  REQUIRE(later);
  CHECK(later->valid_from == at("2026-03-05T00:00:00Z"));
}

TEST_CASE("a malformed consent request is refused with a stable code", "[consent]") {
  CHECK(code_of("not json") == errc::malformed_json);
  CHECK(code_of("[]") == errc::malformed_body);
  CHECK(code_of(body_with("maxUse", "3")) == errc::malformed_body);  // unknown member
  CHECK(code_of(body_with("reason")) == errc::malformed_body);       // missing
  CHECK(code_of(body_with("reason", R"("")")) == errc::malformed_body);
  CHECK(code_of(body_with("subject", "12")) == errc::malformed_body);  // wrong type
  CHECK(code_of(body_with("subject", R"("1234567890123")")) == errc::invalid_citizen_id);
  CHECK(code_of(body_with("datasets", R"(["nope"])")) == errc::invalid_dataset_id);
  CHECK(code_of(body_with("datasets", "[]")) == errc::invalid_argument);
  CHECK(code_of(body_with("fields", R"(["a","a"])")) == errc::malformed_body);
  CHECK(code_of(body_with("fields", "[]")) == errc::invalid_argument);
  CHECK(code_of(body_with("purpose", R"("Legal Aid")")) == errc::invalid_argument);
  CHECK(code_of(body_with("validUntil", R"("tomorrow")")) == errc::invalid_timestamp);
  CHECK(code_of(body_with("validUntil", R"("2026-02-01T00:00:00Z")")) == errc::invalid_argument);
  CHECK(code_of(body_with("validFrom", R"("2026-05-01T00:00:00Z")")) == errc::invalid_argument);
  CHECK(code_of(body_with("maxUses", "0")) == errc::malformed_body);
  CHECK(code_of(body_with("maxUses", "1000001")) == errc::malformed_body);
  CHECK(parse_consent_request(body_with("maxUses", "1000000"), jfo(), now));
  CHECK(code_of(std::string(max_consent_request_bytes + 1, ' ')) == errc::payload_too_large);
}

TEST_CASE("a consent's reason is at most 500 characters without control characters", "[consent]") {
  std::string thai;
  for (int i = 0; i < 500; ++i)
    thai += "\xE0\xB8\x81";  // U+0E01, three bytes each: 500 characters, 1500 bytes
  CHECK(parse_consent_request(body_with("reason", "\"" + thai + "\""), jfo(), now));
  CHECK(code_of(body_with("reason", "\"" + thai + "x\"")) == errc::invalid_argument);
  CHECK(parse_consent_request(body_with("reason", R"("line one\nline two")"), jfo(), now));
  CHECK(code_of(body_with("reason", R"("bell\u0007")")) == errc::invalid_argument);
}

TEST_CASE("a consent's reason survives its stored JSON, and old documents have none", "[consent]") {
  auto terms = *parse_consent_request(body_with(), jfo(), now);
  auto artefact = request_consent(consent_id{"cns-1"}, terms, now, "TH/GOV/JFO/legal-aid");
  REQUIRE(artefact);
  CHECK(artefact->reason == terms.reason);
  auto json = consent_to_json(*artefact);
  auto back = consent_from_json(json);
  REQUIRE(back);
  CHECK(back->reason == terms.reason);

  artefact->reason.clear();
  auto without = consent_to_json(*artefact);
  CHECK(without.find("\"reason\"") == std::string::npos);
  auto old = consent_from_json(without);
  REQUIRE(old);
  CHECK(old->reason.empty());
}
