#include "console/oidc.hpp"

#include <algorithm>

#include "console/html.hpp"
#include "console/json_view.hpp"
#include "core/citizen_id.hpp"
#include "core/json.hpp"
#include "crypto/encoding.hpp"
#include "crypto/hash.hpp"
#include "crypto/jwks.hpp"

namespace saphan::console {
namespace {

constexpr std::size_t max_url_bytes = 2048;

error refused(std::string detail) {
  return make_error(errc::unauthenticated, "id token: " + std::move(detail));
}

// Where the document lists `name`, it must hold `wanted`.
result<void> lists_if_present(const rapidjson::Value& doc, const char* name,
                              std::string_view wanted) {
  auto it = doc.FindMember(name);
  if (it == doc.MemberEnd())
    return ok();
  if (!it->value.IsArray())
    return make_error(errc::invalid_argument, std::string("discovery.") + name + ": not an array");
  for (const auto& v : it->value.GetArray()) {
    if (v.IsString() && std::string_view(v.GetString(), v.GetStringLength()) == wanted)
      return ok();
  }
  return make_error(errc::invalid_argument,
                    std::string("discovery.") + name + ": does not offer " + std::string(wanted));
}

result<std::string> endpoint_member(const rapidjson::Value& doc, const char* name, bool required) {
  auto value = text_of(doc, name);
  if (value.empty() && !required)
    return value;
  if (auto url = parse_https_url(value); !url)
    return make_error(errc::invalid_argument,
                      std::string("discovery.") + name + ": " + url.error().detail);
  return value;
}

result<std::int64_t> time_claim(const rapidjson::Value& payload, const char* name) {
  auto it = payload.FindMember(name);
  if (it == payload.MemberEnd() || !it->value.IsNumber())
    return refused(std::string(name) + ": required number");
  const double v = it->value.GetDouble();
  if (v < 0 || v > 1e11)
    return refused(std::string(name) + ": out of range");
  return static_cast<std::int64_t>(v);
}

result<void> check_audience(const rapidjson::Value& payload, const std::string& client_id) {
  auto aud = payload.FindMember("aud");
  if (aud == payload.MemberEnd())
    return refused("aud: required");
  if (aud->value.IsString()) {
    if (text_of(payload, "aud") != client_id)
      return refused("aud: not this console");
    return ok();
  }
  if (!aud->value.IsArray() || aud->value.Empty())
    return refused("aud: must be a string or a non-empty array");
  bool ours = false;
  for (const auto& a : aud->value.GetArray())
    ours =
        ours || (a.IsString() && std::string_view(a.GetString(), a.GetStringLength()) == client_id);
  if (!ours)
    return refused("aud: not this console");
  // Core 3.1.3.7 (4, 5): with several audiences, azp names us.
  if (aud->value.Size() > 1 && text_of(payload, "azp") != client_id)
    return refused("azp: must name this console when there are several audiences");
  return ok();
}

result<void> check_times(const rapidjson::Value& payload, const id_token_expectations& e) {
  const auto now =
      std::chrono::duration_cast<std::chrono::seconds>(e.now.time_since_epoch()).count();
  const auto skew = e.skew.count();
  auto exp = SAPHAN_TRY(time_claim(payload, "exp"));
  auto iat = SAPHAN_TRY(time_claim(payload, "iat"));
  if (exp <= now - skew)
    return refused("exp: expired");
  if (iat > now + skew)
    return refused("iat: issued in the future");
  if (iat < now - skew - std::chrono::duration_cast<std::chrono::seconds>(max_id_token_age).count())
    return refused("iat: issued too long ago");
  return ok();
}

std::vector<std::string> roles_of(const rapidjson::Value& payload, std::string_view claim) {
  std::vector<std::string> out;
  auto it = payload.FindMember(rapidjson::StringRef(claim.data(), claim.size()));
  if (it == payload.MemberEnd())
    return out;
  if (it->value.IsString())
    out.emplace_back(it->value.GetString(), it->value.GetStringLength());
  if (it->value.IsArray()) {
    for (const auto& r : it->value.GetArray()) {
      if (r.IsString() && out.size() < 64)
        out.emplace_back(r.GetString(), r.GetStringLength());
    }
  }
  return out;
}

}  // namespace

result<https_url> parse_https_url(std::string_view url) {
  auto invalid = [&](std::string_view rule) {
    return make_error(errc::invalid_argument,
                      "'" + std::string(url.substr(0, 80)) + "': " + std::string(rule));
  };
  if (url.size() > max_url_bytes)
    return invalid("longer than 2048 bytes");
  constexpr std::string_view scheme = "https://";
  if (url.substr(0, scheme.size()) != scheme)
    return invalid("must be an https URL");
  for (unsigned char c : url) {
    if (c <= 0x20 || c >= 0x7f)
      return invalid("must not hold spaces, control or non-ASCII characters");
  }
  if (url.find('#') != std::string_view::npos)
    return invalid("must not hold a fragment");
  auto rest = url.substr(scheme.size());
  const auto slash = rest.find_first_of("/?");
  auto authority = rest.substr(0, slash);
  https_url out;
  out.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (out.target.front() == '?')
    out.target = "/" + out.target;
  if (authority.find('@') != std::string_view::npos)
    return invalid("must not hold userinfo");
  std::string_view host = authority;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos)
      return invalid("unclosed IPv6 literal");
    host = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':')
        return invalid("bad authority");
      port = authority.substr(close + 2);
    }
  } else if (auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty())
    return invalid("no host");
  out.host = std::string(host);
  if (!port.empty() || authority.back() == ':') {
    if (port.empty() || port.size() > 5 ||
        port.find_first_not_of("0123456789") != std::string_view::npos)
      return invalid("bad port");
    const int p = std::stoi(std::string(port));
    if (p < 1 || p > 65535)
      return invalid("port out of range");
    out.port = static_cast<std::uint16_t>(p);
  }
  return out;
}

