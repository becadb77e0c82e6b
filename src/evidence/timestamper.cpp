#include "evidence/timestamper.hpp"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <utility>

#include "core/log.hpp"
#include "evidence/checkpoint.hpp"
#include "evidence/log.hpp"
#include "tsa/http.hpp"

namespace saphan::evidence {

namespace asio = net::asio;
using std::chrono::milliseconds;

namespace {

// The error a request ends with when stop() abandoned it: not a TSA failure, never counted.
constexpr std::string_view stopped_detail = "timestamper stopping";

// How net::http_client names the TSA at the start of its error details.
std::string endpoint_key(const net::endpoint& e) {
  return (e.tls ? "https://" : "http://") + e.host + ":" + std::to_string(e.port);
}

// "code: detail", without the endpoint prefix the client puts in network errors (the health
// detail names the TSA once already).
std::string describe(const error& e, const std::string& key) {
  std::string_view detail = e.detail;
  const std::string prefix = key + ": ";
  if (detail.substr(0, prefix.size()) == prefix)
    detail.remove_prefix(prefix.size());
  return std::string(to_string(e.code)) + ": " + std::string(detail);
}

// By value: the frame may outlive the caller's locals when stop() abandons it (it is then
// destroyed with the io_context, never resumed).
asio::awaitable<void> request_into(net::http_client& client, net::endpoint tsa,
                                   crypto::sha256_digest digest, milliseconds timeout,
                                   std::shared_ptr<std::optional<result<std::string>>> out) {
  auto reply = co_await tsa::request_timestamp(client, tsa, digest, timeout);
  out->emplace(std::move(reply));
}

bool positive(milliseconds d) {
  return d > milliseconds::zero();
}

}  // namespace

result<void> validate_timestamper_config(const timestamper_config& config) {
  auto invalid = [](std::string detail) { return make_error(errc::invalid_argument, detail); };
  auto tsa = net::parse_endpoint(config.tsa_url);
  if (!tsa)
    return invalid("tsa_url: " + tsa.error().detail);
  if (tsa->tls && !config.tls)
    return invalid("tsa_url: https needs a TLS client context");
  if (config.trust.ca_certificate_path.empty())
    return invalid("trust.ca_certificate_path: required (tokens are verified before storing)");
  if (!positive(config.request_timeout))
    return invalid("request_timeout: must be positive");
  if (!positive(config.initial_backoff))
    return invalid("initial_backoff: must be positive");
  if (config.max_backoff < config.initial_backoff)
    return invalid("max_backoff: must be at least initial_backoff");
  if (!positive(config.poll_interval))
    return invalid("poll_interval: must be positive");
  if (!positive(config.grace_period))
    return invalid("grace_period: must be positive");
  if (config.batch_limit == 0 || config.batch_limit > max_timestamper_batch)
    return invalid("batch_limit: must be 1.." + std::to_string(max_timestamper_batch));
  return ok();
}

milliseconds next_backoff(milliseconds current, const timestamper_config& config) {
  if (current < config.initial_backoff)
    return config.initial_backoff;
  // Halving the cap first keeps the doubling from overflowing.
  if (current > config.max_backoff / 2)
    return config.max_backoff;
  return current * 2;
}

result<std::unique_ptr<timestamper>> timestamper::create(timestamper_config config,
                                                         std::unique_ptr<store> connection) {
  SAPHAN_TRY_VOID(validate_timestamper_config(config));
  if (!connection)
    return make_error(errc::invalid_argument, "connection: a store is required");
  auto tsa = net::parse_endpoint(config.tsa_url);
  return std::unique_ptr<timestamper>(
      new timestamper(std::move(config), std::move(*tsa), std::move(connection)));
}

timestamper::timestamper(timestamper_config config, net::endpoint tsa,
                         std::unique_ptr<store> connection)
    : config_(std::move(config)), tsa_(std::move(tsa)), db_(std::move(connection)) {}

timestamper::~timestamper() {
  stop();
}

void timestamper::start() {
  if (thread_.joinable())
    return;
  {
    std::lock_guard lock(mutex_);
    stopping_ = false;
  }
  thread_ = std::thread([this] { run(); });
}

void timestamper::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    // io_context::stop is thread-safe: the request in flight is abandoned, not waited for.
    if (in_flight_)
      in_flight_->stop();
  }
  wake_.notify_all();
  if (thread_.joinable())
    thread_.join();
}

void timestamper::poke() {
  {
    std::lock_guard lock(mutex_);
    poked_ = true;
  }
  wake_.notify_all();
}

bool timestamper::stop_requested() const {
  std::lock_guard lock(mutex_);
  return stopping_;
}

void timestamper::run() {
  milliseconds backoff{0};  // zero while the last round succeeded
  milliseconds delay{0};    // the first round runs at once
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    // During a backoff only stop() wakes the thread: a burst of new heads must not hammer a
    // TSA that is down.
    const bool backing_off = backoff > milliseconds::zero();
    wake_.wait_for(lock, delay, [&] { return stopping_ || (poked_ && !backing_off); });
    if (stopping_)
      break;
    poked_ = false;
    lock.unlock();
    auto report = run_round(now_utc());
    lock.lock();
    if (report.failure) {
      backoff = next_backoff(backoff, config_);
      delay = backoff;
    } else {
      backoff = milliseconds::zero();
      delay = report.more_waiting ? milliseconds::zero() : config_.poll_interval;
    }
  }
}

round_report timestamper::run_round(timestamp now) {
  std::lock_guard round(round_mutex_);
  auto report = stamp_waiting(now);
  std::lock_guard lock(mutex_);
  ++stats_.rounds;
  return report;
}

