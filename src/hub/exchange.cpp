#include "hub/exchange.hpp"

#include <algorithm>

#include "crypto/hash.hpp"
#include "crypto/jws.hpp"
#include "hub/directory.hpp"
#include "hub/durable_append.hpp"
#include "hub/evidence_entries.hpp"
#include "net/problem.hpp"

// GCC 12 at -O2 reports asio's coroutine frames here, which bring their own operator new and
// delete, as freed by a mismatched operator delete (a false positive; ASan sees no such free).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace saphan::hub {
namespace {

std::int64_t micros_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                               start)
      .count();
}

}  // namespace

result<hub_identity> load_hub_identity(const hub_directory& dir, const member_id& id) {
  auto pseudonym = SAPHAN_TRY(crypto::read_pseudonym_key_file(dir.pseudonym_key()));
  auto signer = pki::reloadable_signer::load(dir.hub_signing_key(), dir.hub_signing_certificate());
  if (!signer) {
    return make_error(
        signer.error().code,
        signer.error().detail +
            " (the CA certifies the hub's signing key: saphan ca issue --signing-key " +
            dir.hub_public_key() + ")");
  }
  return hub_identity{id, std::move(*signer), std::move(pseudonym)};
}

exchange_service::exchange_service(store& db, evidence::log_writer& log, const hub_config& config,
                                   hub_identity identity, std::shared_ptr<pki::trust_anchor> trust)
    : db_(db),
      log_(log),
      config_(config),
      identity_(std::move(identity)),
      trust_(std::move(trust)),
      replays_(config.freshness, config.replay_capacity) {}

result<std::string> exchange_service::sign(std::string_view body) const {
  return identity_.signer->current()->sign(body);
}

std::string exchange_service::pseudonym(std::string_view subject) const {
  return crypto::subject_pseudonym(identity_.pseudonym, subject);
}

result<std::size_t> exchange_service::remember_recent_requests(timestamp now) {
  // A request may be issued up to one window after its receipt and stays fresh one window after
  // its issue, so ids received within the last two windows can still come back. Each is
  // remembered as if issued one window after its receipt: kept for as long as that could be.
  auto recent = SAPHAN_TRY(db_.decided_request_ids(now - 2 * config_.freshness));
  for (const auto& decided : recent) {
    if (replays_.remember(replay_key(decided.consumer, decided.request_id),
                          decided.received_at + config_.freshness,
                          now) == replay_guard::verdict::full) {
      return make_error(errc::overloaded, "replay cache full while restoring recent request ids");
    }
  }
  return recent.size();
}

log_append exchange_service::rejection_record(const net::peer_info& peer, std::string_view body,
                                              const error& reason, timestamp now,
                                              std::string_view endpoint) const {
  return rejection_entry({now, peer.member ? to_string(*peer.member) : peer.address, "",
                          crypto::sha256(body).to_hex(), reason, std::string(endpoint)});
}

result<member_record> exchange_service::check_peer(const net::peer_info& peer, timestamp now) {
  if (!peer.member)
    return make_error(errc::unauthenticated, peer.member_error);
  const auto name = to_string(*peer.member);
  if (trust_->current()->revoked_serial(peer.certificate_serial)) {
    return make_error(errc::certificate_revoked, "the TLS certificate " + peer.certificate_serial +
                                                     " of " + name + " is revoked");
  }
  auto member = db_.find_member(*peer.member);
  if (!member)
    return make_error(errc::unknown_member, name + " is not registered");
  if (member->status == member_status::suspended)
    return make_error(errc::member_suspended, name + " is suspended");
  auto keys = SAPHAN_TRY(db_.list_keys(*peer.member));
  const bool registered = std::any_of(keys.begin(), keys.end(), [&](const member_key& k) {
    return k.use == key_use::tls && k.key_id == peer.certificate_fingerprint &&
           key_valid_at(k, now);
  });
  if (!registered) {
    return make_error(errc::unauthenticated, "the TLS certificate " +
                                                 peer.certificate_fingerprint.substr(0, 16) +
                                                 "... is not one registered for " + name);
  }
  return member;
}

exchange_service::step<error> exchange_service::reject(const net::peer_info& peer,
                                                       const std::string& request_id,
                                                       const std::string& request_hash,
                                                       const error& reason, timestamp now) {
  rejection_facts facts{now, peer.member ? to_string(*peer.member) : peer.address, request_id,
                        request_hash, reason};
  // Named, not a braced temporary in the co_await: GCC 12 mishandles those in coroutine frames.
  evidence::log_writer::item entry{rejection_entry(facts), {}, {}};
  auto logged = co_await durably_append(log_, std::move(entry));
  if (!logged)
    co_return make_error(errc::evidence_unavailable, logged.error().detail);
  co_return reason;
}

