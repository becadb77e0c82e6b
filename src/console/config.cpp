#include "console/config.hpp"

#include <boost/asio/ip/address.hpp>

#include <filesystem>

#include "core/files.hpp"
#include "core/json.hpp"

namespace saphan::console {
namespace {

constexpr errc config_error = errc::invalid_argument;

error fail(const std::string& where, const std::string& rule) {
  return make_error(config_error, where + ": " + rule);
}

result<void> only_members(const rapidjson::Value& value, const std::string& where,
                          std::initializer_list<std::string_view> known) {
  if (!value.IsObject())
    return fail(where, "must be an object");
  if (auto extra = find_unexpected_member(value, known, true)) {
    return fail(where + "." + std::string(extra->name.substr(0, 64)),
                extra->repeated ? "given twice" : "unknown setting");
  }
  return ok();
}

std::string resolve(const std::string& base_dir, const std::string& path) {
  std::filesystem::path p(path);
  return p.is_absolute() ? path : (std::filesystem::path(base_dir) / p).lexically_normal().string();
}

result<std::string> path_member(const json_object& obj, std::string_view name,
                                const std::string& base_dir) {
  auto value = SAPHAN_TRY(obj.string(name));
  if (value.empty() || value.size() > 4096)
    return obj.fail(name, "must be a path of 1..4096 characters");
  return resolve(base_dir, value);
}

result<std::string> bounded_text(const json_object& obj, std::string_view name, std::size_t max) {
  auto value = SAPHAN_TRY(obj.string(name));
  if (value.empty() || value.size() > max)
    return obj.fail(name, "must have 1.." + std::to_string(max) + " characters");
  for (unsigned char c : value) {
    if (c < 0x20 || c == 0x7f)
      return obj.fail(name, "must not hold control characters");
  }
  return value;
}

result<std::int64_t> ranged(const json_object& obj, std::string_view name, std::int64_t fallback,
                            std::int64_t low, std::int64_t high) {
  auto value = SAPHAN_TRY(obj.optional_integer(name));
  const auto v = value.value_or(fallback);
  if (v < low || v > high)
    return obj.fail(name, "must be " + std::to_string(low) + ".." + std::to_string(high));
  return v;
}

result<member_id> member_member(const json_object& obj, std::string_view name) {
  auto text = SAPHAN_TRY(obj.string(name));
  auto id = parse_member_id(text);
  if (!id)
    return obj.fail(name, id.error().detail);
  return id;
}

// "https://host:port" with nothing after the port: what browsers and providers are given.
result<std::string> https_origin(const json_object& obj, std::string_view name) {
  auto text = SAPHAN_TRY(bounded_text(obj, name, 256));
  auto endpoint = net::parse_endpoint(text);
  if (!endpoint || !endpoint->tls)
    return obj.fail(name, "must be https://host:port");
  return text;
}

result<void> read_listen(const json_object& obj, console_config& c) {
  auto text = SAPHAN_TRY(bounded_text(obj, "listen", 64));
  const auto colon = text.rfind(':');
  if (colon == std::string::npos)
    return obj.fail("listen", "must be IP:port");
  auto host = text.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  boost::system::error_code ec;
  boost::asio::ip::make_address(host, ec);
  const auto port_text = text.substr(colon + 1);
  int port = -1;
  if (!port_text.empty() && port_text.size() <= 5 &&
      port_text.find_first_not_of("0123456789") == std::string::npos) {
    port = std::stoi(port_text);
  }
  if (ec || port < 0 || port > 65535)
    return obj.fail("listen", "must be IP:port (port 0..65535)");
  c.listen_host = host;
  c.listen_port = static_cast<std::uint16_t>(port);
  return ok();
}

result<void> read_hub(const json_object& root, console_config& c) {
  auto value = SAPHAN_TRY(root.member("hub"));
  SAPHAN_TRY_VOID(only_members(*value, "config.hub", {"url", "member"}));
  json_object obj(*value, "config.hub", config_error);
  auto url = SAPHAN_TRY(https_origin(obj, "url"));
  c.hub = *net::parse_endpoint(url);
  c.hub_member = SAPHAN_TRY(member_member(obj, "member"));
  c.hub.member = c.hub_member;
  return ok();
}

result<void> read_tls(const json_object& root, console_config& c) {
  auto value = SAPHAN_TRY(root.member("tls"));
  SAPHAN_TRY_VOID(only_members(*value, "config.tls", {"certificate", "key", "ca"}));
  json_object obj(*value, "config.tls", config_error);
  c.tls_certificate = SAPHAN_TRY(path_member(obj, "certificate", c.base_dir));
  c.tls_key = SAPHAN_TRY(path_member(obj, "key", c.base_dir));
  c.tls_ca = SAPHAN_TRY(path_member(obj, "ca", c.base_dir));
  return ok();
}

result<void> read_web(const json_object& root, console_config& c) {
  auto value = SAPHAN_TRY(root.member("web"));
  SAPHAN_TRY_VOID(
      only_members(*value, "config.web", {"certificate", "key", "assets", "chartScript"}));
  json_object obj(*value, "config.web", config_error);
  c.web_certificate = SAPHAN_TRY(path_member(obj, "certificate", c.base_dir));
  c.web_key = SAPHAN_TRY(path_member(obj, "key", c.base_dir));
  c.web_dir = SAPHAN_TRY(path_member(obj, "assets", c.base_dir));
  c.chart_script = SAPHAN_TRY(path_member(obj, "chartScript", c.base_dir));
  return ok();
}

result<std::string> read_secret(const json_object& obj, const std::string& base_dir) {
  auto path = SAPHAN_TRY(path_member(obj, "clientSecretFile", base_dir));
  auto text = read_file(path, 4096);
  if (!text)
    return make_error(text.error().code, "config.oidc.clientSecretFile: " + text.error().detail);
  while (!text->empty() && (text->back() == '\n' || text->back() == '\r'))
    text->pop_back();
  if (text->size() < 16)
    return obj.fail("clientSecretFile", "the secret must have at least 16 characters");
  return text;
}

result<void> read_oidc(const json_object& root, console_config& c) {
  auto value = SAPHAN_TRY(root.member("oidc"));
  SAPHAN_TRY_VOID(
      only_members(*value, "config.oidc",
                   {"issuer", "clientId", "clientSecretFile", "ca", "scopes", "rolesClaim",
                    "auditorRole", "auditorSubjects", "citizenIdClaim", "clockSkewSeconds"}));
  json_object obj(*value, "config.oidc", config_error);
  auto& o = c.oidc;
  o.issuer = SAPHAN_TRY(https_origin(obj, "issuer"));
  o.client_id = SAPHAN_TRY(bounded_text(obj, "clientId", 128));
  o.client_secret = SAPHAN_TRY(read_secret(obj, c.base_dir));
  o.ca_path = SAPHAN_TRY(path_member(obj, "ca", c.base_dir));
  if (obj.has("scopes"))
    o.scopes = SAPHAN_TRY(bounded_text(obj, "scopes", 256));
  if (o.scopes.find("openid") == std::string::npos)
    return obj.fail("scopes", "must include openid");
  if (obj.has("rolesClaim"))
    o.roles_claim = SAPHAN_TRY(bounded_text(obj, "rolesClaim", 64));
  if (obj.has("auditorRole"))
    o.auditor_role = SAPHAN_TRY(bounded_text(obj, "auditorRole", 64));
  if (obj.has("citizenIdClaim"))
    o.citizen_id_claim = SAPHAN_TRY(bounded_text(obj, "citizenIdClaim", 64));
  o.auditor_subjects = SAPHAN_TRY(obj.optional_strings("auditorSubjects"));
  if (o.auditor_subjects.size() > max_auditor_subjects)
    return obj.fail("auditorSubjects", "at most " + std::to_string(max_auditor_subjects));
  for (const auto& s : o.auditor_subjects) {
    if (s.empty() || s.size() > 255)
      return obj.fail("auditorSubjects", "each sub has 1..255 characters");
  }
  o.clock_skew = std::chrono::seconds(SAPHAN_TRY(ranged(obj, "clockSkewSeconds", 60, 0, 300)));
  return ok();
}

result<void> read_session(const json_object& root, console_config& c) {
  const auto* value = root.find("session");
  if (value == nullptr)
    return ok();
  SAPHAN_TRY_VOID(
      only_members(*value, "config.session", {"idleMinutes", "absoluteMinutes", "maxSessions"}));
  json_object obj(*value, "config.session", config_error);
  auto idle = SAPHAN_TRY(ranged(obj, "idleMinutes", 15, 1, 24 * 60));
  auto absolute = SAPHAN_TRY(ranged(obj, "absoluteMinutes", 8 * 60, 1, 7 * 24 * 60));
  if (absolute < idle)
    return obj.fail("absoluteMinutes", "must not be below idleMinutes");
  c.session.idle = std::chrono::minutes(idle);
  c.session.absolute = std::chrono::minutes(absolute);
  c.session.max_sessions =
      static_cast<std::size_t>(SAPHAN_TRY(ranged(obj, "maxSessions", 10000, 1, 1000000)));
  return ok();
}

result<void> read_mode(const json_object& root, console_config& c) {
  auto mode = SAPHAN_TRY(root.string("mode"));
  if (mode == "auditor") {
    c.mode = console_mode::auditor;
    c.log_key_path = SAPHAN_TRY(path_member(root, "logKey", c.base_dir));
  } else if (mode == "citizen") {
    c.mode = console_mode::citizen;
    if (root.has("logKey"))
      return root.fail("logKey", "only for mode auditor");
  } else {
    return root.fail("mode", "must be \"auditor\" or \"citizen\"");
  }
  return ok();
}

}  // namespace

std::string_view to_string(console_mode mode) {
  return mode == console_mode::auditor ? "auditor" : "citizen";
}

result<console_config> parse_console_config(std::string_view text, const std::string& base_dir) {
  auto doc = SAPHAN_TRY(parse_json(text, {max_config_bytes, 8}));
  SAPHAN_TRY_VOID(
      only_members(doc, "config",
                   {"mode", "member", "listen", "publicUrl", "web", "hub", "tls", "oidc", "session",
                    "logKey", "hubTimeoutMs", "maxExportEntries", "threads"}));
  json_object root(doc, "config", config_error);
  console_config c;
  c.base_dir = base_dir;
  SAPHAN_TRY_VOID(read_mode(root, c));
  c.member = SAPHAN_TRY(member_member(root, "member"));
  SAPHAN_TRY_VOID(read_listen(root, c));
  c.public_url = SAPHAN_TRY(https_origin(root, "publicUrl"));
  SAPHAN_TRY_VOID(read_web(root, c));
  SAPHAN_TRY_VOID(read_hub(root, c));
  SAPHAN_TRY_VOID(read_tls(root, c));
  SAPHAN_TRY_VOID(read_oidc(root, c));
  SAPHAN_TRY_VOID(read_session(root, c));
  c.hub_timeout =
      std::chrono::milliseconds(SAPHAN_TRY(ranged(root, "hubTimeoutMs", 10000, 100, 120000)));
  c.max_export_entries = static_cast<std::uint64_t>(
      SAPHAN_TRY(ranged(root, "maxExportEntries", 1000000, 1, 100000000)));
  c.threads = static_cast<int>(SAPHAN_TRY(ranged(root, "threads", 2, 1, 64)));
  return c;
}

result<console_config> read_console_config(const std::string& path) {
  auto text = read_file(path, max_config_bytes);
  if (!text)
    return std::move(text).error();
  auto base = std::filesystem::absolute(path).parent_path().string();
  auto parsed = parse_console_config(*text, base);
  if (!parsed)
    return make_error(parsed.error().code, path + ": " + parsed.error().detail);
  return parsed;
}

}  // namespace saphan::console
