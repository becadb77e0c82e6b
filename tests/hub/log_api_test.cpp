// The evidence log read API and the citizen view over a real SQLite log: decision and outcome
// entries made by the hub's own builders from real request envelopes and access decisions, for
// several citizens, consumers and datasets, with registry entries (audited_store's builders) and a
// rejection among them. Expectations are computed from the facts the test logged, never typed in.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/citizen_id.hpp"
#include "core/json.hpp"
#include "crypto/encoding.hpp"
#include "crypto/hash.hpp"
#include "evidence/audited_store.hpp"
#include "evidence/checkpoint.hpp"
#include "evidence/log.hpp"
#include "hub/evidence_entries.hpp"
#include "hub/log_api.hpp"
#include "merkle/merkle.hpp"

namespace {

using namespace saphan;
using namespace saphan::hub;

// Fails the test with the error's code and detail, so a broken precondition explains itself.
#define LOG_API_REQUIRE_OK(expr)                                                \
  do {                                                                          \
    const auto& log_api_r_ = (expr);                                            \
    INFO((log_api_r_ ? std::string("ok")                                        \
                     : std::string(to_string(log_api_r_.error().code)) + ": " + \
                           log_api_r_.error().detail));                         \
    REQUIRE(log_api_r_.has_value());                                            \
  } while (0)

constexpr const char* test_origin = "saphan/TH/GOV/SAPHAN/hub";
constexpr const char* test_kid = "log-api-test";
constexpr const char* pseudonym_secret = "log-api-test pseudonym secret";

constexpr const char* jfo = "TH/GOV/JFO/legal-aid";
constexpr const char* police = "TH/GOV/RTP/investigation";
constexpr const char* doe = "TH/GOV/DOE/labour";
constexpr const char* person = "TH/GOV/DOPA/civil-registry/person@1.0";
constexpr const char* house = "TH/GOV/DOPA/civil-registry/house-registration@1.0";
constexpr const char* criminal = "TH/GOV/RTP/records/criminal-record@2.1";

// Valid Thai IDs (see tests/core/citizen_id_test.cpp); the last one never has an exchange.
const std::vector<std::string> citizens = {"1103702071811", "3101001234565", "1234567890121",
                                           "1000000000009"};
constexpr std::size_t citizen_a = 0, citizen_b = 1, citizen_c = 2, citizen_none = 3;

// What the hub's exchange_service::pseudonym computes: hex HMAC-SHA-256(secret, citizen id).
std::string pseudonym_of(std::string_view citizen) {
  return crypto::hmac_sha256(pseudonym_secret, citizen).to_hex();
}

timestamp at_second(int s) {
  return parse_rfc3339("2026-11-21T09:00:00Z").value() + std::chrono::seconds(s);
}

member_id member(std::string_view text) {
  return parse_member_id(text).value();
}
dataset_id dataset(std::string_view text) {
  return parse_dataset_id(text).value();
}

crypto::signing_key_pair seeded_key(char first) {
  std::string seed(32, '\0');
  for (int i = 0; i < 32; ++i)
    seed[static_cast<std::size_t>(i)] = static_cast<char>(first + i);
  return crypto::signing_key_from_seed(seed).value();
}

member_record caller(std::vector<std::string> groups, std::string_view id = jfo) {
  member_record m;
  m.id = member(id);
  m.name = "Justice Fund Office";
  m.groups = std::move(groups);
  return m;
}

// One exchange as the test means it to be logged.
struct exchange_spec {
  std::string request_id;
  std::size_t citizen = 0;
  std::string consumer;
  std::string dataset;
  std::string purpose;
  lawful_basis basis = lawful_basis::consent;
  std::string authority;  // the consent id (consent basis) or the legal instrument
  std::set<std::string> requested;
  std::set<std::string> granted;
  std::optional<errc> denied;
  std::string outcome;  // empty: no outcome logged; "ok"; or a failure code
  std::string officer;

  // What the citizen view must say about how the exchange ended.
  std::string expected_outcome() const {
    if (denied)
      return std::string(to_string(*denied));
    return outcome.empty() ? "pending" : outcome;
  }
};

log_append decision_for(const exchange_spec& s, timestamp at) {
  request_envelope r;
  r.request_id = s.request_id;
  r.issued_at = at - std::chrono::seconds(1);
  r.consumer = member(s.consumer);
  r.dataset = dataset(s.dataset);
  r.purpose = s.purpose;
  r.basis = s.basis;
  if (s.basis == lawful_basis::consent)
    r.consent_id = s.authority;
  else
    r.legal_instrument = s.authority;
  r.subject = citizens[s.citizen];
  r.fields = s.requested;
  r.reply_key = R"({"kty":"OKP","crv":"X25519","x":"AAAA"})";
  r.user_id = s.officer;
  r.issue = "case/" + s.request_id;
  access_decision d;
  d.allowed = !s.denied;
  if (s.denied) {
    d.reason = *s.denied;
    d.detail = "refused for the test";
  } else {
    d.granted_fields = s.granted;
    d.purpose = s.purpose;
  }
  decision_facts facts{at, &r, crypto::sha256("envelope " + s.request_id).to_hex(),
                       pseudonym_of(r.subject), &d};
  return decision_entry(facts);
}

log_append outcome_for(const exchange_spec& s, std::uint64_t decision_index, timestamp at) {
  outcome_facts f;
  f.at = at;
  f.request_id = s.request_id;
  f.consumer = s.consumer;
  f.dataset = s.dataset;
  f.provider = to_string(dataset(s.dataset).owner);
  f.subject_pseudonym = pseudonym_of(citizens[s.citizen]);
  f.decision_index = static_cast<std::int64_t>(decision_index);
  if (s.outcome != "ok") {
    errc code{};
    REQUIRE(parse_errc(s.outcome, code));
    f.failure = make_error(code, "failed for the test");
  } else {
    f.ciphertext_hash = crypto::sha256("ciphertext " + s.request_id).to_hex();
  }
  f.provider_micros = 1200;
  f.total_micros = 3400;
  return outcome_entry(f);
}

// Registry changes, as the administration commands log them.
log_append member_registered(timestamp at) {
  member_record m = caller({"justice"});
  return evidence::member_event("member.registered", m, "admin-cli", at);
}

log_append dataset_published(std::string_view id, timestamp at) {
  dataset_entry d;
  d.id = dataset(id);
  d.published_at = at;
  return evidence::dataset_event("dataset.published", d, "admin-cli", at);
}

log_append consent_granted(std::size_t citizen, timestamp at) {
  consent_artefact c;
  c.id = consent_id{"consent-a-0001"};
  c.subject = citizens[citizen];
  c.consumer = member(jfo);
  c.datasets = {dataset(person)};
  c.purpose = "legal-aid-eligibility";
  c.fields = {"firstName", "lastName"};
  c.valid_from = at;
  c.valid_until = at + std::chrono::hours(24 * 30);
  c.collection_method = "web-form";
  c.status = consent_status::active;
  return evidence::consent_event("consent.granted", c, pseudonym_of(c.subject), "admin-cli", at);
}

log_append rejected(timestamp at) {
  rejection_facts f;
  f.received_at = at;
  f.peer = doe;
  f.request_id = "req-rejected-01";
  f.request_hash = crypto::sha256("rejected").to_hex();
  f.reason = make_error(errc::replay, "request id seen before");
  return rejection_entry(f);
}

std::unique_ptr<store> open_memory_store() {
  auto opened = open_store(":memory:");
  LOG_API_REQUIRE_OK(opened);
  return std::move(*opened);
}

struct logged_entry {
  std::uint64_t index = 0;
  log_terms terms;
};

// The store, the log identity and the API context, plus what the test appended.
struct api_log {
  std::unique_ptr<store> db = open_memory_store();
  evidence::log_identity identity{test_origin, crypto::signing_jwk{seeded_key(7), test_kid}};
  checkpoint_gate gate;
  log_api_context context{*db, identity, [](std::string_view id) { return pseudonym_of(id); },
                          gate};
  std::vector<logged_entry> logged;  // in index order

