#include "connector/service.hpp"

#include "core/log.hpp"
#include "net/http.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <csignal>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "connector/consumer.hpp"
#include "connector/provider.hpp"
#include "connectors/registry.hpp"
#include "core/files.hpp"
#include "crypto/encoding.hpp"
#include "crypto/jws.hpp"
#include "exchange/envelope.hpp"
#include "net/problem.hpp"
#include "pki/pki.hpp"

namespace saphan::connector {

namespace asio = net::asio;
namespace http = net::http;

namespace {

constexpr std::size_t max_cached_schemas = 1024;
constexpr std::size_t max_hub_answer_bytes = 4u << 20;  // a 1 MiB record grows ~4/3 as a JWE

struct served_dataset {
  record_schema schema;
  std::string subject_field;
  std::shared_ptr<record_adapter> adapter;
};

error config_failure(std::string_view member, const error& e) {
  return make_error(errc::invalid_argument, "config." + std::string(member) + ": " + e.detail);
}

result<std::string> read_pseudonym_key(const std::string& path) {
  auto text = read_file(path, 1024);
  if (!text)
    return config_failure("provider.pseudonymKey", text.error());
  auto trimmed = std::string_view(*text);
  while (!trimmed.empty() &&
         (trimmed.back() == '\n' || trimmed.back() == '\r' || trimmed.back() == ' ')) {
    trimmed.remove_suffix(1);
  }
  auto key = crypto::base64url_decode(trimmed);
  if (!key)
    return config_failure("provider.pseudonymKey", key.error());
  if (key->size() != pseudonym_key_bytes) {
    return make_error(errc::invalid_argument,
                      "config.provider.pseudonymKey: must hold 32 bytes (base64url)");
  }
  return key;
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
  auto adapter = make_adapter(*adapter_doc, base_dir, "config." + where + ".adapter");
  if (!adapter)
    return std::move(adapter).error();
  return served_dataset{std::move(*schema), d.subject_field, std::move(*adapter)};
}

template <class Message>
std::string header_text(const Message& message, std::string_view name) {
  auto it = message.find(name);
  return it == message.end() ? std::string{} : std::string(it->value());
}

}  // namespace

struct connector_service::state {
  connector_config config;
  crypto::signing_jwk signing;
  crypto::ed25519_public_key hub_key;
  std::optional<crypto::encryption_jwk> encryption;
  std::string reply_key_jwk;
  std::string pseudonym_key;
  std::map<std::string, served_dataset> datasets;

  asio::io_context io;
  asio::thread_pool workers;
  std::shared_ptr<asio::ssl::context> client_tls;
  std::shared_ptr<asio::ssl::context> server_tls;
  std::unique_ptr<net::http_client> hub_client;
  std::unique_ptr<net::http_server> consumer_server;
  std::unique_ptr<net::http_server> provider_server;
  std::optional<std::uint16_t> consumer_port;
  std::optional<std::uint16_t> provider_port;
  std::unique_ptr<asio::signal_set> signals;

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

  // ---------------- consumer side ----------------

  asio::awaitable<net::http_response> handle_consumer(net::http_request& request,
                                                      const net::peer_info&) {
    const auto version = request.version();
    const bool keep = request.keep_alive();
    std::string_view target(request.target().data(), request.target().size());
    if (target == "/healthz") {
      co_return net::make_response(version, keep, http::status::ok, "ok\n", "text/plain");
    }
    if (target.substr(0, consumer_path_prefix.size()) != consumer_path_prefix) {
      co_return net::make_problem(version, keep, make_error(errc::not_found, "no such endpoint"));
    }
    if (request.method() != http::verb::post) {
      co_return net::make_problem(version, keep, make_error(errc::method_not_allowed, "use POST"));
    }
    auto trace =
        choose_traceparent(header_text(request, traceparent_header), crypto::random_bytes(24));
    auto response = co_await exchange(request, trace);
    response.set(traceparent_header, trace);
    co_return response;
  }

