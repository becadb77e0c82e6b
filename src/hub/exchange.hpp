// The hub's exchange checks, as coroutines that run on the worker pool (never on an I/O thread):
// admit() authenticates, decides and durably logs a request; conclude() verifies and logs the
// provider's answer. Their blocking work (store reads, signatures) holds a worker; waiting for the
// group commit does not. Every path that answers has written its evidence first; when the log
// cannot be written the answer is `evidence_unavailable` and nothing is forwarded.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "crypto/keys.hpp"
#include "crypto/pseudonym.hpp"
#include "evidence/writer.hpp"
#include "exchange/envelope.hpp"
#include "exchange/replay_guard.hpp"
#include "hub/admission.hpp"
#include "hub/config.hpp"
#include "hub/rate_counter.hpp"
#include "net/endpoint.hpp"
#include "pki/member_signature.hpp"
#include "pki/trust.hpp"
#include "policy/decision.hpp"
#include "schema/record_schema.hpp"
#include "store/store.hpp"

namespace saphan::hub {

struct hub_directory;

// The hub's own secrets, loaded from <hub dir>/keys.
struct hub_identity {
  member_id id;
  // The hub's signing key and the CA's certificate for it; replaced on SIGHUP (rotation).
  std::shared_ptr<pki::reloadable_signer> signer;
  crypto::pseudonym_key pseudonym;  // key of the subject pseudonyms in the log
};

result<hub_identity> load_hub_identity(const hub_directory& dir, const member_id& id);

// A request the hub decided to forward.
struct admitted_request {
  request_envelope request;
  std::string request_hash;
  std::int64_t decision_index = -1;
  access_decision decision;
  net::endpoint provider;
  std::string forward_body;       // forwarded_request bytes
  std::string forward_signature;  // the hub's JWS over them
  timestamp received_at{};
  std::chrono::steady_clock::time_point started{};
  std::int64_t provider_micros = 0;  // the round trip to the provider, set by whoever forwards
};

struct signed_answer {
  std::string body;
  std::string signature;
};

class exchange_service {
 public:
  template <class T>
  using step = boost::asio::awaitable<T>;

  // `db` is read from the worker threads; every evidence entry goes through `log` (group commit).
  exchange_service(store& db, evidence::log_writer& log, const hub_config& config,
                   hub_identity identity, std::shared_ptr<pki::trust_anchor> trust);

  // After a restart: remembers the request ids decided recently enough that a copy could still
  // pass the freshness check, so a replay is refused across restarts too. Returns how many.
  result<std::size_t> remember_recent_requests(timestamp now);

  // The arguments must outlive the step: the caller awaits it to its end.
  step<result<admitted_request>> admit(const net::peer_info& peer, std::string_view body,
                                       std::string_view signature, timestamp now);

  step<result<signed_answer>> conclude(const admitted_request& admitted, int status,
                                       std::string_view body, std::string_view signature,
                                       timestamp now);

  // The provider could not be reached or timed out: log it, and return the error to answer.
  step<error> record_failure(const admitted_request& admitted, const error& failure, timestamp now);

  // The evidence entry of a request refused before it was read (e.g. shed under overload); with
  // an `endpoint` other than the exchange's, an access.refused entry naming it.
  log_append rejection_record(const net::peer_info& peer, std::string_view body,
                              const error& reason, timestamp now,
                              std::string_view endpoint = {}) const;

  // Who is at the other end of a TLS connection, as the hub accepts it at every endpoint but
  // health: a registered member that is active, presenting a TLS certificate registered for it
  // in the directory (by fingerprint, valid now) that the CA's CRL does not list.
  // Errors: unauthenticated (no member certificate, or one not registered), unknown_member,
  // member_suspended, certificate_revoked, storage_failure.
  result<member_record> check_peer(const net::peer_info& peer, timestamp now);

  // The hub's detached JWS over `body` (refusals are signed like answers, so a consumer can
  // prove what the hub told it).
  result<std::string> sign(std::string_view body) const;

  // Keyed pseudonym of a subject, as the log stores it (crypto::subject_pseudonym).
  std::string pseudonym(std::string_view subject) const;

  crypto::ed25519_public_key public_key() const {
    return identity_.signer->current()->key.keys.public_key;
  }
  // The hub's signer, for a rotation to reload.
  const std::shared_ptr<pki::reloadable_signer>& signer() const { return identity_.signer; }

 private:
  // What admission reads, as loaded for one envelope (admission_inputs points into it).
  struct loaded_inputs {
    std::shared_ptr<const pki::trust_store> trust;
    std::optional<member_id> peer;
    bool rate_reserved = false;  // recent_requests counted this request (rate_counter::reserve)
    std::string peer_error;
    std::optional<error> peer_refusal;
    std::optional<member_record> consumer;
    std::vector<member_key> consumer_keys;
    std::optional<dataset_entry> dataset;
    std::shared_ptr<const request_schema> schema;
    std::optional<error> schema_error;
    std::optional<consent_artefact> consent;
    bool replayed = false;
    std::uint32_t recent_requests = 0;
    admission_inputs view() const;
  };
  // Errors: storage_failure (the consumer's keys could not be read).
  result<loaded_inputs> load_inputs(const request_envelope& request, const net::peer_info& peer,
                                    timestamp now);
  void update_guards(const request_envelope& request, const loaded_inputs& in, admission& verdict,
                     timestamp now);
  static std::string rate_key(const request_envelope& request);
  static std::string replay_key(std::string_view consumer, std::string_view request_id);
  // The steps take their arguments by reference, and callers pass named objects: GCC 12
  // destroys a temporary passed by value into a coroutine twice.
  struct checked_answer {
    pki::certified_key key;  // the provider's, that verified the answer
    provider_response answer;
  };
  result<checked_answer> check_answer(const admitted_request& admitted, int status,
                                      std::string_view body, std::string_view signature,
                                      timestamp now);
  step<result<admitted_request>> decide_and_log(const request_envelope& request,
                                                const access_decision& decision,
                                                const std::optional<consent_artefact>& consent,
                                                const std::string& request_hash, timestamp now);
  step<error> reject(const net::peer_info& peer, const std::string& request_id,
                     const std::string& request_hash, const error& reason, timestamp now);
  step<result<std::int64_t>> log_outcome(const admitted_request& admitted,
                                         const std::optional<error>& failure,
                                         const std::string& ciphertext_hash, timestamp now);
  result<std::shared_ptr<const request_schema>> request_schema_of(const dataset_entry& dataset);

  store& db_;
  evidence::log_writer& log_;
  const hub_config& config_;
  hub_identity identity_;
  std::shared_ptr<pki::trust_anchor> trust_;
  replay_guard replays_;
  rate_counter rates_;
  std::mutex schemas_mutex_;
  std::map<std::string, std::shared_ptr<const request_schema>> schemas_;
};

}  // namespace saphan::hub