  std::uint64_t append(std::vector<log_append> batch) {
    auto first = evidence::append_entries(*db, batch);
    LOG_API_REQUIRE_OK(first);
    for (std::size_t i = 0; i < batch.size(); ++i)
      logged.push_back({*first + i, batch[i].terms});
    return *first;
  }

  std::uint64_t size() const { return logged.size(); }

  result<std::string> ask(std::string_view target, const member_record& who, bool post = false,
                          timestamp at = at_second(3600)) {
    auto parsed = parse_target(target);
    LOG_API_REQUIRE_OK(parsed);
    return answer_log_api(context, post, *parsed, who, at);
  }

  // Indexes of the logged entries whose terms satisfy `keep`, newest first (the API's order).
  template <class Predicate>
  std::vector<std::uint64_t> expected(Predicate keep) const {
    std::vector<std::uint64_t> out;
    for (auto it = logged.rbegin(); it != logged.rend(); ++it) {
      if (keep(it->terms))
        out.push_back(it->index);
    }
    return out;
  }
};

// The exchanges of the main fixture: three citizens, three consumers, three datasets, every
// lawful-basis shape, allowed ones with "ok" and failed outcomes, denials, and one allowed
// exchange that never got an outcome.
std::vector<exchange_spec> exchange_specs() {
  using lb = lawful_basis;
  const std::string ci = "Criminal Procedure Code s.132";
  return {
      {"req-0001-ex",
       citizen_a,
       jfo,
       person,
       "legal-aid-eligibility",
       lb::consent,
       "consent-a-0001",
       {"firstName", "lastName", "birthDate"},
       {"firstName", "lastName"},
       {},
       "ok",
       "officer-1"},
      {"req-0002-ex",
       citizen_b,
       police,
       criminal,
       "investigation",
       lb::legal_obligation,
       ci,
       {"convictions"},
       {"convictions"},
       {},
       "provider_timeout",
       "inspector-7"},
      {"req-0003-ex",
       citizen_c,
       doe,
       house,
       "work-permit",
       lb::consent,
       "consent-c-0001",
       {"address"},
       {},
       errc::consent_revoked,
       "",
       ""},
      {"req-0004-ex",
       citizen_a,
       police,
       person,
       "investigation",
       lb::public_task,
       "Royal Thai Police Act s.6",
       {},
       {"firstName", "lastName", "address"},
       {},
       "",
       "sergeant-3"},
      {"req-0005-ex",
       citizen_b,
       jfo,
       person,
       "legal-aid-eligibility",
       lb::consent,
       "consent-b-0001",
       {"firstName"},
       {"firstName"},
       {},
       "record_not_found",
       "officer-2"},
      {"req-0006-ex",
       citizen_c,
       jfo,
       house,
       "legal-aid-eligibility",
       lb::consent,
       "consent-c-0002",
       {"address", "householdSize"},
       {"address"},
       {},
       "ok",
       "officer-1"},
      {"req-0007-ex",
       citizen_a,
       doe,
       house,
       "work-permit",
       lb::legal_obligation,
       "Foreign Workers Act s.5",
       {"address", "religion"},
       {},
       errc::field_not_allowed,
       "",
       ""},
      {"req-0008-ex",
       citizen_a,
       jfo,
       criminal,
       "legal-aid-eligibility",
       lb::consent,
       "consent-a-0002",
       {"convictions"},
       {"convictions"},
       {},
       "ok",
       "officer-2"},
      {"req-0009-ex",
       citizen_b,
       doe,
       person,
       "marketing",
       lb::contract,
       "Employment contract 77",
       {"firstName"},
       {},
       errc::purpose_not_allowed,
       "",
       "clerk-9"},
      {"req-0010-ex",
       citizen_c,
       police,
       criminal,
       "investigation",
       lb::legal_obligation,
       ci,
       {"convictions", "warrants"},
       {"convictions", "warrants"},
       {},
       "provider_error",
       ""},
  };
}

// One step of the timeline: a decision, an outcome, or another entry.
struct step {
  enum { decision, outcome, other } type;
  std::size_t exchange = 0;
  log_append (*make)(timestamp) = nullptr;
};

struct exchange_log : api_log {
  std::vector<exchange_spec> exchanges = exchange_specs();
  std::map<std::string, std::uint64_t> decision_index;  // by request id
  std::map<std::string, timestamp> decided_at;

  exchange_log() {
    const std::vector<step> timeline = {
        {step::other, 0, member_registered},
        {step::other, 0, [](timestamp t) { return dataset_published(person, t); }},
        {step::other, 0, [](timestamp t) { return consent_granted(citizen_a, t); }},
        {step::decision, 0},
        {step::decision, 1},
        {step::outcome, 0},
        {step::decision, 2},
        {step::decision, 3},  // never gets an outcome
        {step::outcome, 1},
        {step::other, 0, rejected},
        {step::decision, 4},
        {step::decision, 5},
        {step::outcome, 5},
        {step::outcome, 4},
        {step::decision, 6},
        {step::decision, 7},
        {step::decision, 8},
        {step::outcome, 7},
        {step::decision, 9},
        {step::outcome, 9},
        {step::other, 0, [](timestamp t) { return dataset_published(criminal, t); }},
    };
    // Batches of three, as the group-commit writer would append them; an outcome may share a
    // batch with its decision, so indexes are counted here rather than read back.
    std::vector<log_append> batch;
    std::uint64_t next = 0;
    int second = 0;
    for (const auto& s : timeline) {
      const auto at = at_second(second++);
      if (s.type == step::decision) {
        const auto& e = exchanges[s.exchange];
        decision_index[e.request_id] = next;
        decided_at[e.request_id] = at;
        batch.push_back(decision_for(e, at));
      } else if (s.type == step::outcome) {
        const auto& e = exchanges[s.exchange];
        batch.push_back(outcome_for(e, decision_index.at(e.request_id), at));
      } else {
        batch.push_back(s.make(at));
      }
      ++next;
      if (batch.size() == 3) {
        append(std::move(batch));
        batch.clear();
      }
    }
    if (!batch.empty())
      append(std::move(batch));
    REQUIRE(size() == timeline.size());
  }