  asio::awaitable<net::http_response> exchange(net::http_request& request,
                                               const std::string& trace) {
    const auto version = request.version();
    const bool keep = request.keep_alive();
    consumer_headers headers{
        header_text(request, client_header), header_text(request, request_id_header),
        header_text(request, user_id_header), header_text(request, issue_header)};
    auto call = parse_consumer_call(request.target(), headers, request.body(), config.member,
                                    crypto::random_id());
    if (!call)
      co_return net::make_problem(version, keep, call.error());

    // The schema first: a dataset the hub does not know fails before any consent use is spent.
    auto schema = co_await schema_for(call->dataset, trace);
    if (!schema)
      co_return net::make_problem(version, keep, schema.error());

    auto envelope = build_envelope(*call, config.member, now_utc(), reply_key_jwk);
    auto signed_request =
        co_await on_worker([this, &envelope]() -> result<std::pair<std::string, std::string>> {
          auto bytes = serialize(envelope);
          auto signature = crypto::sign_detached(bytes, signing.keys.secret_key, signing.kid);
          if (!signature)
            return std::move(signature).error();
          return std::pair{std::move(bytes), std::move(*signature)};
        });
    if (!signed_request)
      co_return net::make_problem(version, keep, signed_request.error());

    net::http_request out{http::verb::post, std::string(exchange_path), 11};
    out.set(http::field::content_type, "application/json");
    out.set(signature_header, signed_request->second);
    out.set(traceparent_header, trace);
    out.body() = signed_request->first;
    auto answer = co_await hub_client->send(*config.hub, std::move(out), config.timeout);
    if (!answer)
      co_return net::make_problem(version, keep, answer.error());
    if (answer->result() != http::status::ok)
      co_return relay_problem(version, keep, *answer);

    auto opened = co_await on_worker([this, &envelope, &signed_request, &answer, &schema]() {
      answer_keys keys{hub_key, encryption->keys.secret_key};
      return open_hub_answer(envelope, signed_request->first, answer->body(),
                             header_text(*answer, signature_header), keys, schema->get());
    });
    if (!opened) {
      // The answer passed the hub but not this connector's checks (signatures, decryption,
      // binding to the request, schema): nothing is returned, and the refusal is logged.
      log_event(log_level::warn, "exchange.answer_refused",
                {{"requestId", envelope.request_id},
                 {"code", to_string(opened.error().code)},
                 {"detail", opened.error().detail}});
      co_return net::make_response(version, keep, http::status::bad_gateway,
                                   problem_with_status(opened.error(), 502),
                                   "application/problem+json");
    }
    co_return net::make_response(version, keep, http::status::ok, format_consumer_answer(*opened),
                                 "application/json");
  }

  // The hub's own problem+json, passed on unchanged with its status, its signature and (for 503)
  // the Retry-After the agency's system should honour.
  static net::http_response relay_problem(unsigned version, bool keep,
                                          const net::http_response& answer) {
    auto type = header_text(answer, "Content-Type");
    if (type.empty())
      type = "application/problem+json";
    auto relayed = net::make_response(version, keep, answer.result(), answer.body(), type);
    for (std::string_view name : {std::string_view("Retry-After"), signature_header}) {
      if (auto value = header_text(answer, name); !value.empty()) {
        relayed.set(std::string(name), std::string(value));
      }
    }
    return relayed;
  }

  asio::awaitable<result<std::shared_ptr<const answer_schema>>> schema_for(
      const dataset_id& id, const std::string& trace) {
    auto key = to_string(id);
    {
      std::lock_guard lock(schema_mutex);
      if (auto it = schema_cache.find(key); it != schema_cache.end())
        co_return it->second;
    }
    net::http_request get{http::verb::get, "/v1/catalog/" + key, 11};
    get.set(traceparent_header, trace);
    auto answer = co_await hub_client->send(*config.hub, std::move(get), config.timeout);
    if (!answer)
      co_return std::move(answer).error();
    if (answer->result() != http::status::ok)
      co_return net::parse_problem(answer->body(), answer->result_int());
    auto parsed =
        co_await on_worker([&answer] { return answer_schema_from_catalog(answer->body()); });
    if (!parsed) {
      co_return make_error(errc::provider_error,
                           "catalog entry for " + key + ": " + parsed.error().detail);
    }
    auto shared = std::make_shared<const answer_schema>(std::move(*parsed));
    std::lock_guard lock(schema_mutex);
    if (schema_cache.size() < max_cached_schemas)
      schema_cache.emplace(key, shared);
    co_return shared;
  }

  // ---------------- provider side ----------------

  asio::awaitable<net::http_response> handle_provider(net::http_request& request,
                                                      const net::peer_info& peer) {
    const auto version = request.version();
    const bool keep = request.keep_alive();
    std::string_view target(request.target().data(), request.target().size());
    if (target == "/healthz") {
      co_return net::make_response(version, keep, http::status::ok, "ok\n", "text/plain");
    }
    if (target != provide_path) {
      co_return net::make_problem(version, keep, make_error(errc::not_found, "no such endpoint"));
    }
    if (request.method() != http::verb::post) {
      co_return net::make_problem(version, keep, make_error(errc::method_not_allowed, "use POST"));
    }
    // Every request that reaches the provider side is logged, whether it is served or refused:
    // this is the provider's own record of what the hub forwarded.
    log_event(log_level::info, "provide.received",
              {{"peer", peer.member ? to_string(*peer.member) : peer.address}});
    auto caller = check_hub_peer(peer);
    if (!caller)
      co_return net::make_problem(version, keep, caller.error());
    auto signature = header_text(request, signature_header);
    auto sealed = co_await on_worker(
        [this, &request, &signature] { return provide(request.body(), signature, now_utc()); });
    if (!sealed) {
      log_event(log_level::warn, "provide.refused", {{"code", to_string(sealed.error().code)}});
      co_return net::make_problem(version, keep, sealed.error());
    }
    auto response = net::make_response(version, keep, http::status::ok, std::move(sealed->body),
                                       "application/json");
    response.set(signature_header, sealed->signature);
    co_return response;
  }

