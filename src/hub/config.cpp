#include "hub/config.hpp"

#include <filesystem>

#include "core/json.hpp"
#include "store/store.hpp"

namespace saphan::hub {
namespace {

namespace fs = std::filesystem;

std::string resolve(const fs::path& base, const std::string& path) {
  fs::path p(path);
  return p.is_absolute() ? path : (base / p).lexically_normal().string();
}

result<std::pair<std::string, std::uint16_t>> parse_listen(const std::string& text) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size() ||
      colon + 6 < text.size() ||
      text.find_first_not_of("0123456789", colon + 1) != std::string::npos) {
    return make_error(errc::invalid_argument, "listen: expected ADDRESS:PORT, got " + text);
  }
  auto port = std::stoul(text.substr(colon + 1));
  if (port > 65535)
    return make_error(errc::invalid_argument, "listen: port out of range");
  return std::pair{text.substr(0, colon), static_cast<std::uint16_t>(port)};
}

result<std::int64_t> bounded(const json_object& obj, std::string_view name, std::int64_t fallback,
                             std::int64_t min, std::int64_t max) {
  auto v = SAPHAN_TRY(obj.optional_integer(name));
  auto value = v.value_or(fallback);
  if (value < min || value > max) {
    return obj.fail(name, "must be between " + std::to_string(min) + " and " + std::to_string(max));
  }
  return value;
}

result<void> read_limits(const json_object& obj, net::http_limits& limits) {
  auto header = SAPHAN_TRY(bounded(obj, "maxHeaderBytes", 8192, 1024, 65536));
  limits.max_header_bytes = static_cast<std::size_t>(header);
  auto body = SAPHAN_TRY(bounded(obj, "maxBodyBytes", 1 << 20, 1024, 64 << 20));
  limits.max_body_bytes = static_cast<std::size_t>(body);
  auto timeout = SAPHAN_TRY(bounded(obj, "requestTimeoutMs", 10000, 100, 600000));
  limits.request_timeout = std::chrono::milliseconds(timeout);
  auto connections = SAPHAN_TRY(bounded(obj, "maxConnections", 4096, 1, 1 << 20));
  limits.max_connections = static_cast<std::size_t>(connections);
  auto in_flight = SAPHAN_TRY(bounded(obj, "maxInFlight", 1024, 1, 1 << 20));
  limits.max_in_flight = static_cast<std::size_t>(in_flight);
  return ok();
}

// A search of a busy hub's log reads 100,000 entries in a few tens of milliseconds; fewer than
// 1000 would refuse an auditor's first page of a plain time range.
result<void> read_log_api(const json_object& obj, log_api_settings& settings) {
  auto readers = SAPHAN_TRY(bounded(obj, "readConnections", 2, 1, 64));
  settings.read_connections = static_cast<int>(readers);
  auto scan = SAPHAN_TRY(bounded(obj, "searchScanLimit", 100000, 1000, 1000000000));
  settings.search_scan_limit = static_cast<std::uint64_t>(scan);
  return ok();
}

// An object of member id -> "https://host:port": providers (where their datasets are served)
// and notify (where consumers' connectors take notifications). The server's TLS certificate
// must name that member.
result<void> read_member_urls(const json_object& root, std::string_view name,
                              std::map<member_id, net::endpoint>& out) {
  const auto* urls = root.find(name);
  if (urls == nullptr)
    return ok();
  if (!urls->IsObject())
    return root.fail(name, "must be an object");
  for (auto p = urls->MemberBegin(); p != urls->MemberEnd(); ++p) {
    std::string member(p->name.GetString(), p->name.GetStringLength());
    auto id = parse_member_id(member);
    if (!id)
      return root.fail(name, member + ": " + id.error().detail);
    if (!p->value.IsString())
      return root.fail(name, member + ": must be a URL string");
    auto ep = net::parse_endpoint(p->value.GetString());
    if (!ep)
      return root.fail(name, member + ": " + ep.error().detail);
    if (!ep->tls)
      return root.fail(name, member + ": must be https (mutual TLS)");
    ep->member = *id;
    out[*id] = *ep;
  }
  return ok();
}

}  // namespace