  // The exchanges about one citizen, newest decision first.
  std::vector<exchange_spec> exchanges_of(std::size_t citizen) const {
    std::vector<exchange_spec> out;
    for (const auto& e : exchanges) {
      if (e.citizen == citizen)
        out.push_back(e);
    }
    std::sort(out.begin(), out.end(), [&](const auto& x, const auto& y) {
      return decision_index.at(x.request_id) > decision_index.at(y.request_id);
    });
    return out;
  }
};

rapidjson::Document body_of(const result<std::string>& answer) {
  LOG_API_REQUIRE_OK(answer);
  auto doc = parse_json(*answer);
  LOG_API_REQUIRE_OK(doc);
  REQUIRE(doc->IsObject());
  return std::move(*doc);
}

std::string string_member(const rapidjson::Value& v, const char* name) {
  REQUIRE(v.HasMember(name));
  REQUIRE(v[name].IsString());
  return v[name].GetString();
}

std::set<std::string> string_set(const rapidjson::Value& v, const char* name) {
  REQUIRE(v.HasMember(name));
  REQUIRE(v[name].IsArray());
  std::set<std::string> out;
  for (const auto& item : v[name].GetArray()) {
    REQUIRE(item.IsString());
    out.insert(item.GetString());
  }
  return out;
}

// The indexes of a search or entries answer, in answer order.
std::vector<std::uint64_t> indexes_of(const rapidjson::Document& doc) {
  REQUIRE(doc.HasMember("entries"));
  std::vector<std::uint64_t> out;
  for (const auto& e : doc["entries"].GetArray())
    out.push_back(e["index"].GetUint64());
  return out;
}

crypto::sha256_digest digest_of(const rapidjson::Value& v) {
  REQUIRE(v.IsString());
  auto raw = crypto::base64url_decode(v.GetString());
  LOG_API_REQUIRE_OK(raw);
  auto digest = crypto::sha256_from_bytes(*raw);
  LOG_API_REQUIRE_OK(digest);
  return *digest;
}

std::vector<crypto::sha256_digest> digests_of(const rapidjson::Value& v) {
  REQUIRE(v.IsArray());
  std::vector<crypto::sha256_digest> out;
  for (const auto& h : v.GetArray())
    out.push_back(digest_of(h));
  return out;
}

std::string query_time(int second) {
  return format_rfc3339(at_second(second));
}

}  // namespace

// ---- parse_target ----

TEST_CASE("parse_target splits the path and decodes parameters", "[hub][log_api]") {
  auto t = parse_target("/v1/log/search?member=TH%2FGOV%2fJFO%2Flegal-aid&kind=exchange.decision");
  LOG_API_REQUIRE_OK(t);
  CHECK(t->path == "/v1/log/search");
  CHECK(t->params.size() == 2);
  CHECK(t->params.at("member") == "TH/GOV/JFO/legal-aid");
  CHECK(t->params.at("kind") == "exchange.decision");

  // '+' is a space in a query; a literal plus travels as %2B (e.g. a time zone offset).
  t = parse_target("/p?since=2026-11-21T16:00:00%2B07:00&note=a+b&n%61me=x%20y");
  LOG_API_REQUIRE_OK(t);
  CHECK(t->params.at("since") == "2026-11-21T16:00:00+07:00");
  CHECK(t->params.at("note") == "a b");
  CHECK(t->params.at("name") == "x y");

  // A name without '=' has an empty value; empty pairs are skipped.
  t = parse_target("/p?&&flag&a=1&&b=&");
  LOG_API_REQUIRE_OK(t);
  CHECK(t->params.size() == 3);
  CHECK(t->params.at("flag").empty());
  CHECK(t->params.at("a") == "1");
  CHECK(t->params.at("b").empty());

  t = parse_target("/v1/log/checkpoint");
  LOG_API_REQUIRE_OK(t);
  CHECK(t->path == "/v1/log/checkpoint");
  CHECK(t->params.empty());
  t = parse_target("/v1/log/checkpoint?");
  LOG_API_REQUIRE_OK(t);
  CHECK(t->path == "/v1/log/checkpoint");
  CHECK(t->params.empty());
}

TEST_CASE("parse_target refuses repeated and empty names", "[hub][log_api]") {
  for (const char* target :
       {"/p?a=1&a=2", "/p?a=1&a=1", "/p?a=1&%61=2", "/p?=5", "/p?a=1&=", "/p?%=1"}) {
    INFO(target);
    auto t = parse_target(target);
    REQUIRE_FALSE(t);
    CHECK(t.code() == errc::invalid_argument);
  }
}

TEST_CASE("parse_target refuses bad and truncated percent escapes", "[hub][log_api]") {
  for (const char* target : {"/p?a=%", "/p?a=%4", "/p?a=1%", "/p?a=1%2", "/p?a=%zz", "/p?a=%4g",
                             "/p?%4=1", "/p?a%=1", "/p?a=%%41"}) {
    INFO(target);
    auto t = parse_target(target);
    REQUIRE_FALSE(t);
    CHECK(t.code() == errc::invalid_argument);
  }
  // The last possible escape at the very end is complete, not truncated.
  auto t = parse_target("/p?a=%41");
  LOG_API_REQUIRE_OK(t);
  CHECK(t->params.at("a") == "A");
}

TEST_CASE("parse_target limits parameter count and length on both sides", "[hub][log_api]") {
  auto with_params = [](int n) {
    std::string target = "/p?";
    for (int i = 0; i < n; ++i)
      target += "p" + std::to_string(i) + "=" + std::to_string(i) + "&";
    return target;
  };
  auto sixteen = parse_target(with_params(16));
  LOG_API_REQUIRE_OK(sixteen);
  CHECK(sixteen->params.size() == 16);
  auto seventeen = parse_target(with_params(17));
  REQUIRE_FALSE(seventeen);
  CHECK(seventeen.code() == errc::invalid_argument);

  // The limit is on decoded bytes: 256 is fine, 257 is refused, for names and values alike.
  const std::string at_limit(256, 'v');
  const std::string over_limit(257, 'v');
  auto value_ok = parse_target("/p?a=" + at_limit);
  LOG_API_REQUIRE_OK(value_ok);
  CHECK(value_ok->params.at("a") == at_limit);
  CHECK(parse_target("/p?a=" + over_limit).code() == errc::invalid_argument);
  LOG_API_REQUIRE_OK(parse_target("/p?" + at_limit + "=1"));
  CHECK(parse_target("/p?" + over_limit + "=1").code() == errc::invalid_argument);

  std::string encoded_at_limit, encoded_over_limit;
  for (int i = 0; i < 256; ++i)
    encoded_at_limit += "%41";
  encoded_over_limit = encoded_at_limit + "%41";
  auto encoded = parse_target("/p?a=" + encoded_at_limit);
  LOG_API_REQUIRE_OK(encoded);
  CHECK(encoded->params.at("a") == std::string(256, 'A'));
  CHECK(parse_target("/p?a=" + encoded_over_limit).code() == errc::invalid_argument);
}

TEST_CASE("is_log_api_path names the log and citizen endpoints", "[hub][log_api]") {
  CHECK(is_log_api_path("/v1/log/checkpoint"));
  CHECK(is_log_api_path("/v1/log/search"));
  CHECK(is_log_api_path("/v1/citizen/1103702071811/accesses"));
  CHECK_FALSE(is_log_api_path("/v1/exchange"));
  CHECK_FALSE(is_log_api_path("/v1/log"));
  CHECK_FALSE(is_log_api_path("/healthz"));
  CHECK_FALSE(is_log_api_path("/x/v1/log/entries"));
}

// ---- The citizen view ----

