#include <catch2/catch.hpp>

#include "connector/consumer.hpp"
#include "connector/provider.hpp"
#include "core/citizen_id.hpp"
#include "crypto/hash.hpp"
#include "crypto/jwe.hpp"
#include "crypto/jws.hpp"
#include "tests/support/signing_ca.hpp"

using namespace saphan;
using namespace saphan::connector;

namespace {

const std::string schema_text = R"({"type":"object",
  "properties":{"citizenId":{"type":"string","format":"thai-id"},
                "firstNameTh":{"type":"string"},
                "birthYear":{"type":"integer"}},
  "required":["citizenId","firstNameTh"],
  "additionalProperties":false})";

std::string subject() {
  return complete_thai_id("110170020345");
}

// The exchange's time: now, to the second, so that the test CA's certificates are valid at it.
timestamp t0() {
  static const timestamp at = std::chrono::floor<std::chrono::seconds>(now_utc());
  return at;
}

const member_id hub_member = *parse_member_id("TH/GOV/SAPHAN/hub");

// One CA for this file's exchanges, and the identities it certified.
test::signing_ca& test_ca() {
  static test::signing_ca ca;
  return ca;
}
const pki::member_signer& certified(const std::string& member, const std::string& kid) {
  static std::map<std::string, pki::member_signer> made;
  auto it = made.find(member);
  if (it == made.end())
    it = made.emplace(member, test_ca().signer(*parse_member_id(member), kid)).first;
  return it->second;
}

// Everything one exchange needs: keys of the three parties, the consumer's signed envelope, and
// the grant as the hub would forward it.
struct exchange_fixture {
  const pki::member_signer& consumer_signing = certified("TH/GOV/JFO/legal-aid", "jfo-sig-1");
  crypto::encryption_jwk consumer_encryption{crypto::generate_encryption_key(), "reply-1"};
  const pki::member_signer& provider_signing =
      certified("TH/GOV/DOPA/civil-registry", "dopa-sig-1");
  const pki::member_signer& hub_signing = certified("TH/GOV/SAPHAN/hub", "hub-sig-1");
  std::shared_ptr<const pki::trust_store> trust = test_ca().trust();
  std::string pseudonym_key = std::string(32, '\x07');
  record_schema schema = *record_schema::compile(schema_text);
  request_envelope envelope;
  std::string envelope_bytes;
  forwarded_request forwarded;

  explicit exchange_fixture(std::set<std::string> requested = {"citizenId", "firstNameTh"},
                            std::set<std::string> granted = {"citizenId", "firstNameTh"},
                            bool pseudonymise_subject = false) {
    consumer_call call;
    call.dataset = *parse_dataset_id("TH/GOV/DOPA/civil-registry/person@1.0");
    call.request_id = "req-0001-abcd";
    call.subject = subject();
    call.purpose = "legal-aid-eligibility";
    call.fields = std::move(requested);
    envelope = build_envelope(
        call, *parse_member_id("TH/GOV/JFO/legal-aid"), t0(),
        crypto::to_public_jwk(consumer_encryption.keys.public_key, consumer_encryption.kid));
    envelope_bytes = serialize(envelope);
    forwarded.request = envelope_bytes;
    forwarded.consumer_signature = *consumer_signing.sign(envelope_bytes);
    forwarded.grant.request_id = envelope.request_id;
    forwarded.grant.request_hash = crypto::sha256(envelope_bytes).to_hex();
    forwarded.grant.fields = std::move(granted);
    forwarded.grant.pseudonymise_subject = pseudonymise_subject;
    forwarded.grant.purpose = envelope.purpose;
    forwarded.grant.log_index = 7;
    forwarded.grant.granted_at = t0();
  }

  std::string record() const {
    return R"({"citizenId":")" + subject() + R"(","firstNameTh":"สมชาย","birthYear":1980})";
  }

  result<sealed_answer> seal(const std::string& record_text) const {
    return seal_record(record_text, forwarded, envelope, schema, "citizenId",
                       provider_keys{provider_signing, pseudonym_key});
  }