result<provider_metadata> parse_discovery(std::string_view json, std::string_view expected_issuer) {
  auto doc = SAPHAN_TRY(parse_json(json, {max_discovery_bytes, 8}));
  if (!doc.IsObject())
    return make_error(errc::malformed_json, "discovery: not an object");
  provider_metadata out;
  out.issuer = text_of(doc, "issuer");
  if (out.issuer != expected_issuer) {
    return make_error(errc::invalid_argument, "discovery.issuer: '" + out.issuer.substr(0, 80) +
                                                  "' is not the configured issuer");
  }
  out.authorization_endpoint = SAPHAN_TRY(endpoint_member(doc, "authorization_endpoint", true));
  out.token_endpoint = SAPHAN_TRY(endpoint_member(doc, "token_endpoint", true));
  out.jwks_uri = SAPHAN_TRY(endpoint_member(doc, "jwks_uri", true));
  out.end_session_endpoint = SAPHAN_TRY(endpoint_member(doc, "end_session_endpoint", false));
  SAPHAN_TRY_VOID(lists_if_present(doc, "response_types_supported", "code"));
  SAPHAN_TRY_VOID(lists_if_present(doc, "code_challenge_methods_supported", "S256"));
  SAPHAN_TRY_VOID(
      lists_if_present(doc, "token_endpoint_auth_methods_supported", "client_secret_basic"));
  return out;
}

std::string pkce_challenge(std::string_view verifier) {
  return crypto::base64url_encode(crypto::sha256(verifier).view());
}

std::string authorization_url(const provider_metadata& op, const oidc_settings& settings,
                              std::string_view redirect_uri, const pending_login& login,
                              language lang) {
  std::string url = op.authorization_endpoint;
  url += url.find('?') == std::string::npos ? '?' : '&';
  url += "response_type=code&client_id=" + url_encode(settings.client_id) +
         "&redirect_uri=" + url_encode(redirect_uri) + "&scope=" + url_encode(settings.scopes) +
         "&state=" + url_encode(login.state) + "&nonce=" + url_encode(login.nonce) +
         "&code_challenge=" + url_encode(pkce_challenge(login.code_verifier)) +
         "&code_challenge_method=S256&ui_locales=" + (lang == language::th ? "th" : "en");
  return url;
}

std::string token_request_body(std::string_view code, std::string_view redirect_uri,
                               std::string_view code_verifier) {
  return "grant_type=authorization_code&code=" + url_encode(code) +
         "&redirect_uri=" + url_encode(redirect_uri) +
         "&code_verifier=" + url_encode(code_verifier);
}

std::string basic_authorization(const oidc_settings& settings) {
  return "Basic " + crypto::base64_encode(url_encode(settings.client_id) + ":" +
                                          url_encode(settings.client_secret));
}

