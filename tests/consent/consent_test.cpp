#include <catch2/catch.hpp>

#include <functional>
#include <limits>

#include "consent/consent.hpp"
#include "core/citizen_id.hpp"

using namespace saphan;
using namespace std::chrono_literals;
using Catch::Matchers::Contains;

namespace {

timestamp at(std::string_view text) {
  return *parse_rfc3339(text);
}

const timestamp t_from = at("2026-01-01T00:00:00Z");
const timestamp t_until = at("2026-01-31T00:00:00Z");
const timestamp t_mid = at("2026-01-15T12:00:00Z");

member_id jfo() {
  return *parse_member_id("TH/GOV/JFO/legal-aid");
}
dataset_id person() {
  return *parse_dataset_id("TH/GOV/DOPA/civil-registry/person@1.0");
}
dataset_id house() {
  return *parse_dataset_id("TH/GOV/DOPA/civil-registry/house@1.0");
}
std::string subject() {
  return complete_thai_id("110370012345");
}

consent_terms good_terms() {
  consent_terms t;
  t.subject = subject();
  t.consumer = jfo();
  t.datasets = {person(), house()};
  t.purpose = "legal-aid-eligibility";
  t.fields = {"birthDate", "firstNameTh", "lastNameTh"};
  t.valid_from = t_from;
  t.valid_until = t_until;
  t.max_uses = 3;
  t.collection_method = "web-form";
  return t;
}

consent_artefact requested() {
  return *request_consent(consent_id{"c-0001"}, good_terms(), t_from - 1h, subject());
}
consent_artefact active() {
  return *grant(requested(), t_from, subject());
}

consent_artefact in_state(consent_status s) {
  switch (s) {
    case consent_status::requested:
      return requested();
    case consent_status::active:
      return active();
    case consent_status::rejected:
      return *reject(requested(), t_from, subject());
    case consent_status::revoked:
      return *revoke(active(), t_mid, subject());
    case consent_status::expired:
      return *expire(active(), t_until);
  }
  return requested();
}

consent_use good_use() {
  return consent_use{subject(), jfo(), person(), "legal-aid-eligibility", {"firstNameTh"}};
}

consent_artefact with_uses(std::uint32_t uses) {
  auto c = active();
  c.uses = uses;
  return c;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Life cycle

TEST_CASE("every transition from every state", "[consent][lifecycle]") {
  enum class op { grant, reject, revoke, expire };
  struct row {
    consent_status from;
    op action;
    std::optional<consent_status> to;  // nullopt: illegal
    consent_event_type event;
  };
  using S = consent_status;
  using E = consent_event_type;
  const std::vector<row> table = {
      {S::requested, op::grant, S::active, E::granted},
      {S::requested, op::reject, S::rejected, E::rejected},
      {S::requested, op::revoke, std::nullopt, E::revoked},
      {S::requested, op::expire, std::nullopt, E::expired},
      {S::active, op::grant, std::nullopt, E::granted},
      {S::active, op::reject, std::nullopt, E::rejected},
      {S::active, op::revoke, S::revoked, E::revoked},
      {S::active, op::expire, S::expired, E::expired},
      {S::rejected, op::grant, std::nullopt, E::granted},
      {S::rejected, op::reject, std::nullopt, E::rejected},
      {S::rejected, op::revoke, std::nullopt, E::revoked},
      {S::rejected, op::expire, std::nullopt, E::expired},
      {S::revoked, op::grant, std::nullopt, E::granted},
      {S::revoked, op::reject, std::nullopt, E::rejected},
      {S::revoked, op::revoke, std::nullopt, E::revoked},
      {S::revoked, op::expire, std::nullopt, E::expired},
      {S::expired, op::grant, std::nullopt, E::granted},
      {S::expired, op::reject, std::nullopt, E::rejected},
      {S::expired, op::revoke, std::nullopt, E::revoked},
      {S::expired, op::expire, std::nullopt, E::expired},
  };
  const timestamp when = t_until + 1h;  // late enough for expire to be legal from active
  for (const auto& r : table) {
    const auto before = in_state(r.from);
    REQUIRE(before.status == r.from);
    result<consent_artefact> after = [&]() -> result<consent_artefact> {
      switch (r.action) {
        case op::grant:
          return grant(before, when, "actor-x");
        case op::reject:
          return reject(before, when, "actor-x");
        case op::revoke:
          return revoke(before, when, "actor-x");
        case op::expire:
          return expire(before, when);
      }
      return make_error(errc::internal);
    }();
    INFO("from " << to_string(r.from) << " via " << to_string(r.event));
    if (!r.to) {
      REQUIRE_FALSE(after);
      CHECK(after.code() == errc::illegal_transition);
      CHECK_THAT(after.error().detail, Contains(std::string(to_string(r.from))));
      continue;
    }
    REQUIRE(after);
    CHECK(after->status == *r.to);
    REQUIRE(after->events.size() == before.events.size() + 1);
    CHECK(after->events.back().type == r.event);
    CHECK(after->events.back().at == when);
    CHECK(after->events.back().actor == (r.action == op::expire ? "hub" : "actor-x"));
    CHECK(before.status == r.from);  // the input is untouched
  }
}

TEST_CASE("request_consent starts in requested with one event", "[consent][lifecycle]") {
  auto c = request_consent(consent_id{"c-1"}, good_terms(), t_mid, "citizen-portal");
  REQUIRE(c);
  CHECK(c->status == consent_status::requested);
  CHECK(c->uses == 0);
  REQUIRE(c->events.size() == 1);
  CHECK(c->events[0].type == consent_event_type::requested);
  CHECK(c->events[0].at == t_mid);
  CHECK(c->events[0].actor == "citizen-portal");
  CHECK(c->datasets.size() == 2);
  CHECK(c->max_uses == std::optional<std::uint32_t>(3));
}

TEST_CASE("expire is legal exactly from valid_until", "[consent][lifecycle][boundary]") {
  auto early = expire(active(), t_until - 1us);
  REQUIRE_FALSE(early);
  CHECK(early.code() == errc::illegal_transition);
  auto on_time = expire(active(), t_until);
  REQUIRE(on_time);
  CHECK(on_time->status == consent_status::expired);
}

TEST_CASE("grant after valid_until succeeds but the consent reads as expired",
          "[consent][lifecycle]") {
  auto late = grant(requested(), t_until + 1h, subject());
  REQUIRE(late);
  CHECK(late->status == consent_status::active);
  CHECK(effective_status(*late, t_until + 1h) == consent_status::expired);
  CHECK(check_consent(*late, good_use(), t_until + 1h).code() == errc::consent_expired);
}

TEST_CASE("transitions refuse an empty or control-character actor", "[consent][lifecycle]") {
  CHECK(grant(requested(), t_from, "").code() == errc::invalid_argument);
  CHECK(reject(requested(), t_from, "a\nb").code() == errc::invalid_argument);
  CHECK(revoke(active(), t_from, std::string(513, 'a')).code() == errc::invalid_argument);
  CHECK(revoke(active(), t_from, std::string(512, 'a')));
}

TEST_CASE("effective_status reads an active artefact past valid_until as expired",
          "[consent][lifecycle][boundary]") {
  CHECK(effective_status(active(), t_until - 1us) == consent_status::active);
  CHECK(effective_status(active(), t_until) == consent_status::expired);
  CHECK(effective_status(requested(), t_until + 1h) == consent_status::requested);
  CHECK(effective_status(in_state(consent_status::revoked), t_until + 1h) ==
        consent_status::revoked);
}

// ---------------------------------------------------------------------------------------------
// check_consent

TEST_CASE("check_consent accepts a matching use inside the window", "[consent][check]") {
  CHECK(check_consent(active(), good_use(), t_mid));
  auto all_fields = good_use();
  all_fields.fields = {"birthDate", "firstNameTh", "lastNameTh"};
  all_fields.dataset = house();
  CHECK(check_consent(active(), all_fields, t_mid));
}

TEST_CASE("the validity window includes valid_from and excludes valid_until",
          "[consent][check][boundary]") {
  CHECK(check_consent(active(), good_use(), t_from));
  CHECK(check_consent(active(), good_use(), t_until - 1us));
  auto at_end = check_consent(active(), good_use(), t_until);
  CHECK(at_end.code() == errc::consent_expired);
  auto early = check_consent(active(), good_use(), t_from - 1us);
  CHECK(early.code() == errc::consent_not_yet_valid);
}

TEST_CASE("check_consent reports each status", "[consent][check]") {
  CHECK(check_consent(requested(), good_use(), t_mid).code() == errc::consent_not_active);
  CHECK(check_consent(in_state(consent_status::rejected), good_use(), t_mid).code() ==
        errc::consent_not_active);
  CHECK(check_consent(in_state(consent_status::revoked), good_use(), t_mid).code() ==
        errc::consent_revoked);
  CHECK(check_consent(in_state(consent_status::expired), good_use(), t_mid).code() ==
        errc::consent_expired);
}

TEST_CASE("check_consent checks status before window, uses and match", "[consent][check]") {
  auto wrong = good_use();
  wrong.purpose = "other";
  CHECK(check_consent(in_state(consent_status::revoked), wrong, t_from - 1h).code() ==
        errc::consent_revoked);
  CHECK(check_consent(with_uses(3), wrong, t_until).code() == errc::consent_expired);
  CHECK(check_consent(with_uses(3), wrong, t_from - 1us).code() == errc::consent_not_yet_valid);
  CHECK(check_consent(with_uses(3), wrong, t_mid).code() == errc::consent_exhausted);
}

TEST_CASE("max uses: max-1 is allowed, max is exhausted", "[consent][check][boundary]") {
  CHECK(check_consent(with_uses(2), good_use(), t_mid));
  auto r = check_consent(with_uses(3), good_use(), t_mid);
  CHECK(r.code() == errc::consent_exhausted);
  auto unlimited = active();
  unlimited.max_uses.reset();
  unlimited.uses = 1000000;
  CHECK(check_consent(unlimited, good_use(), t_mid));
}

TEST_CASE("check_consent names each mismatch", "[consent][check]") {
  struct row {
    std::string name;
    std::function<void(consent_use&)> change;
    std::string detail;
  };
  const std::vector<row> rows = {
      {"subject", [](consent_use& u) { u.subject = complete_thai_id("310100012345"); }, "subject"},
      {"consumer", [](consent_use& u) { u.consumer.subsystem = "other"; }, "consumer"},
      {"dataset version", [](consent_use& u) { u.dataset.version = "2.0"; }, "person@2.0"},
      {"dataset name", [](consent_use& u) { u.dataset.name = "marriage"; }, "dataset"},
      {"purpose", [](consent_use& u) { u.purpose = "welfare-check"; }, "purpose"},
      {"field", [](consent_use& u) { u.fields.insert("facialImage"); }, "facialImage"},
  };
  for (const auto& r : rows) {
    INFO(r.name);
    auto use = good_use();
    r.change(use);
    auto checked = check_consent(active(), use, t_mid);
    REQUIRE_FALSE(checked);
    CHECK(checked.code() == errc::consent_mismatch);
    CHECK_THAT(checked.error().detail, Contains(r.detail));
  }
}

TEST_CASE("a subject mismatch does not echo the citizen id", "[consent][check]") {
  auto use = good_use();
  use.subject = complete_thai_id("310100012345");
  auto checked = check_consent(active(), use, t_mid);
  CHECK_THAT(checked.error().detail, !Contains(use.subject) && !Contains(subject()));
}

// ---------------------------------------------------------------------------------------------
// record_use

TEST_CASE("record_use increments and then exhausts", "[consent][use][boundary]") {
  auto c = active();
  const auto events = c.events.size();
  for (std::uint32_t i = 1; i <= 3; ++i) {
    auto next = record_use(c, t_mid);
    REQUIRE(next);
    CHECK(next->uses == i);
    c = *next;
  }
  CHECK(c.events.size() == events);  // uses are counted, not logged as events
  auto exhausted = record_use(c, t_mid);
  CHECK(exhausted.code() == errc::consent_exhausted);
  CHECK(check_consent(c, good_use(), t_mid).code() == errc::consent_exhausted);
}

TEST_CASE("record_use checks status and window", "[consent][use][boundary]") {
  CHECK(record_use(requested(), t_mid).code() == errc::consent_not_active);
  CHECK(record_use(in_state(consent_status::rejected), t_mid).code() == errc::consent_not_active);
  CHECK(record_use(in_state(consent_status::revoked), t_mid).code() == errc::consent_revoked);
  CHECK(record_use(in_state(consent_status::expired), t_mid).code() == errc::consent_expired);
  CHECK(record_use(active(), t_until).code() == errc::consent_expired);
  CHECK(record_use(active(), t_until - 1us));
  CHECK(record_use(active(), t_from - 1us).code() == errc::consent_not_yet_valid);
  CHECK(record_use(active(), t_from));
}

TEST_CASE("record_use without max_uses stops at the counter's limit", "[consent][use][boundary]") {
  auto c = active();
  c.max_uses.reset();
  c.uses = std::numeric_limits<std::uint32_t>::max() - 1;
  auto last = record_use(c, t_mid);
  REQUIRE(last);
  CHECK(last->uses == std::numeric_limits<std::uint32_t>::max());
  CHECK(record_use(*last, t_mid).code() == errc::consent_exhausted);
}

// ---------------------------------------------------------------------------------------------
// request_consent validation

TEST_CASE("request_consent refuses each bad term, naming it", "[consent][request]") {
  struct row {
    std::string name;
    std::function<void(consent_terms&)> change;
    errc code;
    std::string detail;
  };
  const std::vector<row> rows = {
      {"subject check digit",
       [](consent_terms& t) { t.subject.back() = t.subject.back() == '0' ? '1' : '0'; },
       errc::invalid_citizen_id, "subject"},
      {"subject length", [](consent_terms& t) { t.subject = "123"; }, errc::invalid_citizen_id,
       "subject"},
      {"consumer", [](consent_terms& t) { t.consumer.member_class = "g"; }, errc::invalid_member_id,
       "consumer"},
      {"no dataset", [](consent_terms& t) { t.datasets.clear(); }, errc::invalid_argument,
       "datasets"},
      {"bad dataset", [](consent_terms& t) { t.datasets[1].version = "x"; },
       errc::invalid_dataset_id, "datasets[1]"},
      {"duplicate dataset", [](consent_terms& t) { t.datasets.push_back(person()); },
       errc::invalid_argument, "duplicate"},
      {"empty purpose", [](consent_terms& t) { t.purpose.clear(); }, errc::invalid_argument,
       "purpose"},
      {"purpose upper case", [](consent_terms& t) { t.purpose = "Legal"; }, errc::invalid_argument,
       "purpose"},
      {"purpose leading dash", [](consent_terms& t) { t.purpose = "-legal"; },
       errc::invalid_argument, "purpose"},
      {"purpose 65 chars", [](consent_terms& t) { t.purpose = std::string(65, 'a'); },
       errc::invalid_argument, "purpose"},
      {"no field", [](consent_terms& t) { t.fields.clear(); }, errc::invalid_argument, "fields"},
      {"empty field", [](consent_terms& t) { t.fields.insert(""); }, errc::invalid_argument,
       "fields"},
      {"field 129 chars", [](consent_terms& t) { t.fields.insert(std::string(129, 'f')); },
       errc::invalid_argument, "fields"},
      {"window equal", [](consent_terms& t) { t.valid_until = t.valid_from; },
       errc::invalid_argument, "valid_until"},
      {"window reversed", [](consent_terms& t) { t.valid_until = t.valid_from - 1us; },
       errc::invalid_argument, "valid_until"},
      {"max_uses 0", [](consent_terms& t) { t.max_uses = 0; }, errc::invalid_argument, "max_uses"},
      {"collection method", [](consent_terms& t) { t.collection_method.clear(); },
       errc::invalid_argument, "collection_method"},
      {"collection method 65 chars",
       [](consent_terms& t) { t.collection_method = std::string(65, 'm'); }, errc::invalid_argument,
       "collection_method"},
  };
  for (const auto& r : rows) {
    INFO(r.name);
    auto terms = good_terms();
    r.change(terms);
    auto c = request_consent(consent_id{"c-1"}, terms, t_mid, "portal");
    REQUIRE_FALSE(c);
    CHECK(c.code() == r.code);
    CHECK_THAT(c.error().detail, Contains(r.detail));
  }
}

TEST_CASE("request_consent accepts terms at their limits", "[consent][request][boundary]") {
  auto terms = good_terms();
  terms.purpose = "a" + std::string(63, '-');
  terms.valid_until = terms.valid_from + 1us;
  terms.max_uses = 1;
  terms.collection_method = std::string(64, 'm');
  terms.fields.insert(std::string(128, 'f'));
  CHECK(request_consent(consent_id{"c-1"}, terms, t_mid, "portal"));
  terms.max_uses.reset();
  CHECK(request_consent(consent_id{"c-1"}, terms, t_mid, "portal"));
}

TEST_CASE("request_consent bounds datasets and fields", "[consent][request][boundary]") {
  auto terms = good_terms();
  terms.datasets.clear();
  for (int i = 0; i < 64; ++i) {
    auto d = person();
    d.name = "d" + std::to_string(i);
    terms.datasets.push_back(d);
  }
  CHECK(request_consent(consent_id{"c-1"}, terms, t_mid, "portal"));
  terms.datasets.push_back(house());
  CHECK(request_consent(consent_id{"c-1"}, terms, t_mid, "portal").code() ==
        errc::invalid_argument);

  terms = good_terms();
  terms.fields.clear();
  for (int i = 0; i < 256; ++i)
    terms.fields.insert("f" + std::to_string(i));
  CHECK(request_consent(consent_id{"c-1"}, terms, t_mid, "portal"));
  terms.fields.insert("one-more");
  CHECK(request_consent(consent_id{"c-1"}, terms, t_mid, "portal").code() ==
        errc::invalid_argument);
}

TEST_CASE("request_consent validates the id and the actor", "[consent][request][boundary]") {
  CHECK(request_consent(consent_id{""}, good_terms(), t_mid, "p").code() == errc::invalid_argument);
  CHECK(request_consent(consent_id{"a b"}, good_terms(), t_mid, "p").code() ==
        errc::invalid_argument);
  CHECK(request_consent(consent_id{std::string(129, 'c')}, good_terms(), t_mid, "p").code() ==
        errc::invalid_argument);
  CHECK(request_consent(consent_id{std::string(128, 'c')}, good_terms(), t_mid, "p"));
  CHECK(request_consent(consent_id{"urn:c.1_x-2"}, good_terms(), t_mid, "p"));
  CHECK(request_consent(consent_id{"c"}, good_terms(), t_mid, "").code() == errc::invalid_argument);
}

TEST_CASE("status and event names round-trip", "[consent][names]") {
  for (auto s : {consent_status::requested, consent_status::active, consent_status::rejected,
                 consent_status::revoked, consent_status::expired}) {
    auto parsed = parse_consent_status(to_string(s));
    REQUIRE(parsed);
    CHECK(*parsed == s);
  }
  for (auto e :
       {consent_event_type::requested, consent_event_type::granted, consent_event_type::rejected,
        consent_event_type::revoked, consent_event_type::expired, consent_event_type::used}) {
    auto parsed = parse_consent_event_type(to_string(e));
    REQUIRE(parsed);
    CHECK(*parsed == e);
  }
  CHECK(parse_consent_status("ACTIVE").code() == errc::invalid_argument);
  CHECK(parse_consent_status("paused").code() == errc::invalid_argument);
  CHECK(parse_consent_event_type("").code() == errc::invalid_argument);
}