  // What the hub would answer for `sealed`.
  std::pair<std::string, std::string> hub_answer(const sealed_answer& sealed,
                                                 std::set<std::string> granted_fields) const {
    hub_response h;
    h.request_id = envelope.request_id;
    h.provider_body = sealed.body;
    h.provider_signature = sealed.signature;
    h.evidence.decision_index = 7;
    h.evidence.outcome_index = 8;
    h.evidence.request_hash = forwarded.grant.request_hash;
    h.evidence.ciphertext_hash =
        crypto::sha256(parse_provider_response(sealed.body)->ciphertext).to_hex();
    h.evidence.granted_fields = std::move(granted_fields);
    h.evidence.pseudonymised = forwarded.grant.pseudonymise_subject;
    auto body = serialize(h);
    auto signature = *hub_signing.sign(body);
    return {body, signature};
  }

  answer_schema consumer_schema() const {
    auto compiled = record_schema::compile(
        R"({"type":"object","properties":{"citizenId":{"type":"string","format":"thai-id"},
            "firstNameTh":{"type":"string"},"birthYear":{"type":"integer"}},"additionalProperties":false})");
    return answer_schema{*compiled, "citizenId"};
  }

  result<opened_answer> open(const std::pair<std::string, std::string>& answer,
                             const crypto::x25519_secret_key& secret) const {
    auto schema = consumer_schema();
    answer_trust checks{*trust, hub_member, secret, t0()};
    return open_hub_answer(envelope, envelope_bytes, answer.first, answer.second, checks, &schema);
  }
};

}  // namespace

TEST_CASE("binding members name the request", "[connector]") {
  auto m = binding_members({"rid-1", "TH/GOV/JFO/legal-aid", "TH/GOV/DOPA/civil-registry", "ds"});
  CHECK(m.at("rid") == "rid-1");
  CHECK(m.at("cns") == "TH/GOV/JFO/legal-aid");
  CHECK(m.at("prv") == "TH/GOV/DOPA/civil-registry");
  CHECK(m.at("dst") == "ds");
}

TEST_CASE("check_forwarded accepts a consistent fresh request", "[connector]") {
  exchange_fixture f;
  auto request = parse_request_envelope(f.forwarded.request);
  REQUIRE(request);
  CHECK(check_forwarded(f.forwarded, *request, t0(), std::chrono::seconds(300)));
  // Both edges of the freshness window are inside it; one microsecond beyond is not.
  CHECK(check_forwarded(f.forwarded, *request, t0() + std::chrono::seconds(300),
                        std::chrono::seconds(300)));
  CHECK(check_forwarded(f.forwarded, *request, t0() - std::chrono::seconds(300),
                        std::chrono::seconds(300)));
  auto late = t0() + std::chrono::seconds(300) + std::chrono::microseconds(1);
  CHECK(check_forwarded(f.forwarded, *request, late, std::chrono::seconds(300)).code() ==
        errc::stale_request);
  auto early = t0() - std::chrono::seconds(300) - std::chrono::microseconds(1);
  CHECK(check_forwarded(f.forwarded, *request, early, std::chrono::seconds(300)).code() ==
        errc::stale_request);
}

TEST_CASE("check_forwarded refuses a grant for another request", "[connector]") {
  exchange_fixture f;
  auto request = *parse_request_envelope(f.forwarded.request);
  auto other_id = f.forwarded;
  other_id.grant.request_id = "req-0002-abcd";
  CHECK(check_forwarded(other_id, request, t0(), std::chrono::seconds(300)).code() ==
        errc::bad_signature);
  auto other_hash = f.forwarded;
  other_hash.grant.request_hash = crypto::sha256("something else").to_hex();
  CHECK(check_forwarded(other_hash, request, t0(), std::chrono::seconds(300)).code() ==
        errc::bad_signature);
  // A grant for another purpose than the consumer's, whose policy may allow other fields.
  auto other_purpose = f.forwarded;
  other_purpose.grant.purpose = "criminal-investigation";
  CHECK(check_forwarded(other_purpose, request, t0(), std::chrono::seconds(300)).code() ==
        errc::purpose_not_allowed);
  CHECK(check_forwarded(f.forwarded, request, t0(), std::chrono::seconds(300)));
}

