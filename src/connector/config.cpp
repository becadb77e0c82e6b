#include "connector/config.hpp"

#include <boost/asio/ip/address.hpp>

#include "connectors/adapter.hpp"
#include "core/files.hpp"

namespace saphan::connector {
namespace {

constexpr errc config_error = errc::invalid_argument;

error fail(const std::string& where, const std::string& rule) {
  return make_error(config_error, where + ": " + rule);
}

result<std::string> required_path(const json_object& obj, std::string_view name,
                                  const std::string& base_dir) {
  auto value = SAPHAN_TRY(obj.string(name));
  if (value.empty() || value.size() > 4096)
    return obj.fail(name, "must be a path of 1..4096 characters");
  return resolve_path(base_dir, value);
}

result<member_id> required_member(const json_object& obj, std::string_view name) {
  auto value = SAPHAN_TRY(obj.string(name));
  auto id = parse_member_id(value);
  if (!id)
    return obj.fail(name, id.error().detail);
  return id;
}

result<listen_address> read_listen(const json_object& obj) {
  auto text = SAPHAN_TRY(obj.string("listen"));
  auto address = parse_listen_address(text);
  if (!address)
    return obj.fail("listen", address.error().detail);
  return address;
}

result<tls_paths> read_tls(const json_object& root, const std::string& base_dir) {
  auto value = SAPHAN_TRY(root.member("tls"));
  SAPHAN_TRY_VOID(
      reject_unknown_members(*value, "config.tls", {"certificate", "key", "ca", "crl"}));
  json_object obj(*value, "config.tls", config_error);
  tls_paths out;
  auto certificate = SAPHAN_TRY(required_path(obj, "certificate", base_dir));
  out.certificate = certificate;
  auto key = SAPHAN_TRY(required_path(obj, "key", base_dir));
  out.key = key;
  auto ca = SAPHAN_TRY(required_path(obj, "ca", base_dir));
  out.ca = ca;
  if (obj.has("crl")) {
    auto crl = SAPHAN_TRY(required_path(obj, "crl", base_dir));
    out.crl = crl;
  }
  return out;
}

result<notification_config> read_notifications(const rapidjson::Value& value) {
  SAPHAN_TRY_VOID(
      reject_unknown_members(value, "config.consumer.notifications", {"listen", "webhook"}));
  json_object obj(value, "config.consumer.notifications", config_error);
  notification_config out;
  auto listen = SAPHAN_TRY(read_listen(obj));
  out.listen = listen;
  if (obj.has("webhook")) {
    auto text = SAPHAN_TRY(obj.string("webhook"));
    auto url = parse_webhook_url(text);
    if (!url)
      return obj.fail("webhook", url.error().detail);
    out.webhook = *url;
  }
  return out;
}

result<consumer_config> read_consumer(const rapidjson::Value& value, const std::string& base_dir) {
  SAPHAN_TRY_VOID(
      reject_unknown_members(value, "config.consumer", {"listen", "tokenFile", "notifications"}));
  json_object obj(value, "config.consumer", config_error);
  consumer_config out;
  auto listen = SAPHAN_TRY(read_listen(obj));
  if (!is_loopback(listen.host)) {
    return obj.fail("listen", "must be a loopback address (the local API is plain HTTP)");
  }
  out.listen = listen;
  if (obj.has("tokenFile")) {
    auto token_file = SAPHAN_TRY(required_path(obj, "tokenFile", base_dir));
    out.token_file = token_file;
  }
  if (const auto* notifications = obj.find("notifications")) {
    auto n = SAPHAN_TRY(read_notifications(*notifications));
    out.notifications = n;
  }
  return out;
}

result<provider_dataset_config> read_dataset(const std::string& id_text,
                                             const rapidjson::Value& value,
                                             const std::string& base_dir) {
  auto where = "config.provider.datasets." + id_text.substr(0, 200);
  auto id = parse_dataset_id(id_text);
  if (!id)
    return fail(where, id.error().detail);
  SAPHAN_TRY_VOID(reject_unknown_members(value, where, {"schema", "subjectField", "adapter"}));
  json_object obj(value, where, config_error);
  provider_dataset_config out;
  out.id = *id;
  auto schema = SAPHAN_TRY(required_path(obj, "schema", base_dir));
  out.schema_path = schema;
  auto subject = SAPHAN_TRY(obj.string("subjectField"));
  if (subject.empty() || subject.size() > 64)
    return obj.fail("subjectField", "1..64 characters");
  out.subject_field = subject;
  auto adapter = SAPHAN_TRY(obj.member("adapter"));
  if (!adapter->IsObject())
    return obj.fail("adapter", "must be an object");
  out.adapter_json = write_json(*adapter);
  return out;
}

result<provider_config> read_provider(const rapidjson::Value& value, const std::string& base_dir) {
  SAPHAN_TRY_VOID(
      reject_unknown_members(value, "config.provider", {"listen", "pseudonymKey", "datasets"}));
  json_object obj(value, "config.provider", config_error);
  provider_config out;
  auto listen = SAPHAN_TRY(read_listen(obj));
  out.listen = listen;
  auto key = SAPHAN_TRY(required_path(obj, "pseudonymKey", base_dir));
  out.pseudonym_key_path = key;
  auto datasets = SAPHAN_TRY(obj.member("datasets"));
  const auto& list = *datasets;
  if (!list.IsObject() || list.MemberCount() == 0)
    return obj.fail("datasets", "must be a non-empty object");
  if (list.MemberCount() > max_provider_datasets) {
    return obj.fail("datasets", "at most " + std::to_string(max_provider_datasets) + " datasets");
  }
  for (auto m = list.MemberBegin(); m != list.MemberEnd(); ++m) {
    auto dataset = SAPHAN_TRY(read_dataset(
        std::string(m->name.GetString(), m->name.GetStringLength()), m->value, base_dir));
    out.datasets.push_back(std::move(dataset));
  }
  return out;
}

result<void> read_sides(const json_object& root, connector_config& c) {
  if (const auto* consumer = root.find("consumer")) {
    auto side = SAPHAN_TRY(read_consumer(*consumer, c.base_dir));
    c.consumer = side;
  }
  if (const auto* provider = root.find("provider")) {
    auto side = SAPHAN_TRY(read_provider(*provider, c.base_dir));
    c.provider = std::move(side);
  }
  if (!c.consumer && !c.provider)
    return fail("config", "needs \"consumer\", \"provider\" or both");
  if (c.consumer) {
    // The consumer side calls the hub; the provider side is called by it.
    auto hub = SAPHAN_TRY(root.string("hub"));
    auto endpoint = net::parse_endpoint(hub);
    if (!endpoint)
      return root.fail("hub", endpoint.error().detail);
    if (!endpoint->tls)
      return root.fail("hub", "must be https:// (mutual TLS to the hub)");
    c.hub = *endpoint;
    c.hub_url = hub;
  }
  return ok();
}

bool is_path_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("-._~!$&'()*+,;=:@/%").find(c) != std::string_view::npos;
}

}  // namespace

