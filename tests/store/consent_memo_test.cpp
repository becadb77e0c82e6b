// The memo of parsed consent documents: a text held gives what parsing it gave, a changed
// document (another text) is parsed anew, a document that fails is never kept, and it is bounded.
#include <catch2/catch.hpp>

#include "consent/consent.hpp"
#include "core/citizen_id.hpp"
#include "store/consent_memo.hpp"

using namespace saphan;
using saphan::store_rows::consent_memo;

namespace {

timestamp at(std::string_view text) {
  return *parse_rfc3339(text);
}

consent_artefact granted(std::string id) {
  consent_terms t;
  t.subject = complete_thai_id("110370012345");
  t.consumer = *parse_member_id("TH/GOV/JFO/legal-aid");
  t.datasets = {*parse_dataset_id("TH/GOV/DOPA/civil-registry/person@1.0")};
  t.purpose = "legal-aid-eligibility";
  t.fields = {"birthDate", "firstNameTh"};
  t.valid_from = at("2026-01-01T00:00:00Z");
  t.valid_until = at("2026-12-31T00:00:00Z");
  t.max_uses = 5;
  t.collection_method = "paper-signed";
  auto c = *request_consent(consent_id{std::move(id)}, t, at("2025-12-31T10:00:00Z"), "officer");
  return *grant(c, at("2026-01-02T08:00:00Z"), t.subject);
}

}  // namespace

TEST_CASE("a consent document held by the memo reads as parsing it does", "[store][consent]") {
  consent_memo memo;
  const auto text = consent_to_json(granted("c-0001"));
  auto first = memo.parse(text);
  REQUIRE(first);
  CHECK(memo.size() == 1);
  auto again = memo.parse(text);
  REQUIRE(again);
  CHECK(memo.size() == 1);
  CHECK(consent_to_json(*again) == text);
  CHECK(again->uses == first->uses);
  CHECK(again->status == first->status);
}

TEST_CASE("a changed consent document is parsed anew, never served from an older text",
          "[store][consent]") {
  consent_memo memo;
  const auto before = granted("c-0001");
  REQUIRE(memo.parse(consent_to_json(before)));
  // One use recorded: the same consent, another text.
  const auto used = *record_use(before, at("2026-02-01T00:00:00Z"));
  auto after = memo.parse(consent_to_json(used));
  REQUIRE(after);
  CHECK(after->uses == before.uses + 1);
  CHECK(memo.size() == 2);
  // Revoked: the status read is the new one.
  const auto revoked = *revoke(used, at("2026-02-02T00:00:00Z"), used.subject);
  auto read = memo.parse(consent_to_json(revoked));
  REQUIRE(read);
  CHECK(read->status == consent_status::revoked);
}

TEST_CASE("a consent document that does not parse is refused every time and not kept",
          "[store][consent]") {
  consent_memo memo;
  const auto text = consent_to_json(granted("c-0001"));
  CHECK_FALSE(memo.parse(text + "x"));
  CHECK_FALSE(memo.parse(text + "x"));
  CHECK(memo.size() == 0);
  CHECK_FALSE(memo.parse("{}"));
  CHECK(memo.size() == 0);
}

TEST_CASE("the consent memo is bounded by count and by text size", "[store][consent]") {
  consent_memo memo(2, 4096);
  for (const auto* id : {"c-0001", "c-0002", "c-0003"})
    REQUIRE(memo.parse(consent_to_json(granted(id))));
  CHECK(memo.size() <= 2);
  // Still right once it started afresh.
  auto first = memo.parse(consent_to_json(granted("c-0001")));
  REQUIRE(first);
  CHECK(first->id.value == "c-0001");

  consent_memo small(8, 16);
  REQUIRE(small.parse(consent_to_json(granted("c-0001"))));
  CHECK(small.size() == 0);  // over 16 bytes: parsed, not kept
}