TEST_CASE("check_forwarded: granted fields within the requested ones", "[connector]") {
  exchange_fixture more({"firstNameTh"}, {"firstNameTh", "birthYear"});
  auto request = *parse_request_envelope(more.forwarded.request);
  CHECK(check_forwarded(more.forwarded, request, t0(), std::chrono::seconds(300)).code() ==
        errc::field_not_allowed);
  // A request that lists no fields leaves the choice to the policy.
  exchange_fixture any({}, {"firstNameTh", "birthYear"});
  auto any_request = *parse_request_envelope(any.forwarded.request);
  CHECK(check_forwarded(any.forwarded, any_request, t0(), std::chrono::seconds(300)));
}

TEST_CASE("check_forwarded_request verifies the hub, then the consumer, then the grant",
          "[connector][provider]") {
  exchange_fixture f;
  auto hub_signed = [&](const forwarded_request& fw) {
    auto body = serialize(fw);
    auto sig = f.hub_signing.sign(body);
    REQUIRE(sig);
    return std::pair{body, *sig};
  };
  auto [body, sig] = hub_signed(f.forwarded);
  auto checked =
      check_forwarded_request(body, sig, *f.trust, hub_member, t0(), std::chrono::seconds(300));
  REQUIRE(checked);
  CHECK(checked->request.request_id == f.envelope.request_id);
  CHECK(checked->forwarded.grant.fields == f.forwarded.grant.fields);

  auto code = [&](std::string_view b, std::string_view s, timestamp at = t0()) {
    auto r = check_forwarded_request(b, s, *f.trust, hub_member, at, std::chrono::seconds(300));
    REQUIRE_FALSE(r);
    return r.error().code;
  };
  CHECK(code(body, "") == errc::bad_signature);
  // A key of its own under the hub's certificate, no certificate, or another member's.
  auto other_hub = crypto::sign_detached(body, crypto::generate_signing_key().secret_key,
                                         "hub-sig-1", {}, {f.hub_signing.certificate_der});
  REQUIRE(other_hub);
  CHECK(code(body, *other_hub) == errc::bad_signature);
  auto bare = crypto::sign_detached(body, f.hub_signing.key.keys.secret_key, "hub-sig-1");
  REQUIRE(bare);
  CHECK(code(body, *bare) == errc::bad_signature);
  auto as_provider = f.provider_signing.sign(body);
  REQUIRE(as_provider);
  CHECK(code(body, *as_provider) == errc::certificate_mismatch);
  CHECK(code(body + " ", sig) == errc::bad_signature);  // the exact bytes the hub signed

  auto forged_consumer = f.forwarded;
  forged_consumer.consumer_signature =
      *crypto::sign_detached(f.envelope_bytes, crypto::generate_signing_key().secret_key,
                             "jfo-sig-1", {}, {f.consumer_signing.certificate_der});
  auto [forged_body, forged_sig] = hub_signed(forged_consumer);
  CHECK(code(forged_body, forged_sig) == errc::bad_signature);

  CHECK(code(body, sig, t0() + std::chrono::seconds(301)) == errc::stale_request);

  auto wider = f.forwarded;
  wider.grant.fields.insert("birthYear");
  auto [wider_body, wider_sig] = hub_signed(wider);
  CHECK(code(wider_body, wider_sig) == errc::field_not_allowed);
}