  result<void> check_hub_peer(const net::peer_info& peer) const {
    if (!peer.member) {
      return make_error(
          errc::unauthenticated,
          "client certificate: " + (peer.member_error.empty() ? "none" : peer.member_error));
    }
    if (*peer.member != config.hub_member) {
      return make_error(errc::certificate_mismatch,
                        "client certificate names " + to_string(*peer.member) + ", only the hub " +
                            to_string(config.hub_member) + " may call /v1/provide");
    }
    return ok();
  }

  // Runs on a worker thread: every check, the adapter read, encryption and signing.
  result<sealed_answer> provide(std::string_view body, std::string_view signature, timestamp now) {
    if (signature.empty())
      return make_error(errc::bad_signature, "X-Saphan-Signature: header is required");
    auto hub_ok = crypto::verify_detached(signature, body, hub_key);
    if (!hub_ok)
      return make_error(errc::bad_signature, "hub signature: " + hub_ok.error().detail);
    auto forwarded = parse_forwarded_request(body);
    if (!forwarded)
      return std::move(forwarded).error();
    auto consumer_key = crypto::parse_ed25519_public_jwk(forwarded->consumer_key);
    if (!consumer_key)
      return make_error(errc::bad_signature, "consumerKey: " + consumer_key.error().detail);
    auto consumer_ok = crypto::verify_detached(forwarded->consumer_signature, forwarded->request,
                                               consumer_key->key);
    if (!consumer_ok)
      return make_error(errc::bad_signature, "consumer signature: " + consumer_ok.error().detail);
    auto request = parse_request_envelope(forwarded->request);
    if (!request)
      return std::move(request).error();
    SAPHAN_TRY_VOID(check_forwarded(*forwarded, *request, now, config.freshness));
    auto dataset = datasets.find(to_string(request->dataset));
    if (dataset == datasets.end()) {
      return make_error(errc::unknown_dataset, to_string(request->dataset) + " is not served here");
    }
    auto record = dataset->second.adapter->fetch(request->subject);
    if (!record)
      return std::move(record).error();
    if (!*record)
      return make_error(errc::record_not_found, "no record for this subject");
    return seal_record(**record, *forwarded, *request, dataset->second.schema,
                       dataset->second.subject_field, provider_keys{signing, pseudonym_key});
  }

  // ---------------- set-up ----------------

  result<void> load() {
    auto signing_key = crypto::read_signing_key_file(config.signing_key_path);
    if (!signing_key)
      return config_failure("signingKey", signing_key.error());
    signing = std::move(*signing_key);
    auto hub = crypto::read_ed25519_public_key_file(config.hub_key_path);
    if (!hub)
      return config_failure("hubKey", hub.error());
    hub_key = hub->key;
    pki::tls_files files{config.tls.certificate, config.tls.key, config.tls.ca};
    if (config.consumer)
      SAPHAN_TRY_VOID(load_consumer(files));
    if (config.provider)
      SAPHAN_TRY_VOID(load_provider(files));
    return ok();
  }

  result<void> load_consumer(const pki::tls_files& files) {
    auto key = crypto::read_encryption_key_file(config.encryption_key_path);
    if (!key)
      return config_failure("encryptionKey", key.error());
    encryption = std::move(*key);
    reply_key_jwk = crypto::to_public_jwk(encryption->keys.public_key, encryption->kid);
    auto tls = net::make_client_tls(files);
    if (!tls)
      return config_failure("tls", tls.error());
    client_tls = *tls;
    net::http_limits limits;
    limits.max_body_bytes = max_hub_answer_bytes;
    hub_client = std::make_unique<net::http_client>(io.get_executor(), client_tls, limits);
    return ok();
  }

  result<void> load_provider(const pki::tls_files& files) {
    auto key = read_pseudonym_key(config.provider->pseudonym_key_path);
    if (!key)
      return std::move(key).error();
    pseudonym_key = std::move(*key);
    for (const auto& d : config.provider->datasets) {
      auto served = load_dataset(d, config.base_dir);
      if (!served)
        return std::move(served).error();
      datasets.emplace(to_string(d.id), std::move(*served));
    }
    auto tls = net::make_server_tls(files);
    if (!tls)
      return config_failure("tls", tls.error());
    server_tls = *tls;
    return ok();
  }
};

connector_service::connector_service(std::unique_ptr<state> s) : state_(std::move(s)) {}

connector_service::~connector_service() {
  stop();
  state_->workers.stop();
  state_->workers.join();
  state_->consumer_server.reset();
  state_->provider_server.reset();
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
  // Before anything is announced: a supervisor that reads the address line and at once sends
  // SIGTERM must get a clean stop, not the default action.
  s->signals = std::make_unique<asio::signal_set>(s->io, SIGINT, SIGTERM);
  s->signals->async_wait([this](const boost::system::error_code& ec, int) {
    if (!ec)
      stop();
  });
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

void connector_service::stop() {
  if (state_->consumer_server)
    state_->consumer_server->stop();
  if (state_->provider_server)
    state_->provider_server->stop();
  // Open keep-alive connections would hold run() for their idle timeout; end them now.
  state_->io.stop();
}

}  // namespace saphan::connector
