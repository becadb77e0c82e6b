#include "hub/config.hpp"

#include <filesystem>

#include "core/json.hpp"

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
  auto v = obj.optional_integer(name);
  if (!v)
    return std::move(v).error();
  auto value = v->value_or(fallback);
  if (value < min || value > max) {
    return obj.fail(name, "must be between " + std::to_string(min) + " and " + std::to_string(max));
  }
  return value;
}

result<void> read_limits(const json_object& obj, net::http_limits& limits) {
  auto header = bounded(obj, "maxHeaderBytes", 8192, 1024, 65536);
  if (!header)
    return std::move(header).error();
  limits.max_header_bytes = static_cast<std::size_t>(*header);
  auto body = bounded(obj, "maxBodyBytes", 1 << 20, 1024, 64 << 20);
  if (!body)
    return std::move(body).error();
  limits.max_body_bytes = static_cast<std::size_t>(*body);
  auto timeout = bounded(obj, "requestTimeoutMs", 10000, 100, 600000);
  if (!timeout)
    return std::move(timeout).error();
  limits.request_timeout = std::chrono::milliseconds(*timeout);
  auto connections = bounded(obj, "maxConnections", 4096, 1, 1 << 20);
  if (!connections)
    return std::move(connections).error();
  limits.max_connections = static_cast<std::size_t>(*connections);
  auto in_flight = bounded(obj, "maxInFlight", 1024, 1, 1 << 20);
  if (!in_flight)
    return std::move(in_flight).error();
  limits.max_in_flight = static_cast<std::size_t>(*in_flight);
  return ok();
}

}  // namespace

result<hub_config> load_hub_config(const std::string& path) {
  auto doc = read_json_file(path);
  if (!doc)
    return std::move(doc).error();
  auto root = json_object::of(*doc, "config", errc::invalid_argument);
  if (!root)
    return std::move(root).error();
  const auto base = fs::absolute(path).parent_path();
  hub_config config;

  auto member = root->string("member");
  if (!member)
    return std::move(member).error();
  auto member_id = parse_member_id(*member);
  if (!member_id)
    return make_error(errc::invalid_argument, "config.member: " + member_id.error().detail);
  config.member = *member_id;

  auto listen = root->string("listen");
  if (!listen)
    return std::move(listen).error();
  auto address = parse_listen(*listen);
  if (!address)
    return std::move(address).error();
  std::tie(config.listen_address, config.listen_port) = *address;

  auto tls_value = root->member("tls");
  if (!tls_value)
    return std::move(tls_value).error();
  auto tls = json_object::of(**tls_value, "config.tls", errc::invalid_argument);
  if (!tls)
    return std::move(tls).error();
  for (auto [name, target] : {std::pair{"certificate", &config.tls.certificate},
                              std::pair{"key", &config.tls.key}, std::pair{"ca", &config.tls.ca}}) {
    auto v = tls->string(name);
    if (!v)
      return std::move(v).error();
    *target = resolve(base, *v);
  }

  if (const auto* providers = root->find("providers")) {
    if (!providers->IsObject())
      return root->fail("providers", "must be an object");
    for (auto p = providers->MemberBegin(); p != providers->MemberEnd(); ++p) {
      std::string name(p->name.GetString(), p->name.GetStringLength());
      auto id = parse_member_id(name);
      if (!id)
        return root->fail("providers", name + ": " + id.error().detail);
      if (!p->value.IsString())
        return root->fail("providers", name + ": must be a URL string");
      auto ep = net::parse_endpoint(p->value.GetString());
      if (!ep)
        return root->fail("providers", name + ": " + ep.error().detail);
      config.providers[*id] = *ep;
    }
  }

  auto freshness = bounded(*root, "freshnessSeconds", 300, 1, 86400);
  if (!freshness)
    return std::move(freshness).error();
  config.freshness = std::chrono::seconds(*freshness);
  auto provider_timeout = bounded(*root, "providerTimeoutMs", 5000, 10, 600000);
  if (!provider_timeout)
    return std::move(provider_timeout).error();
  config.provider_timeout = std::chrono::milliseconds(*provider_timeout);
  auto io_threads = bounded(*root, "ioThreads", 1, 1, 64);
  if (!io_threads)
    return std::move(io_threads).error();
  config.io_threads = static_cast<int>(*io_threads);
  // Workers read the store and sign; no worker waits for the group commit (the exchange steps
  // give their thread back meanwhile), so a few per core are enough.
  auto workers = bounded(*root, "workerThreads", 4, 1, 256);
  if (!workers)
    return std::move(workers).error();
  config.worker_threads = static_cast<int>(*workers);
  auto checkpoint_ms = bounded(*root, "checkpointIntervalMs", 1000, 10, 60000);
  if (!checkpoint_ms)
    return std::move(checkpoint_ms).error();
  config.checkpoint_interval = std::chrono::milliseconds(*checkpoint_ms);
  auto exchanges = bounded(*root, "maxExchangesInFlight", 128, 1, 100000);
  if (!exchanges)
    return std::move(exchanges).error();
  config.max_exchanges_in_flight = static_cast<std::size_t>(*exchanges);
  auto expiry_ms = bounded(*root, "consentExpiryIntervalMs", 60000, 100, 3600000);
  if (!expiry_ms)
    return std::move(expiry_ms).error();
  config.consent_expiry_interval = std::chrono::milliseconds(*expiry_ms);

  if (const auto* tsa = root->find("tsa")) {
    auto obj = json_object::of(*tsa, "config.tsa", errc::invalid_argument);
    if (!obj)
      return std::move(obj).error();
    tsa_settings settings;
    auto url = obj->string("url");
    if (!url)
      return std::move(url).error();
    settings.url = *url;
    auto ca = obj->string("ca");
    if (!ca)
      return std::move(ca).error();
    settings.ca = resolve(base, *ca);
    auto pinned = obj->optional_string("certificate");
    if (!pinned)
      return std::move(pinned).error();
    if (*pinned)
      settings.certificate = resolve(base, **pinned);
    auto grace = bounded(*obj, "graceSeconds", 30, 1, 86400);
    if (!grace)
      return std::move(grace).error();
    settings.grace = std::chrono::seconds(*grace);
    config.tsa = std::move(settings);
  }

  if (const auto* limits = root->find("limits")) {
    auto obj = json_object::of(*limits, "config.limits", errc::invalid_argument);
    if (!obj)
      return std::move(obj).error();
    SAPHAN_TRY_VOID(read_limits(*obj, config.limits));
  }
  return config;
}

}  // namespace saphan::hub