round_report timestamper::stamp_waiting(timestamp now) {
  round_report report;
  auto waiting = db_->untimestamped_checkpoints(config_.batch_limit);
  if (!waiting) {
    note_failure(waiting.error(), 0);
    report.failure = waiting.error();
    return report;
  }
  // One client per round: the heads of a backlog share a kept-alive connection. Declared after
  // the io_context so it goes first; an abandoned request's frame dies with the io_context.
  asio::io_context io;
  net::http_client client(io.get_executor(), config_.tls, tsa::reply_client_limits());
  for (const auto& record : *waiting) {
    auto stamped = stamp(record, client, io);
    if (stamped) {
      if (*stamped) {
        ++report.stamped;
        note_success(now);
      }
      continue;
    }
    report.failure = stamped.error();
    if (stop_requested())
      return report;
    note_failure(stamped.error(), record.tree_size);
    break;
  }
  report.more_waiting = !report.failure && waiting->size() == config_.batch_limit;
  refresh_oldest_waiting();
  return report;
}

result<bool> timestamper::stamp(const checkpoint_record& record, net::http_client& client,
                                asio::io_context& io) {
  auto head = checkpoint_from_json(record.checkpoint_json);
  if (!head) {
    return make_error(errc::internal, "stored checkpoint of size " +
                                          std::to_string(record.tree_size) +
                                          " does not parse: " + head.error().detail);
  }
  const auto imprint = timestamp_imprint(*head);
  auto reply = SAPHAN_TRY(request_token(imprint, client, io));
  auto token = SAPHAN_TRY(tsa::extract_token(reply));
  // What is stored is exactly what was verified: the bare token, over this head's imprint,
  // signed under the configured trust.
  auto verified = tsa::verify_token(token, imprint, config_.trust);
  if (!verified) {
    return make_error(verified.code(), "token for tree size " + std::to_string(record.tree_size) +
                                           " refused: " + verified.error().detail);
  }
  auto stored = db_->set_checkpoint_timestamp(record.tree_size, token);
  if (stored)
    return true;
  // Another process (another hub node, a retry that did commit) stamped this head meanwhile:
  // its token is as good as ours.
  if (stored.code() == errc::conflict || stored.code() == errc::not_found)
    return false;
  return std::move(stored).error();
}

result<std::string> timestamper::request_token(const crypto::sha256_digest& digest,
                                               net::http_client& client, asio::io_context& io) {
  auto out = std::make_shared<std::optional<result<std::string>>>();
  {
    std::lock_guard lock(mutex_);
    if (stopping_)
      return make_error(errc::internal, std::string(stopped_detail));
    in_flight_ = &io;
  }
  asio::co_spawn(io, request_into(client, tsa_, digest, config_.request_timeout, out),
                 asio::detached);
  // The client's deadline bounds the request; the margin only guards against a stuck loop.
  io.run_for(config_.request_timeout + milliseconds(1000));
  {
    std::lock_guard lock(mutex_);
    in_flight_ = nullptr;
  }
  io.restart();
  if (!*out) {
    // Abandoned (stop) or stuck: the round ends here, so the io_context is not run again with
    // the old request still in it.
    if (stop_requested())
      return make_error(errc::internal, std::string(stopped_detail));
    return make_error(errc::provider_timeout,
                      endpoint_key(tsa_) + ": no answer within the request timeout");
  }
  return std::move(**out);
}

void timestamper::note_success(timestamp now) {
  std::uint64_t failures = 0;
  {
    std::lock_guard lock(mutex_);
    ++stats_.tokens_stored;
    stats_.last_success = now;
    failures = std::exchange(stats_.consecutive_failures, 0);
  }
  if (failures > 0) {
    log_event(log_level::info, "tsa.timestamp_recovered",
              {{"tsa", endpoint_key(tsa_)}, {"failedAttempts", std::to_string(failures)}});
  }
}

void timestamper::note_failure(const error& e, std::uint64_t tree_size) {
  const auto key = endpoint_key(tsa_);
  auto text = describe(e, key);
  bool first = false;
  {
    std::lock_guard lock(mutex_);
    ++stats_.failures;
    if (e.code == errc::timestamp_invalid)
      ++stats_.answers_refused;
    // A change of cause within a streak is news too (unreachable, then refusing tokens).
    first = stats_.consecutive_failures++ == 0 || streak_code_ != e.code;
    streak_code_ = e.code;
    stats_.last_error = text;
  }
  if (!first)
    return;
  log_event(log_level::warn, "tsa.timestamp_failed",
            {{"tsa", key},
             {"code", to_string(e.code)},
             {"detail", e.detail},
             {"treeSize", tree_size ? std::to_string(tree_size) : std::string()}});
}

void timestamper::refresh_oldest_waiting() {
  auto oldest = db_->untimestamped_checkpoints(1);
  // Unreadable: keep what was known; the next round tries again.
  if (!oldest)
    return;
  std::lock_guard lock(mutex_);
  if (oldest->empty()) {
    stats_.oldest_waiting.reset();
  } else {
    stats_.oldest_waiting = oldest->front().created_at;
  }
}

result<void> timestamper::health(timestamp now) const {
  std::lock_guard lock(mutex_);
  if (!stats_.oldest_waiting)
    return ok();
  const auto age = now - *stats_.oldest_waiting;
  if (age <= config_.grace_period)
    return ok();
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(age).count();
  std::string cause =
      stats_.consecutive_failures > 0 ? "last error: " + stats_.last_error : "no failure recorded";
  return make_error(errc::timestamp_overdue, "tree heads not timestamped for " +
                                                 std::to_string(seconds) + " s (TSA " +
                                                 endpoint_key(tsa_) + "; " + cause + ")");
}

timestamper_stats timestamper::snapshot() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

}  // namespace saphan::evidence