TEST_CASE("check_forwarded_request refuses an envelope naming the hub as its consumer",
          "[connector][provider]") {
  // The hub's certificate is real and names the hub: the signature verifies, but a hub that
  // could consume would have the record encrypted to a reply key of its own choosing.
  exchange_fixture f;
  auto hub_reply = crypto::generate_encryption_key();
  auto envelope = f.envelope;
  envelope.consumer = hub_member;
  envelope.reply_key = crypto::to_public_jwk(hub_reply.public_key, "reply-hub");
  auto forwarded = f.forwarded;
  forwarded.request = serialize(envelope);
  forwarded.consumer_signature = *f.hub_signing.sign(forwarded.request);
  forwarded.grant.request_hash = crypto::sha256(forwarded.request).to_hex();
  auto body = serialize(forwarded);
  auto signature = f.hub_signing.sign(body);
  REQUIRE(signature);
  auto checked = check_forwarded_request(body, *signature, *f.trust, hub_member, t0(),
                                         std::chrono::seconds(300));
  REQUIRE_FALSE(checked);
  CHECK(checked.error().code == errc::consumer_not_allowed);
  // Any other member may be the consumer its own certificate names.
  auto other = *parse_member_id("TH/GOV/RTP/criminal-records");
  const auto& rtp = certified("TH/GOV/RTP/criminal-records", "rtp-sig-1");
  envelope.consumer = other;
  forwarded.request = serialize(envelope);
  forwarded.consumer_signature = *rtp.sign(forwarded.request);
  forwarded.grant.request_hash = crypto::sha256(forwarded.request).to_hex();
  body = serialize(forwarded);
  signature = f.hub_signing.sign(body);
  REQUIRE(signature);
  CHECK(check_forwarded_request(body, *signature, *f.trust, hub_member, t0(),
                                std::chrono::seconds(300)));
}

TEST_CASE("check_forwarded_request refuses an envelope whose officer or case is not a reference",
          "[connector][provider]") {
  // Signed by the real consumer and forwarded by the real hub: the provider still holds userId
  // and issue to the rule (exchange/case_reference.hpp), whatever the parties before it checked.
  exchange_fixture f;
  auto forward = [&](const request_envelope& envelope) {
    auto forwarded = f.forwarded;
    forwarded.request = serialize(envelope);
    forwarded.consumer_signature = *f.consumer_signing.sign(forwarded.request);
    forwarded.grant.request_hash = crypto::sha256(forwarded.request).to_hex();
    auto body = serialize(forwarded);
    auto signature = f.hub_signing.sign(body);
    REQUIRE(signature);
    return check_forwarded_request(body, *signature, *f.trust, hub_member, t0(),
                                   std::chrono::seconds(300));
  };
  auto envelope = f.envelope;
  envelope.user_id = "officer-7";
  envelope.issue = "JFO-2026-0001";
  CHECK(forward(envelope));
  envelope.issue = "case-" + subject();
  auto holds_id = forward(envelope);
  REQUIRE_FALSE(holds_id);
  CHECK(holds_id.error().code == errc::malformed_body);
  CHECK(holds_id.error().detail.rfind("issue: holds a Thai citizen ID", 0) == 0);
  envelope.issue = "JFO-2026-0001";
  envelope.user_id = "Somchai Jaidee";
  auto free_text = forward(envelope);
  REQUIRE_FALSE(free_text);
  CHECK(free_text.error().code == errc::malformed_body);
  CHECK(free_text.error().detail.rfind("userId: must match ", 0) == 0);
}

TEST_CASE("check_issued_since: the provider's guard covers only what it could have seen",
          "[connector][provider]") {
  exchange_fixture f;
  // Issued at t0: served by a guard that began then or earlier.
  CHECK(check_issued_since(f.envelope, t0()));
  CHECK(check_issued_since(f.envelope, t0() - std::chrono::seconds(1)));
  // A guard that began after it (a restart since) cannot know whether it was served.
  auto later = check_issued_since(f.envelope, t0() + std::chrono::microseconds(1));
  REQUIRE_FALSE(later);
  CHECK(later.error().code == errc::stale_request);
  CHECK_THAT(later.error().detail, Catch::Contains("before this provider started"));
}

