// The connector's running state, shared by its set-up (service.cpp), its consumer side
// (consumer_side.cpp) and its provider side (provider_side.cpp). Private to the connector.
#pragma once

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "connector/consumer.hpp"
#include "connector/consumer_auth.hpp"
#include "connector/provider.hpp"
#include "connector/service.hpp"
#include "connectors/adapter.hpp"
#include "crypto/keys.hpp"
#include "crypto/pseudonym.hpp"
#include "exchange/replay_guard.hpp"
#include "net/credentials.hpp"
#include "net/http.hpp"
#include "pki/member_signature.hpp"
#include "pki/pki.hpp"
#include "pki/trust.hpp"
#include "schema/record_schema.hpp"

namespace saphan::connector {

namespace asio = net::asio;
namespace http = net::http;

inline constexpr std::size_t max_cached_schemas = 1024;
inline constexpr std::size_t max_hub_answer_bytes = 4u << 20;
// Request ids a provider side remembers at once; beyond it, it refuses (overloaded).
inline constexpr std::size_t max_remembered_forwards =
    1'000'000;  // a 1 MiB record grows ~4/3 as a JWE

struct served_dataset {
  record_schema schema;
  std::string subject_field;
  std::shared_ptr<record_adapter> adapter;
};

// A header's value, or empty when the message has none.
template <class Message>
std::string header_text(const Message& message, std::string_view name) {
  auto it = message.find(name);
  return it == message.end() ? std::string{} : std::string(it->value());
}

struct connector_service::state {
  connector_config config;
  // This member's key and its certificate; replaced on SIGHUP (rotation).
  std::shared_ptr<pki::reloadable_signer> signer;
  // The CA this connector pins and its CRL: every signer and peer is checked against it.
  std::shared_ptr<pki::trust_anchor> trust;
  std::unique_ptr<periodic> trust_watch;  // reloads `trust` when the CA or CRL file changes
  crypto::pseudonym_key pseudonym_key;
  // What the hub forwarded before: a request id is served once (the provider's own guard).
  std::unique_ptr<replay_guard> forwarded_ids;
  timestamp forwarded_since{};  // when forwarded_ids began: it knows nothing issued before
  std::map<std::string, served_dataset> datasets;

  asio::io_context io;
  asio::thread_pool workers;
  std::shared_ptr<net::tls_context> client_tls;
  std::shared_ptr<net::tls_context> server_tls;
  std::unique_ptr<net::http_client> hub_client;
  std::unique_ptr<net::http_server> consumer_server;
  std::unique_ptr<net::http_server> provider_server;
  std::unique_ptr<net::http_server> notification_server;
  std::unique_ptr<net::http_client> webhook_client;  // plain HTTP to the agency's webhook
  std::optional<std::uint16_t> consumer_port;
  std::optional<std::uint16_t> provider_port;
  std::optional<std::uint16_t> notification_port;
  std::unique_ptr<asio::signal_set> signals;

  // The consumer API's bearer token (consumer.tokenFile); none: the API is open to local calls.
  std::optional<api_token> consumer_token;

  std::mutex schema_mutex;
  std::map<std::string, std::shared_ptr<const answer_schema>> schema_cache;

  explicit state(connector_config c)
      : config(std::move(c)),
        io(config.threads),
        workers(static_cast<std::size_t>(config.threads)) {}

  // Runs blocking work on the worker pool and resumes on the I/O thread. co_spawn needs a
  // default-constructible result, hence the optional.
  template <class F>
  asio::awaitable<std::invoke_result_t<F>> on_worker(F work) {
    using value = std::invoke_result_t<F>;
    auto done = co_await asio::co_spawn(
        workers.get_executor(),
        [work = std::move(work)]() mutable -> asio::awaitable<std::optional<value>> {
          co_return std::optional<value>(work());
        },
        asio::use_awaitable);
    co_return std::move(*done);
  }

  asio::awaitable<net::http_response> handle_consumer(net::http_request& request,
                                                      const net::peer_info&);
  asio::awaitable<net::http_response> exchange(net::http_request& request,
                                               const std::string& trace);
  // The hub's own problem+json, passed on unchanged with its status, its signature and (for 503)
  // the Retry-After the agency's system should honour.
  static net::http_response relay_problem(unsigned version, bool keep,
                                          const net::http_response& answer);
  asio::awaitable<result<std::shared_ptr<const answer_schema>>> schema_for(
      const dataset_id& id, const std::string& trace);

  // POST /consents and GET /consents/<id>, passed to the hub (notification_side.cpp).
  asio::awaitable<net::http_response> relay_consent(net::http_request& request);
  // The notification listener: the hub's signed consent notifications, passed to the webhook.
  asio::awaitable<net::http_response> handle_notification(net::http_request& request,
                                                          const net::peer_info& peer);

  asio::awaitable<net::http_response> handle_provider(net::http_request& request,
                                                      const net::peer_info& peer);
  // `endpoint` names what the hub was calling, for the refusal's detail.
  result<void> check_hub_peer(const net::peer_info& peer,
                              std::string_view endpoint = "/v1/provide") const;
  // Runs on a worker thread: every check, the adapter read, encryption and signing.
  result<sealed_answer> provide(std::string_view body, std::string_view signature, timestamp now);

  result<void> load();
  result<void> load_consumer(const pki::tls_files& files);
  result<void> load_provider(const pki::tls_files& files);
};

}  // namespace saphan::connector