result<std::string> id_token_of_token_answer(std::string_view json) {
  auto doc = SAPHAN_TRY(parse_json(json, {max_token_answer_bytes, 8}));
  if (!doc.IsObject())
    return make_error(errc::malformed_json, "token answer: not an object");
  if (auto err = text_of(doc, "error"); !err.empty())
    return make_error(errc::unauthenticated, "token endpoint refused: " + err.substr(0, 64));
  auto type = text_of(doc, "token_type");
  std::transform(type.begin(), type.end(), type.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  if (type != "bearer")
    return make_error(errc::unauthenticated, "token answer: token_type is not Bearer");
  auto id_token = text_of(doc, "id_token");
  if (id_token.empty())
    return make_error(errc::unauthenticated, "token answer: no id_token");
  return id_token;
}

result<id_token_claims> check_id_token_claims(std::string_view payload_json,
                                              const id_token_expectations& expect,
                                              std::string_view roles_claim,
                                              std::string_view citizen_id_claim) {
  auto parsed = parse_json(payload_json, {16 * 1024, 8});
  if (!parsed || !parsed->IsObject())
    return refused("payload: not a JSON object");
  const auto& payload = *parsed;
  if (text_of(payload, "iss") != expect.issuer)
    return refused("iss: not the configured issuer");
  SAPHAN_TRY_VOID(check_audience(payload, expect.client_id));
  SAPHAN_TRY_VOID(check_times(payload, expect));
  const auto nonce = text_of(payload, "nonce");
  if (nonce.empty() || !crypto::constant_time_equal(nonce, expect.nonce))
    return refused("nonce: not the one this sign-in sent");
  id_token_claims out;
  out.sub = text_of(payload, "sub");
  if (out.sub.empty() || out.sub.size() > 255)
    return refused("sub: 1..255 characters");
  out.name = text_of(payload, "name").substr(0, 200);
  auto citizen =
      payload.FindMember(rapidjson::StringRef(citizen_id_claim.data(), citizen_id_claim.size()));
  if (citizen != payload.MemberEnd() && citizen->value.IsString())
    out.citizen_id = std::string(citizen->value.GetString(), citizen->value.GetStringLength());
  out.roles = roles_of(payload, roles_claim);
  return out;
}

result<id_token_claims> verify_id_token(std::string_view id_token, std::string_view jwks_json,
                                        const id_token_expectations& expect,
                                        std::string_view roles_claim,
                                        std::string_view citizen_id_claim) {
  auto verified = crypto::verify_jws_with_jwks(id_token, jwks_json, {"RS256", "ES256", "EdDSA"});
  if (!verified)
    return make_error(verified.error().code, "id token: " + verified.error().detail);
  return check_id_token_claims(verified->payload, expect, roles_claim, citizen_id_claim);
}

result<person> admit_person(const id_token_claims& claims, const console_config& config,
                            std::string id_token) {
  person who{claims.sub, claims.name, {}, std::move(id_token)};
  if (config.mode == console_mode::auditor) {
    const auto& o = config.oidc;
    const bool by_role =
        std::find(claims.roles.begin(), claims.roles.end(), o.auditor_role) != claims.roles.end();
    const bool by_list = std::find(o.auditor_subjects.begin(), o.auditor_subjects.end(),
                                   claims.sub) != o.auditor_subjects.end();
    if (!by_role && !by_list)
      return make_error(errc::forbidden, "this account is not an auditor");
    return who;
  }
  if (!claims.citizen_id)
    return make_error(errc::forbidden, "the provider gave no citizen ID for this account");
  SAPHAN_TRY_VOID(validate_thai_id(*claims.citizen_id));
  who.citizen_id = *claims.citizen_id;
  return who;
}

std::string logout_url(const provider_metadata& op, const oidc_settings& settings,
                       std::string_view id_token, std::string_view post_logout_redirect_uri) {
  if (op.end_session_endpoint.empty())
    return {};
  std::string url = op.end_session_endpoint;
  url += url.find('?') == std::string::npos ? '?' : '&';
  url += "client_id=" + url_encode(settings.client_id) +
         "&post_logout_redirect_uri=" + url_encode(post_logout_redirect_uri);
  if (!id_token.empty())
    url += "&id_token_hint=" + url_encode(id_token);
  return url;
}

}  // namespace saphan::console
