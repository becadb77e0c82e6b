#include "hub/server.hpp"

#include <boost/asio/async_result.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstdio>
#include <optional>
#include <type_traits>
#include <utility>

#include "catalog/dataset.hpp"
#include "core/log.hpp"
#include "core/scoped_count.hpp"
#include "hub/consent_api.hpp"
#include "hub/durable_append.hpp"
#include "hub/evidence_entries.hpp"
#include "hub/log_api.hpp"

namespace saphan::hub {

namespace asio = net::asio;
namespace http = net::http;

hub_server::hub_server(const hub_config& config, store& db, evidence::log_writer& log,
                       hub_identity identity, evidence::log_identity log_identity,
                       std::shared_ptr<pki::trust_anchor> trust,
                       std::vector<std::unique_ptr<store>> log_stores)
    : config_(config),
      db_(db),
      service_(db, log, config, std::move(identity), trust),
      trust_(std::move(trust)),
      log_(log),
      log_identity_(std::move(log_identity)),
      workers_(static_cast<std::size_t>(config.worker_threads)),
      readers_(std::move(log_stores)),
      budget_(config.admission_per_second) {}

hub_server::~hub_server() {
  stop();
}

// Runs work on the worker pool and resumes on the I/O thread. `work` either does blocking work
// (storage, signatures) and returns its value, or makes a coroutine step of the exchange, which is
// then run there; the step is made on the worker because GCC 12 destroys an awaitable passed
// into a coroutine by value twice. co_spawn needs a default-constructible result, hence the
// optional.
template <class F>
asio::awaitable<hub_server::worker_result_t<F>> hub_server::on_worker(F work) {
  co_return co_await on_executor(workers_.get_executor(), std::move(work));
}

template <class Executor, class F>
asio::awaitable<hub_server::worker_result_t<F>> hub_server::on_executor(Executor executor, F work) {
  using value = worker_result_t<F>;
  // `work` is copied into coroutine frames by value: kept trivially destructible (a closure of
  // references), it is safe from that double destruction too.
  static_assert(std::is_trivially_destructible_v<F>);
  auto done = co_await asio::co_spawn(
      executor,
      [work = std::move(work)]() mutable -> asio::awaitable<std::optional<value>> {
        if constexpr (is_step<std::invoke_result_t<F>>::value) {
          auto finished = co_await work();
          co_return std::optional<value>(std::move(finished));
        } else {
          co_return std::optional<value>(work());
        }
      },
      asio::use_awaitable);
  co_return std::move(*done);
}

result<std::uint16_t> hub_server::start() {
  SAPHAN_TRY_VOID(service_.remember_recent_requests(now_utc()));
  pki::tls_files files{config_.tls.certificate, config_.tls.key, config_.tls.ca};
  auto server_tls = SAPHAN_TRY(net::make_server_tls(files));
  auto client_tls = SAPHAN_TRY(net::make_client_tls(files));
  credentials_ = {trust_, {server_tls, client_tls}, service_.signer()};

  net::http_limits provider_limits = config_.limits;
  provider_limits.max_body_bytes = config_.limits.max_body_bytes * 2;  // a JWE is ~4/3 of a record
  // As many pooled connections as exchanges may be in flight: a smaller pool would close and
  // re-handshake provider connections at every burst above it.
  // A provider whose certificate the CRL lists is refused, on a new connection and on a pooled
  // one alike (the client checks again before it reuses one).
  client_ = std::make_unique<net::http_client>(
      io_.get_executor(), client_tls, provider_limits, config_.max_exchanges_in_flight,
      [trust = trust_](SSL* connection) {
        return pki::refuse_revoked_peer(connection, *trust->current());
      });
  server_ = std::make_unique<net::http_server>(
      io_, server_tls, config_.limits,
      [this](net::http_request& request, const net::peer_info& peer) {
        return handle(request, peer);
      });
  auto port = server_->listen(config_.listen_address, config_.listen_port);
  if (!port)
    return port;
  for (int i = 0; i < config_.io_threads; ++i) {
    io_threads_.emplace_back([this] { io_.run(); });
  }
  return port;
}

void hub_server::wait_for_signal() {
  asio::io_context signals_io;
  asio::signal_set signals(signals_io, SIGINT, SIGTERM, SIGHUP);
  std::function<void(const boost::system::error_code&, int)> on_signal =
      [&](const boost::system::error_code& ec, int number) {
        if (ec || number != SIGHUP)
          return;                    // run() returns: stop
        (void)reload_credentials();  // each part logs how it went
        signals.async_wait(on_signal);
      };
  signals.async_wait(on_signal);
  signals_io.run();
  stop();
}

result<void> hub_server::reload_credentials() {
  return net::reload_credentials(credentials_);
}

void hub_server::report_throttled() {
  const auto until = now_utc();
  const auto from = std::exchange(budget_since_, until);
  for (const auto& [caller, count] : budget_.report()) {
    // Not awaited: nobody waits for this entry, and a failure leaves only the report unwritten.
    log_.submit({throttle_entry({from, until, caller, count}), {}, {}},
                [](result<evidence::log_writer::appended>) {});
  }
}

void hub_server::close_stale_connections() {
  asio::post(io_, [this] {
    if (client_)
      client_->close_stale();
  });
}

void hub_server::stop() {
  if (server_)
    server_->stop();
  io_.stop();
  for (auto& t : io_threads_) {
    if (t.joinable())
      t.join();
  }
  io_threads_.clear();
  workers_.join();
  consent_thread_.join();
  readers_.stop();
}

void hub_server::serve_consents(std::unique_ptr<store> db, ledger_context ledger,
                                std::function<void()> changed) {
  consent_db_ = std::move(db);
  ledger_ = std::move(ledger);
  consent_changed_ = std::move(changed);
}

void hub_server::count(errc code, bool ok) {
  if (ok) {
    exchanges_ok_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  auto index = static_cast<std::size_t>(code);
  if (index < failures_.size())
    failures_[index].fetch_add(1, std::memory_order_relaxed);
}

// The hub's endpoints. A path matches exactly, or as a prefix when it ends in '/'; the query is
// not part of it. A known path asked with another method is 405, an unknown one 404.
const std::array<hub_server::route, 10>& hub_server::routes() {
  static const std::array<route, 10> table{{
      {exchange_path, route::post, access::exchange, &hub_server::exchange},
      {"/healthz", route::get, access::anyone, &hub_server::healthz},
      {"/readyz", route::get, access::anyone, &hub_server::ready},
      {"/metrics", route::get, access::member, &hub_server::metrics},
      {"/v1/catalog", route::get, access::member, &hub_server::catalog},
      {"/v1/catalog/", route::get, access::member, &hub_server::catalog},
      {log_path_prefix, route::get | route::post, access::log, &hub_server::log_api},
      {citizen_path_prefix, route::get | route::post, access::log, &hub_server::citizen},
      {"/v1/consents", route::post, access::log, &hub_server::consents},
      {"/v1/consents/", route::get, access::log, &hub_server::consents},
  }};
  return table;
}

const hub_server::route* hub_server::find_route(std::string_view path) {
  for (const auto& r : routes()) {
    const bool prefix = !r.path.empty() && r.path.back() == '/';
    if (prefix ? path.rfind(r.path, 0) == 0 : path == r.path)
      return &r;
  }
  return nullptr;
}

hub_server::awaitable_response hub_server::handle(net::http_request& request,
                                                  const net::peer_info& peer) {
  const auto target = std::string_view(request.target().data(), request.target().size());
  const auto* r = find_route(target.substr(0, target.find('?')));
  if (r == nullptr) {
    co_return net::make_problem(request.version(), request.keep_alive(),
                                make_error(errc::not_found, "no such endpoint"));
  }
  const unsigned method = request.method() == http::verb::get    ? route::get
                          : request.method() == http::verb::post ? route::post
                                                                 : 0u;
  if ((r->methods & method) == 0) {
    co_return net::make_problem(
        request.version(), request.keep_alive(),
        make_error(errc::method_not_allowed, (r->methods & route::post) ? "use POST" : "use GET"));
  }
  if (r->who != access::anyone &&
      !budget_.take(peer.member ? to_string(*peer.member) : peer.address,
                    std::chrono::steady_clock::now())) {
    auto refused = signed_problem(
        request.version(), request.keep_alive(),
        make_error(errc::rate_limited, "over this caller's admission budget of " +
                                           std::to_string(config_.admission_per_second) +
                                           " requests a second"));
    refused.set(http::field::retry_after, "1");
    co_return refused;
  }
  if (r->who == access::member) {
    auto caller = co_await on_worker([&] { return service_.check_peer(peer, now_utc()); });
    if (!caller)
      co_return co_await refuse_caller(request, peer, caller.error());
  }
  co_return co_await (this->*(r->answer))(request, peer);
}

hub_server::awaitable_response hub_server::refuse_caller(net::http_request& request,
                                                         const net::peer_info& peer,
                                                         const error& reason) {
  const auto target = std::string(request.target().substr(0, request.target().find('?')));
  evidence::log_writer::item entry{
      service_.rejection_record(peer, request.body(), reason, now_utc(), target), {}, {}};
  auto logged = co_await durably_append(log_, std::move(entry));
  const error answered =
      logged ? reason : make_error(errc::evidence_unavailable, logged.error().detail);
  co_return signed_problem(request.version(), request.keep_alive(), answered);
}

hub_server::awaitable_response hub_server::healthz(net::http_request& request,
                                                   const net::peer_info&) {
  co_return net::make_response(request.version(), request.keep_alive(), http::status::ok, "ok\n",
                               "text/plain");
}

hub_server::awaitable_response hub_server::log_api(net::http_request& request,
                                                   const net::peer_info& peer) {
  const auto version = request.version();
  const bool keep = request.keep_alive();
  const bool post = request.method() == http::verb::post;
  if (!post && request.method() != http::verb::get) {
    co_return net::make_problem(version, keep, make_error(errc::method_not_allowed, "use GET"));
  }
  auto target = std::string(request.target());
  std::optional<error> refused;
  // Everything on a log reader: the caller's check, the reads, and the search (bounded by its
  // scan limit). Only a head signed on demand (auditors, once a second) writes, through db_.
  auto body = co_await on_executor(readers_.executor(), [&]() -> result<std::string> {
    log_readers::lease reader(readers_);
    auto call = SAPHAN_TRY(api_call(peer, target, reader.db(), refused));
    return answer_log_api(log_context(reader.db(), &db_), post, call.second, call.first, now_utc());
  });
  if (refused)
    co_return co_await refuse_caller(request, peer, *refused);
  if (!body)
    co_return net::make_problem(version, keep, body.error());
  co_return net::make_response(version, keep, http::status::ok, std::move(*body),
                               "application/json");
}

result<std::pair<member_record, api_target>> hub_server::api_call(const net::peer_info& peer,
                                                                  const std::string& target,
                                                                  store& db,
                                                                  std::optional<error>& refused) {
  auto caller = service_.check_peer(peer, now_utc(), db);
  if (!caller) {
    refused = caller.error();
    return std::move(caller).error();
  }
  auto parsed = SAPHAN_TRY(parse_target(target));
  return std::pair{std::move(*caller), std::move(parsed)};
}

log_api_context hub_server::log_context(store& db, store* heads) {
  return log_api_context{
      db,           log_identity_, [this](std::string_view id) { return service_.pseudonym(id); },
      checkpoints_, heads,         config_.log_api.search_scan_limit};
}

hub_server::awaitable_response hub_server::citizen(net::http_request& request,
                                                   const net::peer_info& peer) {
  const auto target = std::string_view(request.target().data(), request.target().size());
  if (is_consent_api_path(target.substr(0, target.find('?'))))
    co_return co_await consents(request, peer);
  co_return co_await log_api(request, peer);
}

// Consents on their own connection and thread: a citizen's decision writes (the consent, its
// evidence entry, receipt and notification in one transaction) without waiting for, or holding
// up, the exchange path's connection or the log readers.
hub_server::awaitable_response hub_server::consents(net::http_request& request,
                                                    const net::peer_info& peer) {
  const auto version = request.version();
  const bool keep = request.keep_alive();
  if (!consent_db_ || !ledger_)
    co_return net::make_problem(version, keep, make_error(errc::not_found, "no such endpoint"));
  const bool post = request.method() == http::verb::post;
  auto target = std::string(request.target());
  std::optional<error> refused;
  auto answer =
      co_await on_executor(consent_thread_.get_executor(), [&]() -> result<consent_answer> {
        auto call = SAPHAN_TRY(api_call(peer, target, *consent_db_, refused));
        const auto log = log_context(*consent_db_, nullptr);
        consent_api_context context{*consent_db_, *ledger_, log};
        return answer_consent_api(context, post, call.second, request.body(), call.first,
                                  now_utc());
      });
  if (refused)
    co_return co_await refuse_caller(request, peer, *refused);
  if (!answer)
    co_return net::make_problem(version, keep, answer.error());
  if (post && consent_changed_)
    consent_changed_();
  co_return net::make_response(version, keep, static_cast<http::status>(answer->status),
                               std::move(answer->body), "application/json");
}

// A refusal of an exchange, signed by the hub like its answers.
net::http_response hub_server::signed_problem(unsigned version, bool keep, const error& e) {
  auto response = net::make_problem(version, keep, e);
  if (auto signature = service_.sign(response.body())) {
    response.set(std::string(signature_header), *signature);
  }
  return response;
}

// Over the limit of exchanges in flight: refuse at once with 503 and Retry-After, after the
// refusal is logged (no thread waits for that: the I/O thread goes on meanwhile).
hub_server::awaitable_response hub_server::shed(net::http_request& request,
                                                const net::peer_info& peer) {
  const auto version = request.version();
  const bool keep = request.keep_alive();
  auto refusal = make_error(errc::overloaded, "the hub is at its limit of " +
                                                  std::to_string(config_.max_exchanges_in_flight) +
                                                  " exchanges in flight; retry after 1 s");
  evidence::log_writer::item entry{
      service_.rejection_record(peer, request.body(), refusal, now_utc()), {}, {}};
  auto logged = co_await durably_append(log_, std::move(entry));
  if (!logged)
    refusal = make_error(errc::evidence_unavailable, logged.error().detail);
  count(refusal.code, false);
  auto response = signed_problem(version, keep, refusal);
  response.set(http::field::retry_after, "1");
  co_return response;
}

hub_server::awaitable_response hub_server::exchange(net::http_request& request,
                                                    const net::peer_info& peer) {
  const auto version = request.version();
  const bool keep = request.keep_alive();
  if (exchanges_in_flight_.load() >= config_.max_exchanges_in_flight) {
    co_return co_await shed(request, peer);
  }
  scoped_count in_flight(exchanges_in_flight_);
  auto signature = std::string(request[std::string(signature_header)]);
  auto admitted = co_await on_worker(
      [&] { return service_.admit(peer, request.body(), signature, now_utc()); });
  if (!admitted) {
    count(admitted.error().code, false);
    log_event(log_level::info, "exchange.refused",
              {{"peer", peer.member ? to_string(*peer.member) : peer.address},
               {"code", to_string(admitted.error().code)}});
    co_return signed_problem(version, keep, admitted.error());
  }
  const auto request_id = admitted->request.request_id;

  net::http_request forward{http::verb::post, std::string(provide_path), 11};
  forward.set(http::field::content_type, "application/json");
  forward.set(std::string(signature_header), admitted->forward_signature);
  if (auto trace = request.find("traceparent"); trace != request.end()) {
    forward.set("traceparent", trace->value());
  }
  forward.body() = std::move(admitted->forward_body);
  const auto forwarded_at = std::chrono::steady_clock::now();
  auto answer =
      co_await client_->send(admitted->provider, std::move(forward), config_.provider_timeout);
  admitted->provider_micros = std::chrono::duration_cast<std::chrono::microseconds>(
                                  std::chrono::steady_clock::now() - forwarded_at)
                                  .count();
  if (!answer) {
    auto failure = co_await on_worker(
        [&] { return service_.record_failure(*admitted, answer.error(), now_utc()); });
    count(failure.code, false);
    log_event(
        log_level::warn, "exchange.failed",
        {{"requestId", request_id}, {"code", to_string(failure.code)}, {"detail", failure.detail}});
    co_return signed_problem(version, keep, failure);
  }
  const auto provider_signature = std::string((*answer)[std::string(signature_header)]);
  auto concluded = co_await on_worker([&] {
    return service_.conclude(*admitted, answer->result_int(), answer->body(), provider_signature,
                             now_utc());
  });
  if (!concluded) {
    count(concluded.error().code, false);
    log_event(log_level::warn, "exchange.failed",
              {{"requestId", request_id}, {"code", to_string(concluded.error().code)}});
    co_return signed_problem(version, keep, concluded.error());
  }
  count(errc::internal, true);
  log_event(log_level::info, "exchange.ok", {{"requestId", request_id}});
  auto response = net::make_response(version, keep, http::status::ok, std::move(concluded->body),
                                     "application/json");
  response.set(std::string(signature_header), concluded->signature);
  co_return response;
}

hub_server::awaitable_response hub_server::catalog(net::http_request& request,
                                                   const net::peer_info&) {
  const auto version = request.version();
  const bool keep = request.keep_alive();
  auto target = std::string(request.target());
  auto body = co_await on_worker([&]() -> result<std::string> {
    if (target == "/v1/catalog") {
      auto all = db_.list_datasets();
      if (!all)
        return std::move(all).error();
      std::string out = "[";
      for (const auto& d : *all) {
        if (out.size() > 1)
          out += ",";
        out += dataset_to_json(d);
      }
      return out + "]";
    }
    auto id =
        parse_dataset_id(std::string_view(target).substr(std::string_view("/v1/catalog/").size()));
    if (!id)
      return std::move(id).error();
    auto entry = db_.find_dataset(*id);
    if (!entry)
      return std::move(entry).error();
    return dataset_to_json(*entry);
  });
  if (!body)
    co_return net::make_problem(version, keep, body.error());
  co_return net::make_response(version, keep, http::status::ok, std::move(*body),
                               "application/json");
}

hub_server::awaitable_response hub_server::ready(net::http_request& request,
                                                 const net::peer_info&) {
  const auto version = request.version();
  const bool keep = request.keep_alive();
  auto store_ok = co_await on_worker([&] { return db_.schema_version(); });
  if (!store_ok) {
    co_return net::make_problem(version, keep,
                                make_error(errc::storage_failure, store_ok.error().detail));
  }
  // A hub that cannot make evidence durable answers every exchange with evidence_unavailable: a
  // load balancer should send them to another node until a probe finds room again.
  if (auto written = log_.snapshot(); !written.writable) {
    co_return net::make_problem(
        version, keep,
        make_error(errc::evidence_unavailable,
                   "the evidence log cannot be written: " + written.last_failure));
  }
  if (stamps_) {
    if (auto stamped = stamps_->health(now_utc()); !stamped) {
      co_return net::make_problem(version, keep, stamped.error());
    }
  }
  co_return net::make_response(version, keep, http::status::ok, "ready\n", "text/plain");
}

hub_server::awaitable_response hub_server::metrics(net::http_request& request,
                                                   const net::peer_info&) {
  std::string out;
  out += "# HELP saphan_exchanges_total Exchanges answered, by outcome.\n";
  out += "# TYPE saphan_exchanges_total counter\n";
  out += "saphan_exchanges_total{outcome=\"ok\"} " + std::to_string(exchanges_ok_.load()) + "\n";
  for (std::size_t i = 0; i < failures_.size(); ++i) {
    auto n = failures_[i].load();
    if (n == 0)
      continue;
    out += "saphan_exchanges_total{outcome=\"" + std::string(to_string(static_cast<errc>(i))) +
           "\"} " + std::to_string(n) + "\n";
  }
  out += "# HELP saphan_exchanges_in_flight Exchanges being handled now (the hub sheds beyond " +
         std::to_string(config_.max_exchanges_in_flight) + ").\n";
  out += "# TYPE saphan_exchanges_in_flight gauge\n";
  out += "saphan_exchanges_in_flight " + std::to_string(exchanges_in_flight_.load()) + "\n";
  out += "# HELP saphan_open_connections Client connections open now.\n";
  out += "# TYPE saphan_open_connections gauge\n";
  out +=
      "saphan_open_connections " + std::to_string(server_ ? server_->open_connections() : 0) + "\n";
  auto written = log_.snapshot();
  out += "# HELP saphan_log_entries_total Evidence entries made durable by the group commit.\n";
  out += "# TYPE saphan_log_entries_total counter\n";
  out += "saphan_log_entries_total " + std::to_string(written.entries) + "\n";
  out += "# HELP saphan_log_batches_total Group commits (one transaction and fsync each).\n";
  out += "# TYPE saphan_log_batches_total counter\n";
  out += "saphan_log_batches_total " + std::to_string(written.batches) + "\n";
  out +=
      "# HELP saphan_log_failed_batches_total Group commits that failed whole (disk full, I/O).\n";
  out += "# TYPE saphan_log_failed_batches_total counter\n";
  out += "saphan_log_failed_batches_total " + std::to_string(written.failed_batches) + "\n";
  out +=
      "# HELP saphan_log_writable 1 while the evidence log takes writes, 0 after a failed "
      "group commit until a write succeeds again.\n";
  out += "# TYPE saphan_log_writable gauge\n";
  out += "saphan_log_writable " + std::string(written.writable ? "1" : "0") + "\n";
  if (stamps_) {
    auto t = stamps_->snapshot();
    out += "# HELP saphan_tsa_tokens_total Timestamp tokens stored for tree heads.\n";
    out += "# TYPE saphan_tsa_tokens_total counter\n";
    out += "saphan_tsa_tokens_total " + std::to_string(t.tokens_stored) + "\n";
    out += "# HELP saphan_tsa_failures_total Failed attempts to get a timestamp token.\n";
    out += "# TYPE saphan_tsa_failures_total counter\n";
    out += "saphan_tsa_failures_total " + std::to_string(t.failures) + "\n";
    // The backlog as an operator reads it: how long the oldest signed head has waited for its
    // token (0: none waits), what /readyz compares with the grace period.
    const auto waited =
        t.oldest_waiting
            ? std::chrono::duration_cast<std::chrono::seconds>(now_utc() - *t.oldest_waiting)
                  .count()
            : 0;
    out +=
        "# HELP saphan_tsa_oldest_waiting_seconds Age of the oldest tree head still waiting "
        "for a timestamp token (0: none waits).\n";
    out += "# TYPE saphan_tsa_oldest_waiting_seconds gauge\n";
    out += "saphan_tsa_oldest_waiting_seconds " + std::to_string(std::max<long long>(waited, 0)) +
           "\n";
  }
  co_return net::make_response(request.version(), request.keep_alive(), http::status::ok,
                               std::move(out), "text/plain; version=0.0.4");
}

}  // namespace saphan::hub