TEST_CASE("citizen view lists exactly one citizen's exchanges newest first", "[hub][log_api]") {
  exchange_log log;
  const auto portal = caller({"justice", "citizen-portal"});
  for (std::size_t c = 0; c < citizens.size(); ++c) {
    INFO("citizen " << citizens[c]);
    LOG_API_REQUIRE_OK(validate_thai_id(citizens[c]));
    auto answer = log.ask("/v1/citizen/" + citizens[c] + "/accesses?limit=1000", portal);
    auto doc = body_of(answer);
    const auto want = log.exchanges_of(c);
    if (c != citizen_none)
      REQUIRE(want.size() >= 3);
    REQUIRE(doc["accesses"].IsArray());
    const auto& accesses = doc["accesses"];
    REQUIRE(accesses.Size() == want.size());
    CHECK_FALSE(doc.HasMember("before"));

    for (rapidjson::SizeType i = 0; i < accesses.Size(); ++i) {
      const auto& a = accesses[i];
      const auto& e = want[i];
      INFO("request " << e.request_id);
      CHECK(string_member(a, "requestId") == e.request_id);
      const auto index = a["index"].GetUint64();
      CHECK(index == log.decision_index.at(e.request_id));
      // The entry at that index really is this citizen's decision.
      CHECK(log.logged.at(index).terms.kind == "exchange.decision");
      CHECK(log.logged.at(index).terms.subject == pseudonym_of(citizens[c]));
      CHECK(string_member(a, "at") == format_rfc3339(log.decided_at.at(e.request_id)));
      CHECK(string_member(a, "consumer") == e.consumer);
      CHECK(string_member(a, "dataset") == e.dataset);
      CHECK(string_member(a, "purpose") == e.purpose);
      CHECK(string_member(a, "lawfulBasis") == to_string(e.basis));
      const bool consent = e.basis == lawful_basis::consent;
      CHECK(string_member(a, "consentId") == (consent ? e.authority : ""));
      CHECK(string_member(a, "legalInstrument") == (consent ? "" : e.authority));
      CHECK(string_member(a, "officer") == e.officer);
      CHECK(string_set(a, "fieldsRequested") == e.requested);
      CHECK(string_set(a, "fieldsGranted") == e.granted);
      CHECK(string_member(a, "decision") == (e.denied ? "deny" : "allow"));
      CHECK(string_member(a, "reason") == (e.denied ? std::string(to_string(*e.denied)) : ""));
      CHECK(string_member(a, "outcome") == e.expected_outcome());
    }

    // Nothing about anyone else: no other exchange's request id, no other citizen's ID or
    // pseudonym, and not this citizen's pseudonym either (the view has no use for it).
    for (const auto& other : log.exchanges) {
      if (other.citizen != c)
        CHECK(answer->find(other.request_id) == std::string::npos);
    }
    for (std::size_t o = 0; o < citizens.size(); ++o) {
      CHECK(answer->find(pseudonym_of(citizens[o])) == std::string::npos);
      if (o != c)
        CHECK(answer->find(citizens[o]) == std::string::npos);
    }
    // A consent change about citizen A carries A's pseudonym but is not an access.
    CHECK(answer->find("consent.granted") == std::string::npos);
  }
}

TEST_CASE("citizen view covers the outcome cases", "[hub][log_api]") {
  // Guards the fixture: the view test above must meet every kind of outcome.
  std::set<std::string> seen;
  for (const auto& e : exchange_specs())
    seen.insert(e.denied            ? "denied"
                : e.outcome.empty() ? "pending"
                : e.outcome == "ok" ? "ok"
                                    : "failed");
  CHECK(seen == std::set<std::string>{"denied", "pending", "ok", "failed"});
}

TEST_CASE("citizen view pages cover every access exactly once", "[hub][log_api]") {
  exchange_log log;
  const auto portal = caller({"citizen-portal"});
  for (std::size_t c : {citizen_a, citizen_b, citizen_c}) {
    std::vector<std::uint64_t> want;
    for (const auto& e : log.exchanges_of(c))
      want.push_back(log.decision_index.at(e.request_id));
    for (std::size_t limit = 1; limit <= want.size() + 1; ++limit) {
      INFO("citizen " << citizens[c] << " limit " << limit);
      std::vector<std::uint64_t> seen;
      std::string paging = "?limit=" + std::to_string(limit);
      for (int page = 0;; ++page) {
        REQUIRE(page <= static_cast<int>(want.size()) + 1);  // it must end
        auto doc = body_of(log.ask("/v1/citizen/" + citizens[c] + "/accesses" + paging, portal));
        const auto& accesses = doc["accesses"];
        CHECK(accesses.Size() <= limit);
        for (const auto& a : accesses.GetArray())
          seen.push_back(a["index"].GetUint64());
        if (!doc.HasMember("before"))
          break;
        // A full page names where the next one starts: its last index.
        REQUIRE(accesses.Size() == limit);
        CHECK(doc["before"].GetUint64() == seen.back());
        paging = "?limit=" + std::to_string(limit) +
                 "&before=" + std::to_string(doc["before"].GetUint64());
      }
      CHECK(seen == want);
    }
  }
}

TEST_CASE("citizen view needs the citizen-portal or auditor group", "[hub][log_api]") {
  exchange_log log;
  const std::string path = "/v1/citizen/" + citizens[citizen_a] + "/accesses";
  for (const auto& groups : {std::vector<std::string>{}, std::vector<std::string>{"justice"},
                             std::vector<std::string>{"citizen-portal-x", "auditors"}}) {
    auto answer = log.ask(path, caller(groups));
    REQUIRE_FALSE(answer);
    CHECK(answer.code() == errc::forbidden);
  }
  auto by_portal = log.ask(path, caller({"citizen-portal"}));
  auto by_auditor = log.ask(path, caller({"auditor"}));
  LOG_API_REQUIRE_OK(by_portal);
  LOG_API_REQUIRE_OK(by_auditor);
  CHECK(*by_portal == *by_auditor);
  CHECK(body_of(by_portal)["accesses"].Size() == log.exchanges_of(citizen_a).size());
}

TEST_CASE("citizen view refuses invalid citizen IDs and bad paging", "[hub][log_api]") {
  exchange_log log;
  const auto portal = caller({"citizen-portal"});
  // Wrong check digit, too short, too long, not digits.
  for (const char* id :
       {"1103702071812", "110370207181", "11037020718110", "11037020718a1", "abcdefghijklm"}) {
    INFO(id);
    auto answer = log.ask(std::string("/v1/citizen/") + id + "/accesses", portal);
    REQUIRE_FALSE(answer);
    CHECK(answer.code() == errc::invalid_citizen_id);
  }
  const std::string path = "/v1/citizen/" + citizens[citizen_a] + "/accesses";
  for (const char* query : {"?limit=0", "?limit=1001", "?limit=-1", "?limit=x",
                            "?before=", "?before=-3", "?before=1e3"}) {
    INFO(query);
    auto answer = log.ask(path + query, portal);
    REQUIRE_FALSE(answer);
    CHECK(answer.code() == errc::invalid_argument);
  }
  auto posted = log.ask(path, portal, true);
  REQUIRE_FALSE(posted);
  CHECK(posted.code() == errc::method_not_allowed);
  CHECK(log.ask("/v1/citizen//accesses", portal).code() == errc::not_found);
  CHECK(log.ask("/v1/citizen/" + citizens[citizen_a], portal).code() == errc::not_found);
}

TEST_CASE("citizen view matches each outcome to its own decision", "[hub][log_api]") {
  // Request ids are unique only within the replay window, and the replay cache does not survive a
  // restart: the same id can name several exchanges, even about different citizens.
  api_log log;
  exchange_spec a1{"req-reused-1",
                   citizen_a,
                   jfo,
                   person,
                   "legal-aid-eligibility",
                   lawful_basis::consent,
                   "consent-a-0001",
                   {"firstName"},
                   {"firstName"},
                   {},
                   "provider_timeout",
                   "officer-1"};
  exchange_spec b1 = a1;  // same id, another citizen, no outcome (the hub stopped mid-exchange)
  b1.citizen = citizen_b;
  b1.outcome.clear();
  exchange_spec a2 = a1;  // the same citizen again, same id, answered this time
  a2.outcome = "ok";
  exchange_spec c1 = a1;  // a third citizen whose outcome is logged last
  c1.citizen = citizen_c;
  c1.outcome = "record_not_found";

  const auto a1_index = log.append({decision_for(a1, at_second(1))});
  log.append({outcome_for(a1, a1_index, at_second(2))});
  const auto b1_index = log.append({decision_for(b1, at_second(3))});
  const auto a2_index = log.append({decision_for(a2, at_second(4))});
  const auto c1_index = log.append({decision_for(c1, at_second(5))});
  log.append({outcome_for(a2, a2_index, at_second(6))});
  log.append({outcome_for(c1, c1_index, at_second(7))});

  const auto portal = caller({"citizen-portal"});
  auto outcomes = [&](std::size_t citizen) {
    auto doc = body_of(log.ask("/v1/citizen/" + citizens[citizen] + "/accesses", portal));
    std::vector<std::pair<std::uint64_t, std::string>> out;
    for (const auto& a : doc["accesses"].GetArray())
      out.emplace_back(a["index"].GetUint64(), a["outcome"].GetString());
    return out;
  };
  using row = std::pair<std::uint64_t, std::string>;
  CHECK(outcomes(citizen_a) == std::vector<row>{{a2_index, "ok"}, {a1_index, "provider_timeout"}});
  CHECK(outcomes(citizen_b) == std::vector<row>{{b1_index, "pending"}});
  CHECK(outcomes(citizen_c) == std::vector<row>{{c1_index, "record_not_found"}});
}

