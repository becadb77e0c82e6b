// The hub's admission as a pure function: every outcome pinned by its inputs and the time, with
// no store, network or guard behind it.
#include <catch2/catch.hpp>

#include "catalog/dataset.hpp"
#include "consent/consent.hpp"
#include "core/files.hpp"
#include "crypto/jws.hpp"
#include "crypto/keys.hpp"
#include "hub/admission.hpp"
#include "tests/support/signing_ca.hpp"

using namespace saphan;

namespace {

// Now, to the second: the test CA's certificates are valid from a few minutes ago.
const timestamp now = std::chrono::floor<std::chrono::seconds>(now_utc());
constexpr std::chrono::seconds freshness{300};

dataset_entry dopa_person() {
  auto file = read_file(std::string(SAPHAN_SOURCE_DIR) + "/config/datasets/dopa-person.json");
  REQUIRE(file);
  auto doc = parse_json(*file);
  REQUIRE(doc);
  auto entry = dataset_from_json(*doc, std::string(SAPHAN_SOURCE_DIR) + "/schemas");
  REQUIRE(entry);
  return *entry;
}

// A consumer with one registered signing key, a published dataset with its schema, and an
// active consent: everything an allowed request needs, loaded.
struct world {
  test::signing_ca ca;
  crypto::signing_key_pair keys = crypto::generate_signing_key();
  member_record consumer{*parse_member_id("TH/GOV/JFO/legal-aid"),
                         "Justice Fund Office",
                         {"justice"},
                         classification::secret};
  std::vector<member_key> consumer_keys{{consumer.id, "jfo-sig-1", key_use::signing,
                                         crypto::to_base64url(keys.public_key), timestamp{},
                                         timestamp{}, false}};
  dataset_entry dataset = dopa_person();
  hub::request_schema schema = *hub::compile_request_schema(dataset);
  consent_artefact consent = active_consent();
  pki::member_signer signer = ca.signer_for(consumer.id, keys, "jfo-sig-1");
  std::shared_ptr<const pki::trust_store> trust = ca.trust();

  consent_artefact active_consent() const {
    consent_terms terms{"1101700230708",
                        consumer.id,
                        {dataset.id},
                        "legal-aid-eligibility",
                        {"firstNameTh"},
                        now - std::chrono::hours(1),
                        now + std::chrono::hours(24),
                        5,
                        "test"};
    auto requested =
        request_consent(consent_id{"cns-1"}, terms, now - std::chrono::hours(1), "jfo");
    REQUIRE(requested);
    auto granted = grant(*requested, now - std::chrono::hours(1), "subject");
    REQUIRE(granted);
    return *granted;
  }

  hub::admission_inputs inputs() const {
    hub::admission_inputs in;
    in.trust = trust.get();
    in.peer = consumer.id;
    in.consumer = &consumer;
    in.consumer_keys = &consumer_keys;
    in.dataset = &dataset;
    in.schema = &schema;
    in.consent = &consent;
    return in;
  }

  request_envelope envelope() const {
    request_envelope r;
    r.request_id = "request-0001";
    r.issued_at = now;
    r.consumer = consumer.id;
    r.dataset = dataset.id;
    r.purpose = "legal-aid-eligibility";
    r.basis = lawful_basis::consent;
    r.consent_id = "cns-1";
    r.subject = "1101700230708";
    r.fields = {"firstNameTh"};
    r.reply_key = crypto::to_public_jwk(crypto::generate_encryption_key().public_key, "enc-1");
    return r;
  }

  // Signs the envelope as the consumer and admits it.
  hub::admission admit(const request_envelope& r, const hub::admission_inputs& in,
                       timestamp at = now) const {
    const auto body = serialize(r);
    auto signature = signer.sign(body);
    REQUIRE(signature);
    return hub::admit_request(r, body, *signature, in, at, freshness);
  }
};

errc refusal_of(const hub::admission& a) {
  REQUIRE(a.refusal);
  return a.refusal->code;
}

errc denial_of(const hub::admission& a) {
  REQUIRE_FALSE(a.refusal);
  REQUIRE_FALSE(a.decision.allowed);
  return a.decision.reason;
}

}  // namespace

TEST_CASE("admission allows a signed, fresh, consented request and names the key that verified it",
          "[hub][admission]") {
  world w;
  auto a = w.admit(w.envelope(), w.inputs());
  REQUIRE_FALSE(a.refusal);
  CHECK(a.decision.allowed);
  CHECK(a.decision.granted_fields == std::set<std::string>{"firstNameTh"});
  CHECK(a.consumer_key.member == w.consumer.id);
  CHECK(a.consumer_key.public_key == std::string(w.keys.public_key.view()));
}

TEST_CASE("admission refuses, before any decision, who may not ask or did not sign",
          "[hub][admission]") {
  world w;
  const auto r = w.envelope();

  auto anonymous = w.inputs();
  anonymous.peer.reset();
  anonymous.peer_error = "no client certificate";
  CHECK(refusal_of(w.admit(r, anonymous)) == errc::unauthenticated);

  auto other = w.inputs();
  other.peer = *parse_member_id("TH/GOV/RTP/criminal-records");
  CHECK(refusal_of(w.admit(r, other)) == errc::certificate_mismatch);

  auto unregistered = w.inputs();
  unregistered.consumer = nullptr;
  CHECK(refusal_of(w.admit(r, unregistered)) == errc::unknown_member);

  auto revoked_keys = w.consumer_keys;
  revoked_keys[0].revoked = true;
  auto revoked = w.inputs();
  revoked.consumer_keys = &revoked_keys;
  CHECK(refusal_of(w.admit(r, revoked)) == errc::bad_signature);

  auto expired_keys = w.consumer_keys;
  expired_keys[0].not_after = now;
  auto expired = w.inputs();
  expired.consumer_keys = &expired_keys;
  CHECK(refusal_of(w.admit(r, expired)) == errc::bad_signature);

  const auto body = serialize(r);
  auto forged = crypto::sign_detached(body, crypto::generate_signing_key().secret_key, "jfo-sig-1",
                                      {}, {w.signer.certificate_der});
  REQUIRE(forged);
  auto a = hub::admit_request(r, body, *forged, w.inputs(), now, freshness);
  CHECK(refusal_of(a) == errc::bad_signature);
  auto signed_other = w.signer.sign(serialize(r) + " ");
  REQUIRE(signed_other);
  CHECK(refusal_of(hub::admit_request(r, body, *signed_other, w.inputs(), now, freshness)) ==
        errc::bad_signature);
}