result<hub_config> load_hub_config(const std::string& path) {
  auto doc = SAPHAN_TRY(read_json_file(path));
  auto root = SAPHAN_TRY(json_object::of(doc, "config", errc::invalid_argument));
  const auto base = fs::absolute(path).parent_path();
  hub_config config;

  auto member = SAPHAN_TRY(root.string("member"));
  auto member_id = parse_member_id(member);
  if (!member_id)
    return make_error(errc::invalid_argument, "config.member: " + member_id.error().detail);
  config.member = *member_id;

  auto listen = SAPHAN_TRY(root.string("listen"));
  auto address = SAPHAN_TRY(parse_listen(listen));
  std::tie(config.listen_address, config.listen_port) = address;

  auto tls_value = SAPHAN_TRY(root.member("tls"));
  auto tls = SAPHAN_TRY(json_object::of(*tls_value, "config.tls", errc::invalid_argument));
  for (auto [name, target] : {std::pair{"certificate", &config.tls.certificate},
                              std::pair{"key", &config.tls.key}, std::pair{"ca", &config.tls.ca}}) {
    auto v = SAPHAN_TRY(tls.string(name));
    *target = resolve(base, v);
  }
  if (auto crl = SAPHAN_TRY(tls.optional_string("crl")))
    config.tls.crl = resolve(base, *crl);

  SAPHAN_TRY_VOID(read_member_urls(root, "providers", config.providers));
  SAPHAN_TRY_VOID(read_member_urls(root, "notify", config.notify));
  auto notify_timeout = SAPHAN_TRY(bounded(root, "notifyTimeoutMs", 5000, 10, 600000));
  config.notify_timeout = std::chrono::milliseconds(notify_timeout);

  auto freshness = SAPHAN_TRY(bounded(root, "freshnessSeconds", 300, 1, 86400));
  config.freshness = std::chrono::seconds(freshness);
  auto provider_timeout = SAPHAN_TRY(bounded(root, "providerTimeoutMs", 5000, 10, 600000));
  config.provider_timeout = std::chrono::milliseconds(provider_timeout);
  auto io_threads = SAPHAN_TRY(bounded(root, "ioThreads", 1, 1, 64));
  config.io_threads = static_cast<int>(io_threads);
  // Workers read the store and sign; no worker waits for the group commit (the exchange steps
  // give their thread back meanwhile), so a few per core are enough.
  auto workers = SAPHAN_TRY(bounded(root, "workerThreads", 4, 1, 256));
  config.worker_threads = static_cast<int>(workers);
  auto checkpoint_ms = SAPHAN_TRY(bounded(root, "checkpointIntervalMs", 1000, 10, 60000));
  config.checkpoint_interval = std::chrono::milliseconds(checkpoint_ms);
  auto exchanges = SAPHAN_TRY(bounded(root, "maxExchangesInFlight", 128, 1, 100000));
  config.max_exchanges_in_flight = static_cast<std::size_t>(exchanges);
  auto admission = SAPHAN_TRY(bounded(root, "admissionPerSecond", 5000, 1, 1000000));
  config.admission_per_second = static_cast<std::uint32_t>(admission);
  auto expiry_ms = SAPHAN_TRY(bounded(root, "consentExpiryIntervalMs", 60000, 100, 3600000));
  config.consent_expiry_interval = std::chrono::milliseconds(expiry_ms);

  if (const auto* tsa = root.find("tsa")) {
    auto obj = SAPHAN_TRY(json_object::of(*tsa, "config.tsa", errc::invalid_argument));
    tsa_settings settings;
    auto url = SAPHAN_TRY(obj.string("url"));
    settings.url = url;
    auto ca = SAPHAN_TRY(obj.string("ca"));
    settings.ca = resolve(base, ca);
    auto pinned = SAPHAN_TRY(obj.optional_string("certificate"));
    if (pinned)
      settings.certificate = resolve(base, *pinned);
    auto grace = SAPHAN_TRY(bounded(obj, "graceSeconds", 30, 1, 86400));
    settings.grace = std::chrono::seconds(grace);
    config.tsa = std::move(settings);
  }

  if (const auto* log = root.find("log")) {
    auto obj = SAPHAN_TRY(json_object::of(*log, "config.log", errc::invalid_argument));
    SAPHAN_TRY_VOID(read_log_api(obj, config.log_api));
  }

  if (auto store = SAPHAN_TRY(root.optional_string("store"))) {
    if (store->empty())
      return make_error(errc::invalid_argument, "config.store: must not be empty");
    config.store = is_postgresql_location(*store) ? *store : resolve(base, *store);
  }

  if (const auto* limits = root.find("limits")) {
    auto obj = SAPHAN_TRY(json_object::of(*limits, "config.limits", errc::invalid_argument));
    SAPHAN_TRY_VOID(read_limits(obj, config.limits));
  }
  return config;
}

}  // namespace saphan::hub