result<exchange_service::loaded_inputs> exchange_service::load_inputs(
    const request_envelope& request, const net::peer_info& peer, timestamp now) {
  loaded_inputs in;
  in.trust = trust_->current();
  in.peer = peer.member;
  in.peer_error = peer.member_error;
  if (peer.member && *peer.member == request.consumer) {
    if (auto checked = check_peer(peer, now); !checked && checked.code() != errc::unknown_member)
      in.peer_refusal = std::move(checked).error();
  }
  if (auto consumer = db_.find_member(request.consumer))
    in.consumer = std::move(*consumer);
  if (in.consumer) {
    auto keys = db_.list_keys(request.consumer);
    if (!keys)
      return std::move(keys).error();
    in.consumer_keys = std::move(*keys);
  }
  if (auto dataset = db_.find_dataset(request.dataset))
    in.dataset = std::move(*dataset);
  if (in.dataset) {
    auto schema = request_schema_of(*in.dataset);
    if (schema)
      in.schema = std::move(*schema);
    else
      in.schema_error = std::move(schema).error();
    if (request.consent_id) {
      if (auto found = db_.find_consent(consent_id{*request.consent_id}))
        in.consent = std::move(*found);
    }
    // Counted as it is read (only for the consumer's own connection, so that no member can
    // hold another's places), and given back in update_guards unless allowed.
    const auto window = rate_window(in.dataset->policy);
    if (peer.member && *peer.member == request.consumer) {
      in.recent_requests =
          rates_.reserve(rate_key(request), window, now, rate_cap(in.dataset->policy));
      in.rate_reserved = true;
    } else {
      in.recent_requests = rates_.recent(rate_key(request), window, now);
    }
  }
  in.replayed = replays_.holds(replay_key(to_string(request.consumer), request.request_id), now);
  return in;
}

admission_inputs exchange_service::loaded_inputs::view() const {
  admission_inputs v;
  v.trust = trust.get();
  v.peer = peer;
  v.peer_error = peer_error;
  v.peer_refusal = peer_refusal;
  v.consumer = consumer ? &*consumer : nullptr;
  v.consumer_keys = &consumer_keys;
  v.dataset = dataset ? &*dataset : nullptr;
  v.schema = schema.get();
  v.schema_error = schema_error;
  v.consent = consent ? &*consent : nullptr;
  v.replayed = replayed;
  v.recent_requests = recent_requests;
  return v;
}

// A request id is the consumer's own: one member spending it does not refuse another's.
std::string exchange_service::replay_key(std::string_view consumer, std::string_view request_id) {
  std::string key(consumer);
  key += '\n';  // in neither a member id nor a request id
  key += request_id;
  return key;
}

std::string exchange_service::rate_key(const request_envelope& request) {
  return to_string(request.consumer) + "|" + unversioned(request.dataset);
}

// The guards learn of the decision: the request id is spent by every request that passed its
// signature and freshness (whatever the policy then said), and the place an allowed request
// took in its rate count when its inputs were read (rate_counter::reserve, so parallel requests
// at the limit cannot all pass) is kept, while every other request gives its place back. An
// allowed request then refused for want of evidence still counts: that errs strict. Another
// request with the same id may have been remembered since the decision read the guard: then
// this one is the replay.
void exchange_service::update_guards(const request_envelope& request, const loaded_inputs& in,
                                     admission& verdict, timestamp now) {
  // A place taken in the rate count is kept only by an allowed request.
  auto give_back_place = [&] {
    if (in.rate_reserved)
      rates_.release(rate_key(request), now);
  };
  if (verdict.refusal) {
    give_back_place();
    return;
  }
  switch (replays_.remember(replay_key(to_string(request.consumer), request.request_id),
                            request.issued_at, now)) {
    case replay_guard::verdict::replayed:
      verdict.refusal =
          make_error(errc::replay, "request id " + request.request_id + " seen before");
      give_back_place();
      return;
    case replay_guard::verdict::full:
      verdict.refusal = make_error(errc::overloaded, "replay cache full");
      give_back_place();
      return;
    case replay_guard::verdict::fresh:
      break;
  }
  if (!verdict.decision.allowed)
    give_back_place();
}