TEST_CASE("no stored entry or API answer holds a citizen ID", "[hub][log_api]") {
  exchange_log log;
  auto rows = log.db->read_log(0, 10000);
  LOG_API_REQUIRE_OK(rows);
  REQUIRE(rows->size() == log.size());
  const auto auditor = caller({"auditor"});
  auto all_entries = log.ask("/v1/log/entries?start=0", auditor);
  LOG_API_REQUIRE_OK(all_entries);
  for (std::size_t c = 0; c < citizens.size(); ++c) {
    INFO("citizen " << citizens[c]);
    std::size_t with_pseudonym = 0;
    for (const auto& row : *rows) {
      CHECK(row.entry.find(citizens[c]) == std::string::npos);
      if (row.entry.find(pseudonym_of(citizens[c])) != std::string::npos)
        ++with_pseudonym;
    }
    // The entries are about the citizen all the same: under the pseudonym (decisions, and A's
    // consent; outcomes carry it only in their indexed terms).
    std::size_t want = log.exchanges_of(c).size() + (c == citizen_a ? 1 : 0);
    CHECK(with_pseudonym == want);
    CHECK(all_entries->find(citizens[c]) == std::string::npos);
    auto found = log.ask("/v1/log/search?limit=1000&subject=" + citizens[c], auditor);
    LOG_API_REQUIRE_OK(found);
    CHECK(found->find(citizens[c]) == std::string::npos);
  }
}

// ---- Search ----

TEST_CASE("search applies each filter", "[hub][log_api]") {
  exchange_log log;
  const auto anyone = caller({"auditor"});  // reads every entry
  auto check = [&](const std::string& query, auto keep) {
    INFO(query);
    auto doc = body_of(log.ask("/v1/log/search?limit=1000&" + query, anyone));
    auto want = log.expected(keep);
    CHECK_FALSE(want.empty());
    CHECK(want.size() < log.size());
    CHECK(indexes_of(doc) == want);
    CHECK_FALSE(doc.HasMember("before"));
  };
  check("kind=exchange.outcome", [](const log_terms& t) { return t.kind == "exchange.outcome"; });
  check("kind=dataset.published", [](const log_terms& t) { return t.kind == "dataset.published"; });
  // A member matches as consumer or provider, encoded or not.
  check("member=TH/GOV/JFO/legal-aid",
        [](const log_terms& t) { return t.consumer == jfo || t.provider == jfo; });
  check("member=TH%2FGOV%2FRTP%2Frecords", [](const log_terms& t) {
    return t.consumer == "TH/GOV/RTP/records" || t.provider == "TH/GOV/RTP/records";
  });
  check("dataset=TH/GOV/DOPA/civil-registry/person%401.0",
        [](const log_terms& t) { return t.dataset == person; });
  check("status=allow", [](const log_terms& t) { return t.status == "allow"; });
  check("status=consent_revoked", [](const log_terms& t) { return t.status == "consent_revoked"; });
  check("status=ok", [](const log_terms& t) { return t.status == "ok"; });
  check("requestId=req-0005-ex", [](const log_terms& t) { return t.request_id == "req-0005-ex"; });
  check("since=" + query_time(5) + "&until=" + query_time(12),
        [](const log_terms& t) { return t.at >= at_second(5) && t.at < at_second(12); });
  check("since=" + query_time(15), [](const log_terms& t) { return t.at >= at_second(15); });
  check("until=" + query_time(4), [](const log_terms& t) { return t.at < at_second(4); });
  // The same instant with an offset (its '+' encoded).
  check("since=2026-11-21T16:00:05%2B07:00&until=2026-11-21T16:00:12%2B07:00",
        [](const log_terms& t) { return t.at >= at_second(5) && t.at < at_second(12); });
  check("member=TH/GOV/JFO/legal-aid&kind=exchange.decision&status=allow", [](const log_terms& t) {
    return (t.consumer == jfo || t.provider == jfo) && t.kind == "exchange.decision" &&
           t.status == "allow";
  });

  // No match at all is an empty list, not an error.
  auto none = body_of(log.ask("/v1/log/search?member=TH/GOV/NONE/x", anyone));
  CHECK(indexes_of(none).empty());
}

TEST_CASE("search by subject needs the auditor group", "[hub][log_api]") {
  exchange_log log;
  for (std::size_t c = 0; c < citizens.size(); ++c) {
    INFO("citizen " << citizens[c]);
    auto doc =
        body_of(log.ask("/v1/log/search?limit=1000&subject=" + citizens[c], caller({"auditor"})));
    const auto p = pseudonym_of(citizens[c]);
    auto want = log.expected([&](const log_terms& t) { return t.subject == p; });
    CHECK(indexes_of(doc) == want);
    if (c != citizen_none)
      CHECK(want.size() > log.exchanges_of(c).size());  // decisions and outcomes (and consents)
  }
  for (const auto& groups : {std::vector<std::string>{"citizen-portal"},
                             std::vector<std::string>{"justice"}, std::vector<std::string>{}}) {
    auto refused = log.ask("/v1/log/search?subject=" + citizens[citizen_a], caller(groups));
    REQUIRE_FALSE(refused);
    CHECK(refused.code() == errc::forbidden);
  }
  auto invalid = log.ask("/v1/log/search?subject=1103702071812", caller({"auditor"}));
  REQUIRE_FALSE(invalid);
  CHECK(invalid.code() == errc::invalid_citizen_id);
  // A pseudonym is not a citizen ID: the subject parameter never takes one directly.
  auto pseudonym =
      log.ask("/v1/log/search?subject=" + pseudonym_of(citizens[citizen_a]), caller({"auditor"}));
  REQUIRE_FALSE(pseudonym);
  CHECK(pseudonym.code() == errc::invalid_citizen_id);
}

TEST_CASE("search refuses unknown parameters bad times and bad limits", "[hub][log_api]") {
  exchange_log log;
  const auto auditor = caller({"auditor"});
  for (const char* query : {"?foo=1", "?Kind=exchange.outcome", "?kind=x&request_id=y",
                            "?subject_pseudonym=ab", "?start=0"}) {
    INFO(query);
    auto answer = log.ask(std::string("/v1/log/search") + query, auditor);
    REQUIRE_FALSE(answer);
    CHECK(answer.code() == errc::invalid_argument);
  }
  for (const char* query : {"?since=yesterday", "?until=2026-13-01T00:00:00Z", "?since=",
                            "?since=2026-11-21 09:00:00Z", "?until=2026-11-21T09:00:00"}) {
    INFO(query);
    auto answer = log.ask(std::string("/v1/log/search") + query, auditor);
    REQUIRE_FALSE(answer);
    CHECK(answer.code() == errc::invalid_timestamp);
  }
  for (const char* query : {"?limit=0", "?limit=1001", "?limit=", "?before=x"}) {
    INFO(query);
    auto answer = log.ask(std::string("/v1/log/search") + query, auditor);
    REQUIRE_FALSE(answer);
    CHECK(answer.code() == errc::invalid_argument);
  }
}

