// `saphan hub`: the HTTPS front of the exchange. Routes requests, runs the checks of
// exchange_service on a worker pool, relays to providers through a pooled client.
//
//   POST /v1/exchange          a consumer connector's signed request (mutual TLS)
//   GET  /v1/catalog           published datasets (id, title, classification)
//   GET  /v1/catalog/<id>      one dataset: schema, metadata, policy
//   GET  /v1/log/..., /v1/citizen/<id>/accesses   the evidence log (see log_api.hpp)
//   /v1/consents, /v1/citizen/<id>/consents..., /v1/citizen/<id>/export   consents
//   (consent_api.hpp) GET  /healthz /readyz /metrics
#pragma once

#include <array>
#include <atomic>
#include <memory>
#include <type_traits>

#include "evidence/log.hpp"
#include "evidence/timestamper.hpp"
#include "hub/admission_budget.hpp"
#include "hub/config.hpp"
#include "hub/consent_ledger.hpp"
#include "hub/exchange.hpp"
#include "hub/log_api.hpp"
#include "hub/log_readers.hpp"
#include "net/credentials.hpp"
#include "net/http.hpp"

namespace saphan::hub {

class hub_server {
 public:
  // `trust` is the CA the hub pins and its CRL, reloaded by whoever owns it (pki::watch_trust).
  // `log_stores` are the log API's read-only connections (log_readers.hpp): at least one.
  hub_server(const hub_config& config, store& db, evidence::log_writer& log, hub_identity identity,
             evidence::log_identity log_identity, std::shared_ptr<pki::trust_anchor> trust,
             std::vector<std::unique_ptr<store>> log_stores);
  ~hub_server();

  // Binds the listener and starts the I/O and worker threads. Returns the bound port.
  result<std::uint16_t> start();
  // Blocks until SIGINT/SIGTERM, then stops cleanly. Each SIGHUP meanwhile reloads the hub's
  // credentials (reload_credentials).
  void wait_for_signal();
  // Puts in use the CA and CRL, the TLS certificate and key and the signing key and certificate
  // as their files now hold them (rotation): connections in flight keep what they started with.
  // Errors: the first part that did not load (that part stays as it was).
  result<void> reload_credentials();
  void stop();
  // /readyz fails while tree heads wait too long for their timestamps; /metrics shows the TSA.
  void watch_timestamps(const evidence::timestamper* stamps) { stamps_ = stamps; }
  // Writes one admission.throttled entry for each caller refused over its admission budget
  // since the last call, with the count: for the hub to call once an interval.
  void report_throttled();
  // Serves the consent API (consent_api.hpp) on `db`, a writable connection of its own that does
  // not audit, with a thread of its own; `changed` is called after each change (a notification
  // may be waiting). Before start(); without it the consent API is not_found.
  void serve_consents(std::unique_ptr<store> db, ledger_context ledger,
                      std::function<void()> changed);
  // Closes pooled provider connections idle too long (net::http_client::close_stale), on an I/O
  // thread: for the hub's housekeeping to call now and then. Safe from any thread.
  void close_stale_connections();

 private:
  using awaitable_response = net::asio::awaitable<net::http_response>;
  using handler = awaitable_response (hub_server::*)(net::http_request&, const net::peer_info&);
  // Who may call an endpoint: anyone (health, for load balancers), or a member that check_peer
  // accepts, checked here before the handler runs or, for the exchange, by its admission (so the
  // refusal's evidence names the request), or, for the log API, by its handler on a log reader's
  // connection (so that no log request waits for the exchange path's).
  enum class access { anyone, member, exchange, log };
  struct route {
    static constexpr unsigned get = 1, post = 2;
    std::string_view path;  // exact, or a prefix when it ends in '/'
    unsigned methods;
    access who;
    handler answer;
  };
  static const std::array<route, 10>& routes();
  static const route* find_route(std::string_view path);

  awaitable_response handle(net::http_request& request, const net::peer_info& peer);
  // The refusal of a caller check_peer did not accept, logged (access.refused) and signed.
  awaitable_response refuse_caller(net::http_request& request, const net::peer_info& peer,
                                   const error& reason);
  awaitable_response exchange(net::http_request& request, const net::peer_info& peer);
  awaitable_response healthz(net::http_request& request, const net::peer_info& peer);
  awaitable_response catalog(net::http_request& request, const net::peer_info& peer);
  awaitable_response ready(net::http_request& request, const net::peer_info& peer);
  awaitable_response metrics(net::http_request& request, const net::peer_info& peer);
  awaitable_response log_api(net::http_request& request, const net::peer_info& peer);
  // /v1/citizen/...: the accesses view to log_api, the rest to consents.
  awaitable_response citizen(net::http_request& request, const net::peer_info& peer);
  awaitable_response consents(net::http_request& request, const net::peer_info& peer);
  // The caller (check_peer on `db`) and the parsed target of an API request; a caller that
  // check_peer refuses is also put in `refused`, for refuse_caller to log.
  result<std::pair<member_record, api_target>> api_call(const net::peer_info& peer,
                                                        const std::string& target, store& db,
                                                        std::optional<error>& refused);
  // What the log API reads on `db`; a head signed on demand is stored through `heads`.
  log_api_context log_context(store& db, store* heads);
  net::http_response signed_problem(unsigned version, bool keep, const error& e);
  awaitable_response shed(net::http_request& request, const net::peer_info& peer);
  // What on_worker(work) gives back: work's value, or the value of the step work makes.
  template <class T>
  struct is_step : std::false_type {};
  template <class T>
  struct is_step<net::asio::awaitable<T>> : std::true_type {
    using type = T;
  };
  template <class F>
  using worker_result_t =
      typename std::conditional_t<is_step<std::invoke_result_t<F>>::value,
                                  is_step<std::invoke_result_t<F>>,
                                  std::type_identity<std::invoke_result_t<F>>>::type;
  template <class F>
  net::asio::awaitable<worker_result_t<F>> on_worker(F work);
  template <class Executor, class F>
  net::asio::awaitable<worker_result_t<F>> on_executor(Executor executor, F work);

  void count(errc code, bool ok);

  const hub_config& config_;
  store& db_;
  exchange_service service_;
  std::shared_ptr<pki::trust_anchor> trust_;
  evidence::log_writer& log_;
  evidence::log_identity log_identity_;
  const evidence::timestamper* stamps_ = nullptr;
  // Declared before io_: coroutine frames still queued in io_ at shutdown are destroyed with it,
  // and their scoped counts must find these alive.
  std::atomic<std::uint64_t> exchanges_ok_{0};
  std::atomic<std::size_t> exchanges_in_flight_{0};
  std::array<std::atomic<std::uint64_t>, 128> failures_{};
  net::asio::io_context io_;
  net::asio::thread_pool workers_;
  log_readers readers_;  // the log API's own connections and threads
  net::reloadable_credentials credentials_;
  checkpoint_gate checkpoints_;  // POST /v1/log/checkpoint: once a second
  admission_budget budget_;      // requests per caller, before anything is parsed
  timestamp budget_since_ = now_utc();
  std::unique_ptr<store> consent_db_;
  std::optional<ledger_context> ledger_;
  std::function<void()> consent_changed_;
  net::asio::thread_pool consent_thread_{1};  // after consent_db_: joined before it goes
  std::unique_ptr<net::http_server> server_;
  std::unique_ptr<net::http_client> client_;
  std::vector<std::thread> io_threads_;
};

}  // namespace saphan::hub