exchange_service::step<result<admitted_request>> exchange_service::admit(const net::peer_info& peer,
                                                                         std::string_view body,
                                                                         std::string_view signature,
                                                                         timestamp now) {
  const auto request_hash = crypto::sha256(body).to_hex();
  auto parsed = parse_request_envelope(body, {config_.limits.max_body_bytes, 16});
  if (!parsed) {
    const error refusal = std::move(parsed).error();
    const std::string no_id;
    co_return co_await reject(peer, no_id, request_hash, refusal, now);
  }
  auto& request = *parsed;
  auto loaded = load_inputs(request, peer, now);
  if (!loaded) {
    const error refusal = std::move(loaded).error();
    co_return co_await reject(peer, request.request_id, request_hash, refusal, now);
  }
  auto verdict = admit_request(request, body, signature, loaded->view(), now, config_.freshness);
  update_guards(request, *loaded, verdict, now);
  if (verdict.refusal) {
    const error refusal = *verdict.refusal;
    co_return co_await reject(peer, request.request_id, request_hash, refusal, now);
  }

  auto admitted =
      co_await decide_and_log(request, verdict.decision, loaded->consent, request_hash, now);
  if (!admitted)
    co_return admitted;
  admitted->request = std::move(request);
  admitted->received_at = now;

  forwarded_request forward;
  forward.request = std::string(body);
  forward.consumer_signature = std::string(signature);
  forward.grant = {admitted->request.request_id,
                   request_hash,
                   admitted->decision.granted_fields,
                   admitted->decision.pseudonymise_subject,
                   admitted->decision.purpose,
                   admitted->decision_index,
                   now};
  admitted->forward_body = serialize(forward);
  auto hub_signature = identity_.signer->current()->sign(admitted->forward_body);
  if (!hub_signature)
    co_return std::move(hub_signature).error();
  admitted->forward_signature = std::move(*hub_signature);
  co_return admitted;
}

exchange_service::step<result<admitted_request>> exchange_service::decide_and_log(
    const request_envelope& request, const access_decision& decision,
    const std::optional<consent_artefact>& consent, const std::string& request_hash,
    timestamp now) {
  admitted_request admitted;
  admitted.request_hash = request_hash;
  admitted.started = std::chrono::steady_clock::now();
  admitted.decision = decision;

  decision_facts facts{now, &request, admitted.request_hash, pseudonym(request.subject),
                       &admitted.decision};
  evidence::log_writer::item item{decision_entry(facts), {}, {}};
  // A consented exchange spends one use, committed with its evidence. The writer re-reads the
  // artefact inside its transaction, so two exchanges racing for the last use cannot both win;
  // the loser is logged (and answered) as a denial with the consent's reason.
  if (admitted.decision.allowed && request.basis == lawful_basis::consent && consent) {
    item.effect = [id = consent->id, now](store& writer) -> result<void> {
      auto fresh = writer.find_consent(id);
      if (!fresh)
        return std::move(fresh).error();
      auto used = record_use(*fresh, now);
      if (!used)
        return std::move(used).error();
      return writer.update_consent(*used, fresh->status);
    };
    item.on_failure = [&](const error& failure) {
      admitted.decision.allowed = false;
      admitted.decision.reason =
          failure.code == errc::conflict ? errc::consent_mismatch : failure.code;
      admitted.decision.detail = failure.code == errc::conflict
                                     ? "consent changed while deciding; try again"
                                     : failure.detail;
      admitted.decision.granted_fields.clear();
      return decision_entry(facts);
    };
  }
  auto written = co_await durably_append(log_, std::move(item));
  if (!written)
    co_return std::move(written).error();
  admitted.decision_index = static_cast<std::int64_t>(written->index);
  if (!admitted.decision.allowed) {
    co_return make_error(admitted.decision.reason, admitted.decision.detail);
  }
  auto route = config_.providers.find(request.dataset.owner);
  if (route == config_.providers.end()) {
    admitted.request = request;
    const auto unreachable =
        make_error(errc::provider_unreachable, "no route to " + to_string(request.dataset.owner));
    co_return co_await record_failure(admitted, unreachable, now);
  }
  admitted.provider = route->second;
  co_return admitted;
}