TEST_CASE("restrict_record keeps only granted members", "[connector]") {
  auto record = parse_json(R"({"a":1,"b":{"c":[1,2]},"d":"x"})");
  REQUIRE(record);
  auto kept = restrict_record(*record, {"b", "d", "zz"});
  REQUIRE(kept);
  CHECK(write_json(*kept) == R"({"b":{"c":[1,2]},"d":"x"})");
  auto none = restrict_record(*record, {});
  REQUIRE(none);
  CHECK(write_json(*none) == "{}");
  auto array = parse_json("[1]");
  REQUIRE(array);
  CHECK(restrict_record(*array, {"a"}).code() == errc::provider_error);
}

TEST_CASE("subject pseudonyms are keyed, per dataset and stable", "[connector]") {
  const std::string key(32, '\x01');
  auto a = subject_pseudonym(key, "TH/GOV/DOPA/civil-registry/person@1.0", "1101700203450");
  CHECK(a.rfind("psn:", 0) == 0);
  CHECK(a.size() == 4 + 64);
  CHECK(
      a ==
      "psn:" +
          crypto::hmac_sha256(key, "TH/GOV/DOPA/civil-registry/person@1.0|1101700203450").to_hex());
  CHECK(a == subject_pseudonym(key, "TH/GOV/DOPA/civil-registry/person@1.0", "1101700203450"));
  CHECK(a != subject_pseudonym(key, "TH/GOV/DOPA/civil-registry/person@2.0", "1101700203450"));
  CHECK(a != subject_pseudonym(std::string(32, '\x02'), "TH/GOV/DOPA/civil-registry/person@1.0",
                               "1101700203450"));

  auto record = parse_json(R"({"citizenId":"1101700203450","x":1})");
  REQUIRE(record);
  pseudonymise(*record, "citizenId", a);
  CHECK(std::string((*record)["citizenId"].GetString()) == a);
  pseudonymise(*record, "absent", a);
  CHECK_FALSE(record->HasMember("absent"));
}

TEST_CASE("a sealed answer opens at the consumer with only granted fields", "[connector]") {
  exchange_fixture f;
  auto sealed = f.seal(f.record());
  REQUIRE(sealed);
  auto provider_ok = crypto::verify_detached(sealed->signature, sealed->body,
                                             f.provider_signing.key.keys.public_key);
  CHECK(provider_ok);
  auto answer = f.hub_answer(*sealed, f.forwarded.grant.fields);
  auto opened = f.open(answer, f.consumer_encryption.keys.secret_key);
  REQUIRE(opened);
  auto record = parse_json(opened->record_json);
  REQUIRE(record);
  CHECK(record->HasMember("firstNameTh"));
  CHECK_FALSE(record->HasMember("birthYear"));
  CHECK(opened->evidence.decision_index == 7);
  CHECK(opened->hub_signature == answer.second);

  auto local = parse_json(format_consumer_answer(*opened));
  REQUIRE(local);
  CHECK(std::string((*local)["evidence"]["requestId"].GetString()) == "req-0001-abcd");
  CHECK(std::string((*local)["evidence"]["hubSignature"].GetString()) == answer.second);
  CHECK((*local)["evidence"]["grantedFields"].Size() == 2);
  CHECK(std::string((*local)["record"]["firstNameTh"].GetString()) == "สมชาย");
}

TEST_CASE("a pseudonymised answer hides the subject and still validates", "[connector]") {
  exchange_fixture f({"citizenId", "firstNameTh"}, {"citizenId", "firstNameTh"}, true);
  auto sealed = f.seal(f.record());
  REQUIRE(sealed);
  auto opened = f.open(f.hub_answer(*sealed, f.forwarded.grant.fields),
                       f.consumer_encryption.keys.secret_key);
  REQUIRE(opened);
  auto record = parse_json(opened->record_json);
  REQUIRE(record);
  CHECK(std::string((*record)["citizenId"].GetString()) ==
        subject_pseudonym(f.pseudonym_key, "TH/GOV/DOPA/civil-registry/person@1.0", subject()));
  CHECK(opened->evidence.pseudonymised);
}

