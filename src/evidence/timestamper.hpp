// Gets RFC 3161 time-stamp tokens for the evidence log's signed tree heads, in the background.
//
// A round takes the checkpoints still waiting for a token, oldest first, and for each one asks
// the configured TSA for a token over timestamp_imprint(cp), verifies it against the trust
// configuration, and stores the DER TimeStampToken. Every head gets its own token: an auditor
// checks a head with its own token, without replaying the log between two stamped heads. The
// first failure (TSA unreachable, a token that does not verify, storage) ends the round and the
// thread backs off (doubling, capped); the heads stay waiting and the next round retries them.
//
// The timestamper touches checkpoints only, on its own thread and its own store connection: the
// exchange path never waits for the TSA. Whether the TSA keeps up is reported by health(), for
// /readyz, once the oldest waiting head is older than the grace period.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "core/result.hpp"
#include "core/time.hpp"
#include "net/http.hpp"
#include "store/store.hpp"
#include "tsa/timestamp.hpp"

namespace saphan::evidence {

struct timestamper_config {
  std::string tsa_url;  // "http://host:port" ("https://" needs `tls`)
  std::shared_ptr<net::tls_context> tls;
  tsa::trust_config trust;  // CA file (required), TSA certificate to pin (optional)
  std::chrono::milliseconds request_timeout{5000};
  std::chrono::milliseconds initial_backoff{1000};  // after the first failure
  std::chrono::milliseconds max_backoff{60000};     // doubling stops here
  // Between rounds when nothing wakes the thread, so heads made by another process (the admin
  // command line, another hub node) are stamped too.
  std::chrono::milliseconds poll_interval{10000};
  // How long a head may wait for its token before health() fails.
  std::chrono::milliseconds grace_period{30000};
  std::size_t batch_limit = 100;  // heads per round; a full batch starts the next round at once
};

inline constexpr std::size_t max_timestamper_batch = 10000;  // the store's page cap

// Errors: invalid_argument naming the field and the rule (URL not http(s)://host:port, https
// without `tls`, no CA file, non-positive durations, initial_backoff above max_backoff,
// batch_limit outside 1..max_timestamper_batch).
result<void> validate_timestamper_config(const timestamper_config& config);

// The wait after a failed round that followed a wait of `current` (zero: no failure before):
// initial_backoff, then doubling up to max_backoff.
std::chrono::milliseconds next_backoff(std::chrono::milliseconds current,
                                       const timestamper_config& config);

// What one round did.
struct round_report {
  std::size_t stamped = 0;       // tokens verified and stored
  std::optional<error> failure;  // what ended the round early
  bool more_waiting = false;     // a full batch was stamped: run again at once
};

// Counters for /metrics; a consistent copy taken under the lock.
struct timestamper_stats {
  std::uint64_t rounds = 0;  // completed
  std::uint64_t tokens_stored = 0;
  std::uint64_t failures = 0;  // failed attempts of any kind (each ends its round)
  // Of which: answers that were no valid token for the head (rejections, wrong imprint or
  // nonce, a signature that does not chain to the trusted CA or pinned TSA: timestamp_invalid).
  std::uint64_t answers_refused = 0;
  std::uint64_t consecutive_failures = 0;   // 0 while healthy
  std::optional<timestamp> oldest_waiting;  // created_at of the oldest head seen waiting
  std::optional<timestamp> last_success;    // `now` of the last round that stored a token
  std::string last_error;                   // "code: detail" of the last failure, kept
};

class timestamper {
 public:
  // `connection` is the timestamper's own: only its thread (or run_round) uses it.
  // Errors: those of validate_timestamper_config.
  static result<std::unique_ptr<timestamper>> create(timestamper_config config,
                                                     std::unique_ptr<store> connection);
  ~timestamper();
  timestamper(const timestamper&) = delete;
  timestamper& operator=(const timestamper&) = delete;

  // Starts the thread: a round at once, then on poke(), after poll_interval, or after the
  // backoff when the last round failed (pokes do not cut a backoff short).
  void start();
  // Prompt: wakes the thread and abandons a request in flight, then joins.
  void stop();
  // A new head was signed (e.g. checkpointer's on_new_head). Cheap; any thread.
  void poke();

  // One round now, on the caller's thread (tests call it without start()); rounds never overlap.
  // Between stop() and the next start() a round abandons its first request and stamps nothing.
  round_report run_round(timestamp now);

  // Thread-safe. Errors: timestamp_overdue when the oldest head seen waiting was created more
  // than grace_period before `now`; the detail says how long and the TSA's last error.
  result<void> health(timestamp now) const;
  timestamper_stats snapshot() const;

 private:
  timestamper(timestamper_config config, net::endpoint tsa, std::unique_ptr<store> connection);
  void run();
  round_report stamp_waiting(timestamp now);
  // True when the token was stored, false when the head already had one.
  result<bool> stamp(const checkpoint_record& record, net::http_client& client,
                     net::asio::io_context& io);
  result<std::string> request_token(const crypto::sha256_digest& digest, net::http_client& client,
                                    net::asio::io_context& io);
  void note_success(timestamp now);
  void note_failure(const error& e, std::uint64_t tree_size);
  void refresh_oldest_waiting();
  bool stop_requested() const;

  const timestamper_config config_;
  const net::endpoint tsa_;
  std::unique_ptr<store> db_;
  std::mutex round_mutex_;  // one round at a time

  mutable std::mutex mutex_;  // everything below
  std::condition_variable wake_;
  bool stopping_ = false;
  bool poked_ = false;
  net::asio::io_context* in_flight_ = nullptr;  // the round's I/O, stopped by stop()
  timestamper_stats stats_;
  errc streak_code_ = errc::internal;  // the cause last logged in the current failure streak
  std::thread thread_;
};

}  // namespace saphan::evidence