result<webhook_url> parse_webhook_url(std::string_view url) {
  constexpr std::string_view scheme = "http://";
  if (url.rfind(scheme, 0) != 0)
    return make_error(config_error, "must start with http://");
  const auto slash = url.find('/', scheme.size());
  webhook_url out;
  auto endpoint = net::parse_endpoint(url.substr(0, slash));
  if (!endpoint)
    return std::move(endpoint).error();
  out.endpoint = *endpoint;
  if (slash != std::string_view::npos) {
    auto path = url.substr(slash);
    if (path.size() > 1024)
      return make_error(config_error, "the path must be at most 1024 characters");
    for (char c : path) {
      if (!is_path_char(c))
        return make_error(config_error, "the path may hold only RFC 3986 path characters");
    }
    out.path = std::string(path);
  }
  return out;
}

bool is_loopback(const std::string& ip_address) {
  boost::system::error_code ec;
  auto address = boost::asio::ip::make_address(ip_address, ec);
  return !ec && address.is_loopback();
}

result<listen_address> parse_listen_address(std::string_view text) {
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return make_error(config_error, "must be host:port, e.g. 127.0.0.1:8080");
  }
  auto host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  auto port_text = text.substr(colon + 1);
  if (port_text.empty() || port_text.size() > 5 ||
      port_text.find_first_not_of("0123456789") != std::string_view::npos) {
    return make_error(config_error, "port must be a number (0 picks a free port)");
  }
  auto port = std::stoul(std::string(port_text));
  if (port > 65535)
    return make_error(config_error, "port must be 0..65535");
  boost::system::error_code ec;
  boost::asio::ip::make_address(std::string(host), ec);
  if (ec)
    return make_error(config_error, "host must be an IP address");
  return listen_address{std::string(host), static_cast<std::uint16_t>(port)};
}

result<connector_config> parse_connector_config(std::string_view text,
                                                const std::string& base_dir) {
  auto doc = parse_json(text, {max_config_bytes, 16});
  if (!doc)
    return make_error(config_error, "config: " + doc.error().detail);
  if (!doc->IsObject())
    return fail("config", "must be a JSON object");
  SAPHAN_TRY_VOID(reject_unknown_members(
      *doc, "config",
      {"member", "hub", "tls", "signingKey", "signingCertificate", "hubMember", "freshnessSeconds",
       "timeoutMs", "threads", "consumer", "provider"}));
  json_object root(*doc, "config", config_error);
  connector_config c;
  c.base_dir = base_dir;
  auto member = SAPHAN_TRY(required_member(root, "member"));
  c.member = member;
  auto hub_member = SAPHAN_TRY(required_member(root, "hubMember"));
  c.hub_member = hub_member;
  auto tls = SAPHAN_TRY(read_tls(root, base_dir));
  c.tls = tls;
  auto signing = SAPHAN_TRY(required_path(root, "signingKey", base_dir));
  c.signing_key_path = signing;
  auto certificate = SAPHAN_TRY(required_path(root, "signingCertificate", base_dir));
  c.signing_certificate_path = certificate;
  auto freshness = SAPHAN_TRY(bounded_integer(root, "freshnessSeconds", 1, 3600, 300));
  c.freshness = std::chrono::seconds(freshness);
  auto timeout = SAPHAN_TRY(bounded_integer(root, "timeoutMs", 100, 120000, 10000));
  c.timeout = std::chrono::milliseconds(timeout);
  auto threads = SAPHAN_TRY(bounded_integer(root, "threads", 1, 64, 2));
  c.threads = static_cast<int>(threads);
  SAPHAN_TRY_VOID(read_sides(root, c));
  return c;
}

result<connector_config> read_connector_config(const std::string& path) {
  auto text = read_file(path, max_config_bytes);
  if (!text)
    return make_error(config_error, "config: " + text.error().detail);
  auto slash = path.rfind('/');
  std::string base_dir =
      slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  return parse_connector_config(*text, base_dir);
}

}  // namespace saphan::connector