TEST_CASE("search pages backwards with before", "[hub][log_api]") {
  exchange_log log;
  const auto anyone = caller({"auditor"});  // reads every entry
  auto want = log.expected([](const log_terms& t) { return t.kind == "exchange.decision"; });
  REQUIRE(want.size() == log.exchanges.size());
  for (std::size_t limit : {1u, 3u, 4u, 10u}) {
    INFO("limit " << limit);
    std::vector<std::uint64_t> seen;
    std::string extra;
    for (int page = 0;; ++page) {
      REQUIRE(page <= static_cast<int>(want.size()) + 1);
      auto doc = body_of(log.ask(
          "/v1/log/search?kind=exchange.decision&limit=" + std::to_string(limit) + extra, anyone));
      auto got = indexes_of(doc);
      CHECK(got.size() <= limit);
      seen.insert(seen.end(), got.begin(), got.end());
      if (!doc.HasMember("before"))
        break;
      extra = "&before=" + std::to_string(doc["before"].GetUint64());
    }
    CHECK(seen == want);
  }
}

TEST_CASE("search answers carry the stored entries", "[hub][log_api]") {
  exchange_log log;
  auto doc = body_of(log.ask("/v1/log/search?requestId=req-0002-ex", caller({"auditor"})));
  const auto& entries = doc["entries"];
  REQUIRE(entries.Size() == 2);
  // Newest first: the outcome, then the decision; each the exact object that was hashed.
  auto rows = log.db->read_log(0, 10000);
  LOG_API_REQUIRE_OK(rows);
  for (const auto& e : entries.GetArray()) {
    const auto index = e["index"].GetUint64();
    REQUIRE(e.HasMember("entry"));
    CHECK(write_json(e["entry"]) == rows->at(index).entry);
  }
  CHECK(string_member(entries[0]["entry"], "kind") == "exchange.outcome");
  CHECK(string_member(entries[0]["entry"], "status") == "provider_timeout");
  CHECK(string_member(entries[1]["entry"], "kind") == "exchange.decision");
  CHECK(entries[0]["entry"]["decisionIndex"].GetInt64() == entries[1]["index"].GetInt64());
}

// ---- Entries and proofs ----

TEST_CASE("entries returns a range of stored entries", "[hub][log_api]") {
  exchange_log log;
  const auto anyone = caller({"auditor"});  // reads every entry
  auto rows = log.db->read_log(0, 10000);
  LOG_API_REQUIRE_OK(rows);

  auto all = body_of(log.ask("/v1/log/entries?start=0", anyone));
  std::vector<std::uint64_t> want(log.size());
  for (std::uint64_t i = 0; i < log.size(); ++i)
    want[i] = i;
  CHECK(indexes_of(all) == want);
  CHECK_FALSE(all.HasMember("next"));  // the log ended before the page did
  for (const auto& e : all["entries"].GetArray())
    CHECK(write_json(e["entry"]) == rows->at(e["index"].GetUint64()).entry);

  auto middle = body_of(log.ask("/v1/log/entries?start=4&end=9", anyone));
  CHECK(indexes_of(middle) == std::vector<std::uint64_t>{4, 5, 6, 7, 8});
  CHECK_FALSE(middle.HasMember("next"));
  auto tail = body_of(log.ask("/v1/log/entries?start=18&end=500", anyone));
  CHECK(indexes_of(tail) == std::vector<std::uint64_t>{18, 19, 20});
  auto empty = body_of(log.ask("/v1/log/entries?start=7&end=7", anyone));
  CHECK(indexes_of(empty).empty());
  auto beyond = body_of(log.ask("/v1/log/entries?start=" + std::to_string(log.size()), anyone));
  CHECK(indexes_of(beyond).empty());
  CHECK_FALSE(beyond.HasMember("next"));

  for (const char* query : {"", "?end=5", "?start=", "?start=-1", "?start=x", "?start=5&end=4",
                            "?start=9223372036854775808", "?start=1&end=1.5"}) {
    INFO(query);
    auto answer = log.ask(std::string("/v1/log/entries") + query, anyone);
    REQUIRE_FALSE(answer);
    CHECK(answer.code() == errc::invalid_argument);
  }
}

TEST_CASE("entries pages at 1000 and shows non-JSON entries as text", "[hub][log_api]") {
  api_log log;
  std::vector<log_append> batch;
  log_append odd;
  odd.entry = "not json \"at all\"";
  odd.terms.kind = "test.raw";
  batch.push_back(odd);
  for (int i = 1; i < 1005; ++i) {
    log_append a;
    a.entry = "{\"kind\":\"test.bulk\",\"n\":" + std::to_string(i) + "}";
    a.terms.kind = "test.bulk";
    batch.push_back(std::move(a));
  }
  log.append(std::move(batch));
  const auto anyone = caller({"auditor"});  // reads every entry

  auto first = body_of(log.ask("/v1/log/entries?start=0&end=1005", anyone));
  const auto& entries = first["entries"];
  REQUIRE(entries.Size() == 1000);
  CHECK(entries[999]["index"].GetUint64() == 999);
  CHECK(first["next"].GetUint64() == 1000);
  CHECK_FALSE(entries[0].HasMember("entry"));
  CHECK(string_member(entries[0], "entryText") == "not json \"at all\"");
  CHECK(entries[1]["entry"]["n"].GetInt() == 1);

  auto defaulted = body_of(log.ask("/v1/log/entries?start=0", anyone));
  CHECK(defaulted["entries"].Size() == 1000);
  CHECK_FALSE(defaulted.HasMember("next"));  // the range asked for (1000 entries) is complete

  auto second = body_of(log.ask("/v1/log/entries?start=1000&end=1005", anyone));
  CHECK(indexes_of(second) == std::vector<std::uint64_t>{1000, 1001, 1002, 1003, 1004});
  CHECK_FALSE(second.HasMember("next"));

  auto capped = body_of(log.ask("/v1/log/entries?start=3&end=100000", anyone));
  CHECK(capped["entries"].Size() == 1000);
  CHECK(capped["next"].GetUint64() == 1003);
}

TEST_CASE("inclusion proofs verify against the stored roots", "[hub][log_api]") {
  exchange_log log;
  const auto anyone = caller({"justice"});
  auto rows = log.db->read_log(0, 10000);
  LOG_API_REQUIRE_OK(rows);
  for (std::uint64_t size :
       {std::uint64_t{1}, std::uint64_t{2}, std::uint64_t{7}, std::uint64_t{16}, log.size()}) {
    auto root = evidence::root_at(*log.db, size);
    LOG_API_REQUIRE_OK(root);
    for (std::uint64_t index = 0; index < size; ++index) {
      INFO("index " << index << " size " << size);
      auto doc = body_of(log.ask("/v1/log/proof/inclusion?index=" + std::to_string(index) +
                                     "&size=" + std::to_string(size),
                                 anyone));
      CHECK(doc["index"].GetUint64() == index);
      CHECK(doc["treeSize"].GetUint64() == size);
      const auto leaf = digest_of(doc["leafHash"]);
      CHECK(leaf == merkle::leaf_hash(rows->at(index).entry));
      auto path = digests_of(doc["path"]);
      LOG_API_REQUIRE_OK(merkle::verify_inclusion(leaf, index, size, path, *root));
      // The proof is bound to its leaf and its path.
      CHECK_FALSE(merkle::verify_inclusion(merkle::leaf_hash("forged"), index, size, path, *root));
      if (!path.empty()) {
        path.front().bytes[0] ^= 1;
        CHECK_FALSE(merkle::verify_inclusion(leaf, index, size, path, *root));
      }
    }
  }
  const auto n = std::to_string(log.size());
  for (const std::string& query :
       std::vector<std::string>{"?index=0&size=0", "?index=5&size=5", "?index=" + n + "&size=" + n,
                                "?index=0&size=" + std::to_string(log.size() + 1), "?index=0",
                                "?size=3", "", "?index=x&size=3", "?index=-1&size=3"}) {
    INFO(query);
    auto answer = log.ask("/v1/log/proof/inclusion" + query, anyone);
    REQUIRE_FALSE(answer);
    CHECK(answer.code() == errc::invalid_argument);
  }
}