result<std::shared_ptr<const request_schema>> exchange_service::request_schema_of(
    const dataset_entry& dataset) {
  const auto key = to_string(dataset.id);
  {
    std::lock_guard lock(schemas_mutex_);
    if (auto hit = schemas_.find(key); hit != schemas_.end())
      return hit->second;
  }
  auto compiled = compile_request_schema(dataset);
  if (!compiled)
    return std::move(compiled).error();
  auto made = std::make_shared<const request_schema>(std::move(*compiled));
  std::lock_guard lock(schemas_mutex_);
  return schemas_.try_emplace(key, std::move(made)).first->second;
}

exchange_service::step<result<std::int64_t>> exchange_service::log_outcome(
    const admitted_request& admitted, const std::optional<error>& failure,
    const std::string& ciphertext_hash, timestamp now) {
  outcome_facts facts;
  facts.at = now;
  facts.request_id = admitted.request.request_id;
  facts.consumer = to_string(admitted.request.consumer);
  facts.dataset = to_string(admitted.request.dataset);
  facts.provider = to_string(admitted.request.dataset.owner);
  facts.subject_pseudonym = pseudonym(admitted.request.subject);
  facts.decision_index = admitted.decision_index;
  facts.failure = failure;
  facts.ciphertext_hash = ciphertext_hash;
  facts.total_micros = micros_since(admitted.started);
  facts.provider_micros = admitted.provider_micros;
  evidence::log_writer::item entry{outcome_entry(facts), {}, {}};
  auto written = co_await durably_append(log_, std::move(entry));
  if (!written)
    co_return std::move(written).error();
  co_return static_cast<std::int64_t>(written->index);
}

exchange_service::step<error> exchange_service::record_failure(const admitted_request& admitted,
                                                               const error& failure,
                                                               timestamp now) {
  const std::optional<error> logged_failure = failure;
  const std::string no_ciphertext;
  auto logged = co_await log_outcome(admitted, logged_failure, no_ciphertext, now);
  if (!logged)
    co_return std::move(logged).error();
  co_return failure;
}

// The provider's answer as the hub must see it before relaying: a 200, signed by the dataset's
// owner (its certificate and its registered key), and about this very request.
result<exchange_service::checked_answer> exchange_service::check_answer(
    const admitted_request& admitted, int status, std::string_view body, std::string_view signature,
    timestamp now) {
  if (status != 200)
    return net::parse_problem(body, status);
  if (signature.empty())
    return make_error(errc::provider_error, "provider answer unsigned");
  const auto& owner = admitted.request.dataset.owner;
  auto keys = db_.list_keys(owner);
  if (!keys)
    return make_error(errc::provider_error, "provider keys: " + keys.error().detail);
  auto key =
      verify_registered_signature(signature, body, owner, *keys, *trust_->current(), now, now);
  if (!key)
    return make_error(errc::provider_error, "provider signature: " + key.error().detail);
  auto answer = parse_provider_response(body, {config_.limits.max_body_bytes, 8});
  if (!answer || answer->request_id != admitted.request.request_id ||
      answer->request_hash != admitted.request_hash) {
    return make_error(errc::provider_error, "provider answer does not match the request");
  }
  return checked_answer{std::move(*key), std::move(*answer)};
}

exchange_service::step<result<signed_answer>> exchange_service::conclude(
    const admitted_request& admitted, int status, std::string_view body, std::string_view signature,
    timestamp now) {
  auto checked = check_answer(admitted, status, body, signature, now);
  if (!checked) {
    const error failure = std::move(checked).error();
    co_return co_await record_failure(admitted, failure, now);
  }
  const auto& answer = checked->answer;

  hub_response response;
  response.request_id = admitted.request.request_id;
  response.provider_body = std::string(body);
  response.provider_signature = std::string(signature);
  response.evidence.decision_index = admitted.decision_index;
  response.evidence.request_hash = admitted.request_hash;
  response.evidence.ciphertext_hash = crypto::sha256(answer.ciphertext).to_hex();
  response.evidence.granted_fields = admitted.decision.granted_fields;
  response.evidence.pseudonymised = admitted.decision.pseudonymise_subject;

  const std::optional<error> no_failure;
  auto outcome_index =
      co_await log_outcome(admitted, no_failure, response.evidence.ciphertext_hash, now);
  if (!outcome_index)
    co_return std::move(outcome_index).error();
  response.evidence.outcome_index = *outcome_index;

  signed_answer out;
  out.body = serialize(response);
  auto hub_signature = identity_.signer->current()->sign(out.body);
  if (!hub_signature)
    co_return std::move(hub_signature).error();
  out.signature = std::move(*hub_signature);
  co_return out;
}

}  // namespace saphan::hub
