// The connector's set-up: loads what the config names (keys, schemas, adapters, TLS), starts the
// listeners and runs the I/O threads. The two sides are in consumer_side.cpp and
// provider_side.cpp.
#include "connector/service.hpp"

#include <csignal>
#include <thread>
#include <vector>

#include "connector/service_state.hpp"
#include "connectors/registry.hpp"
#include "core/files.hpp"
#include "crypto/pseudonym.hpp"

namespace saphan::connector {
namespace {

error config_failure(std::string_view member, const error& e) {
  return make_error(errc::invalid_argument, "config." + std::string(member) + ": " + e.detail);
}

result<served_dataset> load_dataset(const provider_dataset_config& d, const std::string& base_dir) {
  auto where = "provider.datasets." + to_string(d.id);
  auto text = read_file(d.schema_path);
  if (!text)
    return config_failure(where + ".schema", text.error());
  auto schema = record_schema::compile(*text);
  if (!schema)
    return config_failure(where + ".schema", schema.error());
  if (schema->fields().count(d.subject_field) == 0) {
    return make_error(errc::invalid_argument,
                      "config." + where + ".subjectField: not a property of the schema");
  }
  auto adapter_doc = parse_json(d.adapter_json);
  if (!adapter_doc)
    return config_failure(where + ".adapter", adapter_doc.error());
  auto adapter = SAPHAN_TRY(make_adapter(*adapter_doc, base_dir, "config." + where + ".adapter"));
  return served_dataset{std::move(*schema), d.subject_field, std::move(adapter)};
}

}  // namespace

result<void> connector_service::state::load() {
  // The key alone first, so that an error names the member of the config that is wrong.
  if (auto key = crypto::read_signing_key_file(config.signing_key_path); !key)
    return config_failure("signingKey", key.error());
  auto loaded =
      pki::reloadable_signer::load(config.signing_key_path, config.signing_certificate_path);
  if (!loaded)
    return config_failure("signingCertificate", loaded.error());
  signer = std::move(*loaded);
  auto anchor = pki::trust_anchor::open({config.tls.ca, config.tls.crl});
  if (!anchor)
    return config_failure("tls", anchor.error());
  trust = std::move(*anchor);
  pki::tls_files files{config.tls.certificate, config.tls.key, config.tls.ca};
  if (config.consumer)
    SAPHAN_TRY_VOID(load_consumer(files));
  if (config.provider)
    SAPHAN_TRY_VOID(load_provider(files));
  return ok();
}

result<void> connector_service::state::load_consumer(const pki::tls_files& files) {
  if (!config.consumer->token_file.empty()) {
    auto token = read_api_token_file(config.consumer->token_file);
    if (!token)
      return config_failure("consumer.tokenFile", token.error());
    consumer_token.emplace(std::move(*token));
  }
  auto tls = net::make_client_tls(files);
  if (!tls)
    return config_failure("tls", tls.error());
  client_tls = *tls;
  net::http_limits limits;
  limits.max_body_bytes = max_hub_answer_bytes;
  // Only the hub's certificate, and not a revoked one, is accepted on this connection.
  config.hub->member = config.hub_member;
  hub_client = std::make_unique<net::http_client>(
      io.get_executor(), client_tls, limits, 64, [anchor = trust](SSL* connection) {
        return pki::refuse_revoked_peer(connection, *anchor->current());
      });
  if (config.consumer->notifications) {
    // The listener requires a client certificate (the hub's, checked per request).
    auto server = net::make_server_tls(files);
    if (!server)
      return config_failure("tls", server.error());
    server_tls = *server;
    net::http_limits webhook_limits;
    webhook_limits.max_body_bytes = 64 * 1024;  // an acknowledgement is small
    webhook_client =
        std::make_unique<net::http_client>(io.get_executor(), client_tls, webhook_limits, 4);
  }
  return ok();
}

result<void> connector_service::state::load_provider(const pki::tls_files& files) {
  auto key = crypto::read_pseudonym_key_file(config.provider->pseudonym_key_path);
  if (!key)
    return config_failure("provider.pseudonymKey", key.error());
  pseudonym_key = std::move(*key);
  forwarded_ids = std::make_unique<replay_guard>(config.freshness, max_remembered_forwards);
  forwarded_since = now_utc();
  for (const auto& d : config.provider->datasets) {
    auto served = SAPHAN_TRY(load_dataset(d, config.base_dir));
    datasets.emplace(to_string(d.id), std::move(served));
  }
  auto tls = net::make_server_tls(files);
  if (!tls)
    return config_failure("tls", tls.error());
  server_tls = *tls;
  return ok();
}

connector_service::connector_service(std::unique_ptr<state> s) : state_(std::move(s)) {}

connector_service::~connector_service() {
  stop();
  state_->trust_watch.reset();
  state_->workers.stop();
  state_->workers.join();
  state_->consumer_server.reset();
  state_->provider_server.reset();
  state_->notification_server.reset();
  state_->signals.reset();
}

result<std::unique_ptr<connector_service>> connector_service::create(
    const connector_config& config) {
  auto s = std::make_unique<state>(config);
  SAPHAN_TRY_VOID(s->load());
  return std::unique_ptr<connector_service>(new connector_service(std::move(s)));
}

result<void> connector_service::start() {
  auto* s = state_.get();
  s->trust_watch = pki::watch_trust(s->trust);
  // Before anything is announced: a supervisor that reads the address line and at once sends
  // SIGTERM must get a clean stop, not the default action.
  s->signals = std::make_unique<asio::signal_set>(s->io, SIGINT, SIGTERM, SIGHUP);
  wait_for_signals();
  net::http_limits limits;
  limits.request_timeout = s->config.timeout + std::chrono::milliseconds(5000);
  if (s->config.consumer) {
    s->consumer_server = std::make_unique<net::http_server>(
        s->io, nullptr, limits,
        [s](net::http_request& r, const net::peer_info& p) { return s->handle_consumer(r, p); });
    auto port = s->consumer_server->listen(s->config.consumer->listen.host,
                                           s->config.consumer->listen.port);
    if (!port)
      return make_error(port.error().code, "config.consumer.listen: " + port.error().detail);
    s->consumer_port = *port;
  }
  if (s->config.consumer && s->config.consumer->notifications) {
    const auto& listen = s->config.consumer->notifications->listen;
    s->notification_server = std::make_unique<net::http_server>(
        s->io, s->server_tls, limits, [s](net::http_request& r, const net::peer_info& p) {
          return s->handle_notification(r, p);
        });
    auto port = s->notification_server->listen(listen.host, listen.port);
    if (!port) {
      return make_error(port.error().code,
                        "config.consumer.notifications.listen: " + port.error().detail);
    }
    s->notification_port = *port;
  }
  if (s->config.provider) {
    s->provider_server = std::make_unique<net::http_server>(
        s->io, s->server_tls, limits,
        [s](net::http_request& r, const net::peer_info& p) { return s->handle_provider(r, p); });
    auto port = s->provider_server->listen(s->config.provider->listen.host,
                                           s->config.provider->listen.port);
    if (!port)
      return make_error(port.error().code, "config.provider.listen: " + port.error().detail);
    s->provider_port = *port;
  }
  return ok();
}

std::optional<std::uint16_t> connector_service::consumer_port() const {
  return state_->consumer_port;
}
std::optional<std::uint16_t> connector_service::provider_port() const {
  return state_->provider_port;
}

std::string connector_service::describe() const {
  auto host = [](const std::string& h) {
    return h.find(':') != std::string::npos ? "[" + h + "]" : h;
  };
  std::string out = "connector " + to_string(state_->config.member);
  if (state_->consumer_port) {
    out += " consumer http://" + host(state_->config.consumer->listen.host) + ":" +
           std::to_string(*state_->consumer_port);
  }
  if (state_->provider_port) {
    out += " provider https://" + host(state_->config.provider->listen.host) + ":" +
           std::to_string(*state_->provider_port);
  }
  if (state_->notification_port) {
    out += " notifications https://" + host(state_->config.consumer->notifications->listen.host) +
           ":" + std::to_string(*state_->notification_port);
  }
  return out;
}

void connector_service::run() {
  auto* s = state_.get();
  std::vector<std::thread> threads;
  for (int i = 1; i < s->config.threads; ++i)
    threads.emplace_back([s] { s->io.run(); });
  s->io.run();
  for (auto& t : threads)
    t.join();
}

void connector_service::wait_for_signals() {
  state_->signals->async_wait([this](const boost::system::error_code& ec, int number) {
    if (ec)
      return;
    if (number != SIGHUP) {
      stop();
      return;
    }
    // On an I/O thread, but short: a few files of a few KB each. Each part logs how it went.
    auto* s = state_.get();
    (void)net::reload_credentials({s->trust, {s->client_tls, s->server_tls}, s->signer});
    wait_for_signals();
  });
}

void connector_service::stop() {
  if (state_->consumer_server)
    state_->consumer_server->stop();
  if (state_->provider_server)
    state_->provider_server->stop();
  if (state_->notification_server)
    state_->notification_server->stop();
  // Open keep-alive connections would hold run() for their idle timeout; end them now.
  state_->io.stop();
}

}  // namespace saphan::connector
