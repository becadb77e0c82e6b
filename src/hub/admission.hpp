// The hub's admission of a request, as one pure function: who is asking (the TLS member against
// the envelope's consumer), the signature, freshness, replay, the request against the dataset's
// schema, the dataset itself, the policy and the consent. It reads only what it is given and the
// time; the exchange service parses the envelope, loads what it names, decides here, and only then
// updates its guards (the replay guard records every request that got past signature and
// freshness, the rate counter every admitted one), so a test pins every outcome without a network
// or a store.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/dataset.hpp"
#include "consent/consent.hpp"
#include "crypto/keys.hpp"
#include "directory/member.hpp"
#include "exchange/envelope.hpp"
#include "pki/trust.hpp"
#include "policy/decision.hpp"
#include "schema/record_schema.hpp"

namespace saphan::hub {

// What a request is checked against, per published dataset (a version's schema never changes).
struct request_schema {
  std::set<std::string> fields;
  record_schema subject;  // the rule of the dataset's subject field
};

// Errors: invalid_schema.
result<request_schema> compile_request_schema(const dataset_entry& dataset);

// What was loaded for one envelope; null or absent where nothing was found.
struct admission_inputs {
  const pki::trust_store* trust = nullptr;  // the CA the hub pins, with its CRL
  std::optional<member_id> peer;            // the member the TLS client certificate names
  std::string peer_error;                   // why there is none
  // What the hub's check of the TLS peer refused (exchange_service::check_peer), if anything.
  std::optional<error> peer_refusal;
  const member_record* consumer = nullptr;                 // the envelope's consumer, if registered
  const std::vector<member_key>* consumer_keys = nullptr;  // its registered keys
  const dataset_entry* dataset = nullptr;                  // the dataset asked for, if published
  const request_schema* schema = nullptr;                  // of `dataset`
  std::optional<error> schema_error;          // why `schema` is null although `dataset` is not
  const consent_artefact* consent = nullptr;  // the consent the envelope names
  bool replayed = false;                      // the replay guard already holds this request id
  // The consumer's requests for this dataset within the longest rate window of its policy.
  std::uint32_t recent_requests = 0;
};

struct admission {
  // Set when the request is refused before any decision of the policy (the certificate, the
  // member, the signature, freshness, replay): its evidence is a rejection entry.
  std::optional<error> refusal;
  // Otherwise the decision, allowed or not (schema, unknown dataset and policy refusals are
  // decisions): its evidence is a decision entry.
  access_decision decision;
  pki::certified_key consumer_key;  // the certified key that verified the signature
};

// `body` is the envelope's exact bytes, `signature` the consumer's detached JWS over them. The
// key that verifies it comes from the JWS's x5c certificate, checked by inputs.trust as of the
// envelope's issuedAt, and must also be a signing key registered (and valid now) for the consumer
// in the directory, under the JWS kid.
admission admit_request(const request_envelope& request, std::string_view body,
                        std::string_view signature, const admission_inputs& inputs, timestamp now,
                        std::chrono::seconds freshness);

// Not revoked in the directory, and `now` within its validity (an empty bound is open).
bool key_valid_at(const member_key& key, timestamp now);

// The member's signing key named `kid`, valid at `now` (not revoked, inside its validity).
// Errors: bad_signature (no such key), internal (a stored key that does not parse).
result<crypto::ed25519_public_jwk> find_signing_key(const std::vector<member_key>& keys,
                                                    const member_id& member, std::string_view kid,
                                                    timestamp now);

// A member's signature, as the hub accepts it: the x5c certificate checked by `trust` as of
// `signed_at`, and its key registered for the member under the JWS kid and valid `now`.
// Errors: bad_signature, certificate_mismatch, certificate_revoked.
result<pki::certified_key> verify_registered_signature(std::string_view jws,
                                                       std::string_view payload,
                                                       const member_id& member,
                                                       const std::vector<member_key>& keys,
                                                       const pki::trust_store& trust,
                                                       timestamp signed_at, timestamp now);

// The longest rate window among the policy's grants: the counter keeps one history per consumer
// and dataset, and the decision compares it with the matched grant's limit.
std::chrono::seconds rate_window(const access_policy& policy);
// How many requests of that history the counter must keep: the largest limit of any grant.
std::size_t rate_cap(const access_policy& policy);

}  // namespace saphan::hub