TEST_CASE("consistency proofs verify between every pair of sizes", "[hub][log_api]") {
  exchange_log log;
  const auto anyone = caller({"justice"});
  std::vector<crypto::sha256_digest> roots{merkle::empty_root()};
  for (std::uint64_t size = 1; size <= log.size(); ++size) {
    auto root = evidence::root_at(*log.db, size);
    LOG_API_REQUIRE_OK(root);
    roots.push_back(*root);
  }
  for (std::uint64_t from = 1; from <= log.size(); ++from) {
    for (std::uint64_t to = from; to <= log.size(); ++to) {
      INFO("from " << from << " to " << to);
      auto doc = body_of(log.ask(
          "/v1/log/proof/consistency?from=" + std::to_string(from) + "&to=" + std::to_string(to),
          anyone));
      CHECK(doc["from"].GetUint64() == from);
      CHECK(doc["to"].GetUint64() == to);
      auto proof = digests_of(doc["proof"]);
      LOG_API_REQUIRE_OK(merkle::verify_consistency(from, to, roots[from], roots[to], proof));
      if (from > 0 && from < to) {
        // Another tree's root does not pass.
        CHECK_FALSE(merkle::verify_consistency(from, to, roots[from], roots[to - 1], proof));
      }
    }
  }
  const auto over = std::to_string(log.size() + 1);
  for (const std::string& query : std::vector<std::string>{
           "?from=5&to=4", "?from=0&to=3", "?from=0&to=0", "?from=0&to=" + over,
           "?from=3&to=" + over, "?from=3", "?to=3", "", "?from=a&to=3"}) {
    INFO(query);
    auto answer = log.ask("/v1/log/proof/consistency" + query, anyone);
    REQUIRE_FALSE(answer);
    CHECK(answer.code() == errc::invalid_argument);
  }
}

// ---- Who may read what ----

namespace {

constexpr const char* dopa = "TH/GOV/DOPA/civil-registry";
constexpr const char* dbd = "TH/GOV/DBD/juristic-registry";  // takes part in nothing here

// Whether `me` took part in the entry these terms index: as consumer or provider (the member
// of a registry change and a dataset's owner are indexed as provider), or as the owner of a
// consent's dataset.
bool concerns(const log_terms& t, std::string_view me) {
  if (t.consumer == me || t.provider == me)
    return true;
  return t.kind.rfind("consent.", 0) == 0 && !t.dataset.empty() &&
         to_string(dataset(t.dataset).owner) == me;
}

}  // namespace

TEST_CASE("an entry's content goes to the members it concerns and auditors; others get its hash",
          "[hub][log_api]") {
  exchange_log log;
  auto rows = log.db->read_log(0, 10000);
  LOG_API_REQUIRE_OK(rows);
  std::set<std::string> kinds;
  for (const auto& e : log.logged)
    kinds.insert(e.terms.kind);
  // Every kind the fixture logs: exchanges (decisions, outcomes, a refusal), a member change, a
  // dataset published and a consent.
  CHECK(kinds.size() >= 6);
  for (const auto* me : {jfo, police, doe, dopa, dbd, "AUDITOR"}) {
    INFO(me);
    const bool auditor = std::string_view(me) == "AUDITOR";
    const auto who = auditor ? caller({"auditor"}, dbd) : caller({"justice"}, me);
    auto doc = body_of(log.ask("/v1/log/entries?start=0", who));
    const auto& entries = doc["entries"];
    REQUIRE(entries.Size() == log.size());
    std::size_t readable = 0;
    for (const auto& e : entries.GetArray()) {
      const auto index = e["index"].GetUint64();
      const auto& terms = log.logged.at(index).terms;
      INFO("entry " << index << " " << terms.kind);
      const auto& bytes = rows->at(index).entry;
      if (auditor || concerns(terms, me)) {
        ++readable;
        REQUIRE(e.HasMember("entry"));
        CHECK(write_json(e["entry"]) == bytes);
        continue;
      }
      // A non-party: the leaf hash, nothing of the content, and the proof still checks.
      CHECK_FALSE(e.HasMember("entry"));
      CHECK_FALSE(e.HasMember("entryText"));
      REQUIRE(e.HasMember("leafHash"));
      CHECK(digest_of(e["leafHash"]) == merkle::leaf_hash(bytes));
      auto proof = body_of(log.ask("/v1/log/proof/inclusion?index=" + std::to_string(index) +
                                       "&size=" + std::to_string(log.size()),
                                   who));
      auto root = evidence::root_at(*log.db, log.size());
      LOG_API_REQUIRE_OK(root);
      CHECK(digest_of(proof["leafHash"]) == merkle::leaf_hash(bytes));
      LOG_API_REQUIRE_OK(merkle::verify_inclusion(merkle::leaf_hash(bytes), index, log.size(),
                                                  digests_of(proof["path"]), *root));
    }
    if (auditor) {
      CHECK(readable == log.size());
    } else if (std::string_view(me) == dbd) {
      CHECK(readable == 0);
    } else {
      CHECK(readable > 0);
      CHECK(readable < log.size());
    }
  }
}

TEST_CASE("search shows a member only what it took part in, whatever it filters by",
          "[hub][log_api]") {
  exchange_log log;
  const auto outsider = caller({"justice"}, dbd);
  // By another member, a request id, a kind: nothing of the others' exchanges comes back.
  auto by_member = log.ask("/v1/log/search?member=TH/GOV/JFO/legal-aid", outsider);
  REQUIRE_FALSE(by_member);
  CHECK(by_member.code() == errc::forbidden);
  for (const char* query : {"requestId=req-0001-ex", "kind=exchange.decision", "status=allow",
                            "dataset=TH/GOV/DOPA/civil-registry/person%401.0", ""}) {
    INFO(query);
    auto doc = body_of(log.ask(std::string("/v1/log/search?limit=1000&") + query, outsider));
    CHECK(indexes_of(doc).empty());
  }
  // A party finds its own, and only its own, filtered as it asks.
  auto own = body_of(
      log.ask("/v1/log/search?limit=1000&kind=exchange.decision", caller({"justice"}, police)));
  auto want = log.expected([](const log_terms& t) {
    return t.kind == "exchange.decision" && (t.consumer == police || t.provider == police);
  });
  CHECK_FALSE(want.empty());
  CHECK(indexes_of(own) == want);
  for (const auto& e : own["entries"].GetArray())
    CHECK(e.HasMember("entry"));
  auto named_self = body_of(
      log.ask("/v1/log/search?limit=1000&kind=exchange.decision&member=TH/GOV/RTP/investigation",
              caller({"justice"}, police)));
  CHECK(indexes_of(named_self) == want);
  // An auditor may filter by any member.
  auto audited = body_of(
      log.ask("/v1/log/search?limit=1000&member=TH/GOV/JFO/legal-aid", caller({"auditor"}, dbd)));
  CHECK(indexes_of(audited) ==
        log.expected([](const log_terms& t) { return t.consumer == jfo || t.provider == jfo; }));
}

