#include "hub/admission.hpp"

#include <algorithm>

#include "crypto/jws.hpp"
#include "pki/member_signature.hpp"

namespace saphan::hub {
namespace {

// Everything decided before the policy: who is asking (the TLS certificate must name the member
// the envelope claims to be), its registration, freshness, the signature (the key of its x5c
// certificate, registered under the JWS kid), then replay (only signed requests may spend a
// request id).
result<pki::certified_key> authenticate(const request_envelope& request, std::string_view body,
                                        std::string_view signature, const admission_inputs& in,
                                        timestamp now, std::chrono::seconds freshness) {
  if (!in.peer)
    return make_error(errc::unauthenticated, in.peer_error);
  if (*in.peer != request.consumer) {
    return make_error(errc::certificate_mismatch, "certificate of " + to_string(*in.peer) +
                                                      " used for " + to_string(request.consumer));
  }
  if (in.consumer == nullptr)
    return make_error(errc::unknown_member, to_string(request.consumer) + " is not registered");
  if (in.peer_refusal)
    return *in.peer_refusal;
  // Freshness before the signature: a stale request is stale whoever signed it, and its signing
  // time may lie before the certificates in use now.
  auto skew = request.issued_at > now ? request.issued_at - now : now - request.issued_at;
  if (skew > freshness) {
    return make_error(errc::stale_request, "issuedAt " + format_rfc3339(request.issued_at) +
                                               " is outside the accepted window");
  }
  if (in.trust == nullptr)
    return make_error(errc::internal, "no trust store");
  static const std::vector<member_key> no_keys;
  auto key = SAPHAN_TRY(verify_registered_signature(signature, body, request.consumer,
                                                    in.consumer_keys ? *in.consumer_keys : no_keys,
                                                    *in.trust, request.issued_at, now));
  if (in.replayed)
    return make_error(errc::replay, "request id " + request.request_id + " seen before");
  return key;
}

// The request must make sense for the dataset before the policy is asked: every field it names
// is a field of the dataset's schema, and its subject follows the rule of the subject field
// (for a citizen ID: 13 digits and the check digit).
result<void> check_against_schema(const request_envelope& request, const dataset_entry& dataset,
                                  const request_schema& schema) {
  for (const auto& field : request.fields) {
    if (schema.fields.count(field) == 0) {
      return make_error(errc::schema_violation,
                        "fields: \"" + field + "\" is not a field of " + to_string(dataset.id));
    }
  }
  rapidjson::Document subject(rapidjson::kObjectType);
  subject.AddMember(rapidjson::Value(dataset.subject_field.c_str(), subject.GetAllocator()),
                    rapidjson::Value(request.subject.c_str(), subject.GetAllocator()),
                    subject.GetAllocator());
  if (auto valid = schema.subject.validate(subject); !valid)
    return make_error(errc::schema_violation, "subject: " + valid.error().detail);
  return ok();
}

access_decision denial(const error& reason) {
  access_decision d;
  d.allowed = false;
  d.reason = reason.code;
  d.detail = reason.detail;
  return d;
}

access_decision decide_for(const request_envelope& request, const admission_inputs& in,
                           timestamp now) {
  if (in.dataset == nullptr)
    return denial(
        make_error(errc::unknown_dataset, to_string(request.dataset) + " is not published"));
  if (in.schema == nullptr) {
    return denial(in.schema_error
                      ? *in.schema_error
                      : make_error(errc::internal, "no schema for " + to_string(request.dataset)));
  }
  if (auto fits = check_against_schema(request, *in.dataset, *in.schema); !fits)
    return denial(fits.error());
  access_request ask{request.consumer,
                     in.consumer->groups,
                     in.consumer->clearance,
                     request.dataset,
                     request.purpose,
                     request.basis,
                     request.consent_id ? std::optional<consent_id>(consent_id{*request.consent_id})
                                        : std::nullopt,
                     request.legal_instrument,
                     request.subject,
                     request.fields};
  return decide(ask, *in.dataset, in.consent, now, in.recent_requests);
}

}  // namespace

result<request_schema> compile_request_schema(const dataset_entry& dataset) {
  auto whole = SAPHAN_TRY(record_schema::compile(dataset.schema));
  auto subject = SAPHAN_TRY(record_schema::of_property(dataset.schema, dataset.subject_field));
  return request_schema{whole.fields(), std::move(subject)};
}

admission admit_request(const request_envelope& request, std::string_view body,
                        std::string_view signature, const admission_inputs& inputs, timestamp now,
                        std::chrono::seconds freshness) {
  admission out;
  auto key = authenticate(request, body, signature, inputs, now, freshness);
  if (!key) {
    out.refusal = std::move(key).error();
    return out;
  }
  out.consumer_key = std::move(*key);
  out.decision = decide_for(request, inputs, now);
  return out;
}

bool key_valid_at(const member_key& key, timestamp now) {
  if (key.revoked)
    return false;
  if (key.not_before != timestamp{} && now < key.not_before)
    return false;
  if (key.not_after != timestamp{} && now >= key.not_after)
    return false;
  return true;
}

result<crypto::ed25519_public_jwk> find_signing_key(const std::vector<member_key>& keys,
                                                    const member_id& member, std::string_view kid,
                                                    timestamp now) {
  for (const auto& key : keys) {
    if (key.use != key_use::signing || key.key_id != kid || !key_valid_at(key, now))
      continue;
    auto parsed = crypto::parse_ed25519_public_key(key.public_key);
    if (!parsed)
      return make_error(errc::internal, "stored key of " + to_string(member) + " unreadable");
    return crypto::ed25519_public_jwk{*parsed, key.key_id};
  }
  return make_error(errc::bad_signature,
                    "no valid signing key '" + std::string(kid) + "' for " + to_string(member));
}

result<pki::certified_key> verify_registered_signature(std::string_view jws,
                                                       std::string_view payload,
                                                       const member_id& member,
                                                       const std::vector<member_key>& keys,
                                                       const pki::trust_store& trust,
                                                       timestamp signed_at, timestamp now) {
  auto verified = SAPHAN_TRY(pki::verify_member_signature(jws, payload, member, signed_at, trust));
  auto registered = SAPHAN_TRY(find_signing_key(keys, member, verified.kid, now));
  if (registered.key.view() != verified.signer.public_key) {
    return make_error(errc::bad_signature, "the certified key is not " + to_string(member) +
                                               "'s registered key '" + verified.kid + "'");
  }
  return std::move(verified.signer);
}

std::chrono::seconds rate_window(const access_policy& policy) {
  std::uint32_t longest = 60;
  for (const auto& g : policy.grants)
    longest = std::max(longest, g.rate.window_seconds);
  return std::chrono::seconds(longest);
}

std::size_t rate_cap(const access_policy& policy) {
  std::size_t cap = 1;
  for (const auto& g : policy.grants)
    cap = std::max<std::size_t>(cap, g.rate.requests);
  return cap;
}

}  // namespace saphan::hub