TEST_CASE("the provider refuses records that break the rules", "[connector]") {
  exchange_fixture f;
  CHECK(f.seal("not json").code() == errc::provider_error);
  CHECK(f.seal("[]").code() == errc::provider_error);
  // Another person's record must never leave.
  auto other = R"({"citizenId":")" + complete_thai_id("310060012345") + R"(","firstNameTh":"x"})";
  CHECK(f.seal(other).code() == errc::provider_error);
  // The full schema applies at the provider: required members, types, extra members.
  CHECK(f.seal(R"({"citizenId":")" + subject() + R"("})").code() == errc::schema_violation);
  CHECK(f.seal(R"({"citizenId":")" + subject() + R"(","firstNameTh":"x","birthYear":"old"})")
            .code() == errc::schema_violation);
  CHECK(f.seal(R"({"citizenId":")" + subject() + R"(","firstNameTh":"x","extra":1})").code() ==
        errc::schema_violation);

  auto broken_reply = f;
  broken_reply.envelope.reply_key = R"({"kty":"OKP","crv":"X25519","x":"short"})";
  CHECK(broken_reply.seal(f.record()).code() == errc::bad_encryption);
}

TEST_CASE("the consumer refuses answers that do not verify", "[connector]") {
  exchange_fixture f;
  auto sealed = f.seal(f.record());
  REQUIRE(sealed);
  auto answer = f.hub_answer(*sealed, f.forwarded.grant.fields);
  const auto& secret = f.consumer_encryption.keys.secret_key;

  SECTION("hub signature missing or over other bytes") {
    CHECK(f.open({answer.first, ""}, secret).code() == errc::bad_signature);
    auto tampered = answer;
    tampered.first.replace(tampered.first.find("\"decisionIndex\":7"), 17, "\"decisionIndex\":6");
    CHECK(f.open(tampered, secret).code() == errc::bad_signature);
  }
  SECTION("provider signature over other bytes") {
    auto forged = *sealed;
    forged.signature = *crypto::sign_detached(forged.body, f.hub_signing.key.keys.secret_key, "x");
    CHECK(f.open(f.hub_answer(forged, f.forwarded.grant.fields), secret).code() ==
          errc::bad_signature);
    // The hub signing the answer as itself: a certificate, but not the dataset owner's.
    forged.signature = *f.hub_signing.sign(forged.body);
    CHECK(f.open(f.hub_answer(forged, f.forwarded.grant.fields), secret).code() ==
          errc::certificate_mismatch);
  }
  SECTION("an answer for another request") {
    auto other = f;
    other.envelope.request_id = "req-9999-abcd";
    auto again = other.hub_answer(*sealed, f.forwarded.grant.fields);
    CHECK(other.open(again, secret).code() == errc::bad_signature);
  }
  SECTION("the wrong decryption key") {
    auto wrong = crypto::generate_encryption_key();
    CHECK(f.open(answer, wrong.secret_key).code() == errc::bad_encryption);
  }
  SECTION("more fields than the hub granted") {
    auto narrow = f.hub_answer(*sealed, {"citizenId"});
    auto r = f.open(narrow, secret);
    CHECK(r.code() == errc::schema_violation);
    CHECK(r.error().detail.find("firstNameTh") != std::string::npos);
  }
}

TEST_CASE("the consumer validates the record against the schema", "[connector]") {
  // A provider connector with a looser schema than the catalog's: the consumer still catches it.
  exchange_fixture f({"citizenId", "birthYear"}, {"citizenId", "birthYear"});
  f.schema =
      *record_schema::compile(R"({"type":"object","properties":{"citizenId":{"type":"string"},
      "birthYear":{"type":"string"},"firstNameTh":{"type":"string"}}})");
  auto sealed = f.seal(R"({"citizenId":")" + subject() + R"(","birthYear":"nineteen-eighty"})");
  REQUIRE(sealed);
  auto r = f.open(f.hub_answer(*sealed, f.forwarded.grant.fields),
                  f.consumer_encryption.keys.secret_key);
  CHECK(r.code() == errc::schema_violation);
}