TEST_CASE("search refuses unknown kinds and parameters that are not UTF-8", "[hub][log_api]") {
  exchange_log log;
  const auto auditor = caller({"auditor"});
  for (const char* query : {"kind=exchange.nothing", "kind=", "kind=test.bulk"}) {
    INFO(query);
    auto answer = log.ask(std::string("/v1/log/search?") + query, auditor);
    REQUIRE_FALSE(answer);
    CHECK(answer.code() == errc::invalid_argument);
  }
  // Overlong forms, a lone continuation byte, a surrogate, a byte never in UTF-8: refused when
  // the target is read, before any search.
  for (const char* query : {"member=%C0%AF", "dataset=%FF", "status=%ED%A0%80", "member=%E0%80%80",
                            "x%80=1", "dataset=%F4%90%80%80"}) {
    INFO(query);
    auto parsed = parse_target(std::string("/v1/log/search?") + query);
    REQUIRE_FALSE(parsed);
    CHECK(parsed.code() == errc::invalid_argument);
    CHECK(parsed.error().detail == "query: not valid UTF-8");
  }
  // Thai text is UTF-8 and passes (a dataset of that name just finds nothing).
  auto thai =
      log.ask("/v1/log/search?dataset=%E0%B8%AA%E0%B8%B0%E0%B8%9E%E0%B8%B2%E0%B8%99", auditor);
  LOG_API_REQUIRE_OK(thai);
}

TEST_CASE("leaves gives every member the leaf hashes of a range", "[hub][log_api]") {
  exchange_log log;
  auto rows = log.db->read_log(0, 10000);
  LOG_API_REQUIRE_OK(rows);
  auto doc = body_of(log.ask("/v1/log/leaves?start=2&end=9", caller({"justice"}, dbd)));
  REQUIRE(doc["leaves"].Size() == 7);
  std::vector<crypto::sha256_digest> all;
  for (const auto& row : *rows)
    all.push_back(merkle::leaf_hash(row.entry));
  for (const auto& leaf : doc["leaves"].GetArray()) {
    CHECK_FALSE(leaf.HasMember("entry"));
    CHECK(digest_of(leaf["leafHash"]) == all.at(leaf["index"].GetUint64()));
  }
  // All of them recompute the tree's root.
  auto whole = body_of(log.ask("/v1/log/leaves?start=0", caller({"justice"}, dbd)));
  std::vector<crypto::sha256_digest> hashes;
  for (const auto& leaf : whole["leaves"].GetArray())
    hashes.push_back(digest_of(leaf["leafHash"]));
  auto root = evidence::root_at(*log.db, log.size());
  LOG_API_REQUIRE_OK(root);
  CHECK(merkle::root_from_leaves(hashes) == *root);
  CHECK(log.ask("/v1/log/leaves?start=5&end=4", caller({"justice"}, dbd)).code() ==
        errc::invalid_argument);
}

TEST_CASE("signing a head on demand is for auditors, at most once a second", "[hub][log_api]") {
  exchange_log log;
  auto member_post = log.ask("/v1/log/checkpoint", caller({"justice"}), true);
  REQUIRE_FALSE(member_post);
  CHECK(member_post.code() == errc::forbidden);
  const auto auditor = caller({"auditor"}, dbd);
  LOG_API_REQUIRE_OK(log.ask("/v1/log/checkpoint", auditor, true, at_second(100)));
  auto soon =
      log.ask("/v1/log/checkpoint", auditor, true, at_second(100) + std::chrono::milliseconds(999));
  REQUIRE_FALSE(soon);
  CHECK(soon.code() == errc::rate_limited);
  LOG_API_REQUIRE_OK(log.ask("/v1/log/checkpoint", auditor, true, at_second(101)));
  // Reading the latest head stays open to every member.
  LOG_API_REQUIRE_OK(log.ask("/v1/log/checkpoint", caller({"justice"}, dbd)));
}

// ---- Checkpoints and routing ----

TEST_CASE("checkpoint GET and POST serve signed tree heads", "[hub][log_api]") {
  api_log log;
  const auto anyone = caller({"auditor"});
  auto missing = log.ask("/v1/log/checkpoint", anyone);
  REQUIRE_FALSE(missing);
  CHECK(missing.code() == errc::not_found);
  // Nothing to sign yet (a second earlier: each POST takes the once-a-second turn).
  auto empty_log = log.ask("/v1/log/checkpoint", anyone, true, at_second(3599));
  REQUIRE_FALSE(empty_log);
  CHECK(empty_log.code() == errc::not_found);

  const crypto::ed25519_public_key log_key = log.identity.key.keys.public_key;
  auto head_of = [&](const rapidjson::Document& doc) {
    REQUIRE(doc.HasMember("checkpoint"));
    REQUIRE(doc["checkpoint"].IsObject());
    CHECK(doc["timestampToken"].IsNull());
    auto cp = evidence::checkpoint_from_json(write_json(doc["checkpoint"]));
    LOG_API_REQUIRE_OK(cp);
    return *cp;
  };
  auto check_head = [&](const evidence::checkpoint& cp) {
    CHECK(cp.origin == test_origin);
    CHECK(cp.key_id == test_kid);
    CHECK(cp.tree_size == log.size());
    auto root = evidence::root_at(*log.db, log.size());
    LOG_API_REQUIRE_OK(root);
    CHECK(cp.root_hash == *root);
    LOG_API_REQUIRE_OK(evidence::verify_checkpoint(cp, log_key));
    auto other = seeded_key(9);
    CHECK(evidence::verify_checkpoint(cp, other.public_key).code() == errc::bad_signature);
  };

  log.append({member_registered(at_second(0)), dataset_published(person, at_second(1)),
              consent_granted(citizen_a, at_second(2))});
  auto posted = body_of(log.ask("/v1/log/checkpoint", anyone, true));
  const auto first = head_of(posted);
  check_head(first);
  CHECK(first.timestamp == at_second(3600));
  auto got = body_of(log.ask("/v1/log/checkpoint", anyone));
  const auto latest = head_of(got);
  CHECK(evidence::checkpoint_to_json(latest) == evidence::checkpoint_to_json(first));

  // A second POST with nothing new returns the same head; after more entries, a new one.
  auto again = head_of(body_of(log.ask("/v1/log/checkpoint", anyone, true, at_second(3601))));
  CHECK(evidence::checkpoint_to_json(again) == evidence::checkpoint_to_json(first));
  log.append({rejected(at_second(4))});
  auto grown = head_of(body_of(log.ask("/v1/log/checkpoint", anyone, true, at_second(3602))));
  check_head(grown);
  CHECK(grown.tree_size == first.tree_size + 1);
  CHECK(head_of(body_of(log.ask("/v1/log/checkpoint", anyone))).tree_size == grown.tree_size);
}

TEST_CASE("log API refuses unknown paths and POST elsewhere", "[hub][log_api]") {
  exchange_log log;
  const auto auditor = caller({"auditor"});
  for (const char* path : {"/v1/log/", "/v1/log/nothing", "/v1/log/proof", "/v1/log/entries/0",
                           "/v1/citizen/", "/v1/citizen/1103702071811/consents"}) {
    INFO(path);
    auto answer = log.ask(path, auditor);
    REQUIRE_FALSE(answer);
    CHECK(answer.code() == errc::not_found);
  }
  for (const char* path : {"/v1/log/entries?start=0", "/v1/log/search", "/v1/log/proof/inclusion",
                           "/v1/log/proof/consistency"}) {
    INFO(path);
    auto answer = log.ask(path, auditor, true);
    REQUIRE_FALSE(answer);
    CHECK(answer.code() == errc::method_not_allowed);
  }
}