TEST_CASE("admission takes the key from a certificate of the CA it pins, and it must be registered",
          "[hub][admission]") {
  world w;
  const auto r = w.envelope();
  const auto body = serialize(r);
  // The registered key, with a certificate of another CA, or none at all.
  test::signing_ca other;
  auto foreign = other.signer_for(w.consumer.id, w.keys, "jfo-sig-1");
  CHECK(refusal_of(hub::admit_request(r, body, *foreign.sign(body), w.inputs(), now, freshness)) ==
        errc::bad_signature);
  auto bare = crypto::sign_detached(body, w.keys.secret_key, "jfo-sig-1");
  REQUIRE(bare);
  CHECK(refusal_of(hub::admit_request(r, body, *bare, w.inputs(), now, freshness)) ==
        errc::bad_signature);
  // A certificate of the right CA for another member.
  auto police = w.ca.signer(*parse_member_id("TH/GOV/RTP/criminal-records"), "jfo-sig-1");
  CHECK(refusal_of(hub::admit_request(r, body, *police.sign(body), w.inputs(), now, freshness)) ==
        errc::certificate_mismatch);
  // A certified key of the consumer that the directory does not list.
  auto unregistered = w.ca.signer(w.consumer.id, "jfo-sig-1");
  CHECK(refusal_of(hub::admit_request(r, body, *unregistered.sign(body), w.inputs(), now,
                                      freshness)) == errc::bad_signature);
}

TEST_CASE("admission refuses a request outside the freshness window, on both sides of its edge",
          "[hub][admission]") {
  world w;
  const auto r = w.envelope();
  CHECK_FALSE(w.admit(r, w.inputs(), now + freshness).refusal);
  CHECK_FALSE(w.admit(r, w.inputs(), now - freshness).refusal);
  CHECK(refusal_of(w.admit(r, w.inputs(), now + freshness + std::chrono::seconds(1))) ==
        errc::stale_request);
  CHECK(refusal_of(w.admit(r, w.inputs(), now - freshness - std::chrono::seconds(1))) ==
        errc::stale_request);
}

TEST_CASE("admission refuses a request id the replay guard holds, but only once signed and fresh",
          "[hub][admission]") {
  world w;
  auto replayed = w.inputs();
  replayed.replayed = true;
  CHECK(refusal_of(w.admit(w.envelope(), replayed)) == errc::replay);
  // A stale copy is stale first: a request that cannot pass freshness never spends an id.
  CHECK(refusal_of(w.admit(w.envelope(), replayed, now + std::chrono::hours(1))) ==
        errc::stale_request);
}

TEST_CASE("admission decides against the schema, the catalog, the policy and the consent",
          "[hub][admission]") {
  world w;
  auto unknown_field = w.envelope();
  unknown_field.fields = {"shoeSize"};
  CHECK(denial_of(w.admit(unknown_field, w.inputs())) == errc::schema_violation);

  auto bad_subject = w.envelope();
  bad_subject.subject = "1101700230709";  // wrong check digit
  CHECK(denial_of(w.admit(bad_subject, w.inputs())) == errc::schema_violation);

  auto unpublished = w.inputs();
  unpublished.dataset = nullptr;
  unpublished.schema = nullptr;
  CHECK(denial_of(w.admit(w.envelope(), unpublished)) == errc::unknown_dataset);

  auto no_schema = w.inputs();
  no_schema.schema = nullptr;
  no_schema.schema_error = make_error(errc::invalid_schema, "broken");
  CHECK(denial_of(w.admit(w.envelope(), no_schema)) == errc::invalid_schema);

  auto marketing = w.envelope();
  marketing.purpose = "marketing";
  CHECK(denial_of(w.admit(marketing, w.inputs())) != errc::internal);

  auto no_consent = w.inputs();
  no_consent.consent = nullptr;
  CHECK(denial_of(w.admit(w.envelope(), no_consent)) == errc::consent_not_found);

  auto busy = w.inputs();
  busy.recent_requests = 6000;  // the grant's limit in config/datasets/dopa-person.json
  CHECK(denial_of(w.admit(w.envelope(), busy)) == errc::rate_limited);
  busy.recent_requests = 5999;
  CHECK(w.admit(w.envelope(), busy).decision.allowed);
}

TEST_CASE("the rate window and cap of a policy are its longest window and largest limit",
          "[hub][admission]") {
  access_policy policy;
  CHECK(hub::rate_window(policy) == std::chrono::seconds(60));
  CHECK(hub::rate_cap(policy) == 1);
  policy.grants.resize(2);
  policy.grants[0].rate = {10, 30};
  policy.grants[1].rate = {4, 3600};
  CHECK(hub::rate_window(policy) == std::chrono::seconds(3600));
  CHECK(hub::rate_cap(policy) == 10);
}
