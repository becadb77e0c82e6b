// The console's set-up and the part of every request that does not depend on the mode: parsing
// the request, the session, the CSRF check on every POST, the security headers, the static
// assets, and signing in and out with the OpenID provider.
#include "console/service.hpp"

#include <csignal>
#include <thread>

#include "console/json_view.hpp"
#include "console/state.hpp"
#include "core/files.hpp"
#include "core/json.hpp"
#include "core/log.hpp"
#include "crypto/hash.hpp"
#include "crypto/keys.hpp"

// GCC 12 at -O2 reports asio's coroutine frames, which bring their own operator new and delete,
// as freed by a mismatched operator delete (a false positive, as in hub/exchange.cpp).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace saphan::console {
namespace {

constexpr std::size_t max_form_bytes = 16 * 1024;
constexpr std::size_t max_asset_bytes = 2 << 20;
constexpr const char* own_assets[] = {"console.css", "verify.js", "overview.js", "export.js"};

error config_failure(std::string_view member, const error& e) {
  return make_error(e.code, "config." + std::string(member) + ": " + e.detail);
}

result<void> load_assets(console_state& s) {
  for (const auto* name : own_assets) {
    auto bytes = read_file(s.config.web_dir + "/" + name, max_asset_bytes);
    if (!bytes)
      return config_failure("web.assets", bytes.error());
    s.assets.emplace(name, std::move(*bytes));
  }
  auto chart = read_file(s.config.chart_script, max_asset_bytes);
  if (!chart)
    return config_failure("web.chartScript", chart.error());
  s.assets.emplace("chart.umd.js", std::move(*chart));
  return ok();
}

result<void> load_log_key(console_state& s) {
  if (s.config.mode != console_mode::auditor)
    return ok();
  auto jwk = crypto::read_ed25519_public_key_file(s.config.log_key_path);
  if (!jwk)
    return config_failure("logKey", jwk.error());
  s.log_key_x = crypto::to_base64url(jwk->key);
  s.log_key_id = jwk->kid;
  s.log_key_jwk = crypto::to_public_jwk(jwk->key, jwk->kid);
  return ok();
}

result<void> load(console_state& s) {
  auto web = net::make_web_server_tls(s.config.web_certificate, s.config.web_key);
  if (!web)
    return config_failure("web", web.error());
  s.web_tls = *web;
  auto hub = hub_api::open(s.config, s.io.get_executor());
  if (!hub)
    return std::move(hub).error();
  s.hub = std::move(*hub);
  auto op = provider_client::open(s.config, s.io.get_executor());
  if (!op)
    return std::move(op).error();
  s.op = std::move(*op);
  SAPHAN_TRY_VOID(load_assets(s));
  return load_log_key(s);
}

std::string header_of(const net::http_request& req, net::http::field f) {
  auto it = req.find(f);
  return it == req.end() ? std::string() : std::string(it->value());
}

std::string content_type_of(std::string_view name) {
  if (name.ends_with(".css"))
    return "text/css; charset=utf-8";
  return "text/javascript; charset=utf-8";
}

// Reads what a handler needs; false when the query or form does not parse.
bool read_request(console_state& s, const net::http_request& req, request_info& r) {
  r.method = std::string(req.method_string());
  const std::string_view target(req.target().data(), req.target().size());
  const auto q = target.find('?');
  r.path = std::string(target.substr(0, q));
  bool good = q == std::string_view::npos ||
              parse_query(target.substr(q + 1), [&](std::string n, std::string v) {
                r.query.insert_or_assign(std::move(n), std::move(v));
              });
  const auto cookies = header_of(req, net::http::field::cookie);
  if (auto lang = cookie_value(cookies, language_cookie))
    r.lang = parse_language(*lang);
  if (auto id = cookie_value(cookies, session_cookie))
    r.signed_in = s.sessions.touch(*id, now_utc());
  r.header_csrf = std::string(req["X-CSRF-Token"]);
  if (req.method() == net::http::verb::post &&
      header_of(req, net::http::field::content_type)
          .starts_with("application/x-www-form-urlencoded")) {
    good = good && req.body().size() <= max_form_bytes &&
           parse_query(req.body(), [&](std::string n, std::string v) {
             r.form.insert_or_assign(std::move(n), std::move(v));
           });
  }
  return good;
}

// A POST must come from this site's own page: the session's CSRF token in the form (csrf) or
// in X-CSRF-Token, and an Origin, when the browser sends one, of this console.
result<void> check_csrf(const console_config& config, const net::http_request& req,
                        const request_info& r) {
  if (!r.signed_in)
    return make_error(errc::unauthenticated, "sign in first");
  auto presented = r.form.count("csrf") ? r.form.at("csrf") : r.header_csrf;
  if (!csrf_matches(*r.signed_in, presented))
    return make_error(errc::csrf_rejected, "the form's CSRF token is missing or wrong");
  const auto origin = header_of(req, net::http::field::origin);
  if (!origin.empty() && origin != config.public_url)
    return make_error(errc::csrf_rejected, "the request comes from another site");
  return ok();
}

std::string csp(const console_config& config) {
  // form-action names the provider too: signing out is a form whose answer goes on to the
  // provider's logout page.
  return "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
         "connect-src 'self'; form-action 'self' " +
         config.oidc.issuer + "; frame-ancestors 'none'; base-uri 'none'";
}

net::http_response to_response(const console_config& config, const net::http_request& req,
                               page_answer a) {
  auto res =
      net::make_response(req.version(), req.keep_alive(), static_cast<net::http::status>(a.status),
                         std::move(a.body), a.content_type);
  res.set("Content-Security-Policy", csp(config));
  res.set("X-Content-Type-Options", "nosniff");
  // same-origin, not no-referrer: under no-referrer a browser sends "Origin: null" with every
  // form POST, and check_csrf would refuse the console's own forms.
  res.set("Referrer-Policy", "same-origin");
  res.set(net::http::field::strict_transport_security, "max-age=31536000");
  res.set("X-Frame-Options", "DENY");
  res.set("Cross-Origin-Opener-Policy", "same-origin");
  if (res[net::http::field::cache_control].empty())
    res.set(net::http::field::cache_control, "no-store");
  if (!a.location.empty())
    res.set(net::http::field::location, a.location);
  for (const auto& c : a.cookies)
    res.insert(net::http::field::set_cookie, c);
  if (!a.download_name.empty())
    res.set(net::http::field::content_disposition,
            "attachment; filename=\"" + a.download_name + "\"");
  res.prepare_payload();
  return res;
}

std::string redirect_uri(const console_config& c) {
  return c.public_url + "/auth/callback";
}

route_result begin_sign_in(console_state& s, request_info& r) {
  auto op = co_await s.op->metadata();
  if (!op)
    co_return error_page(s.config, r, op.error());
  auto login = s.sessions.begin_login(now_utc());
  if (!login)
    co_return error_page(s.config, r, login.error());
  auto a = redirect(authorization_url(*op, s.config.oidc, redirect_uri(s.config), *login, r.lang));
  a.status = 302;
  co_return a;
}

asio::awaitable<result<person>> complete_sign_in(console_state& s, const request_info& r) {
  if (r.query.count("error"))
    co_return make_error(errc::unauthenticated,
                         "the provider refused: " + r.query.at("error").substr(0, 64));
  if (!r.query.count("code") || !r.query.count("state"))
    co_return make_error(errc::unauthenticated, "code and state are required");
  auto login = s.sessions.finish_login(r.query.at("state"), now_utc());
  if (!login)
    co_return make_error(errc::unauthenticated, "unknown, used or expired sign-in (state)");
  auto id_token =
      co_await s.op->redeem(r.query.at("code"), redirect_uri(s.config), login->code_verifier);
  if (!id_token)
    co_return std::move(id_token).error();
  const id_token_expectations expect{s.config.oidc.issuer, s.config.oidc.client_id, login->nonce,
                                     now_utc(), s.config.oidc.clock_skew};
  const auto& o = s.config.oidc;
  result<id_token_claims> claims = make_error(errc::bad_signature, "no key");
  for (bool refresh : {false, true}) {
    auto jwks = co_await s.op->jwks(refresh);
    if (!jwks)
      co_return std::move(jwks).error();
    claims = verify_id_token(*id_token, *jwks, expect, o.roles_claim, o.citizen_id_claim);
    if (claims || claims.code() != errc::bad_signature)
      break;  // a bad signature may be a rotated key: fetch the set once more
  }
  if (!claims)
    co_return std::move(claims).error();
  co_return admit_person(*claims, s.config, *id_token);
}

route_result finish_sign_in(console_state& s, request_info& r) {
  auto who = co_await complete_sign_in(s, r);
  if (!who) {
    log_event(log_level::warn, "console.sign_in_refused",
              {{"code", to_string(who.error().code)}, {"detail", who.error().detail}});
    co_return error_page(s.config, r, who.error());
  }
  auto created = s.sessions.create(std::move(*who), now_utc());
  if (!created)
    co_return error_page(s.config, r, created.error());
  log_event(log_level::info, "console.signed_in", {{"sub", created->who.sub}});
  auto a = redirect("/");
  a.cookies.push_back(session_cookie_header(created->id));
  co_return a;
}

route_result sign_out(console_state& s, request_info& r) {
  const auto id_token = r.signed_in->who.id_token;
  s.sessions.end(r.signed_in->id);
  std::string next = "/";
  if (auto op = co_await s.op->metadata()) {
    auto url = logout_url(*op, s.config.oidc, id_token, s.config.public_url + "/");
    if (!url.empty())
      next = url;
  }
  auto a = redirect(next);
  a.cookies.push_back(clear_session_cookie_header());
  co_return a;
}

page_answer choose_language(const request_info& r) {
  const auto to = r.query.count("to") ? r.query.at("to") : "en";
  auto back = r.query.count("back") ? r.query.at("back") : "/";
  // Only a path of this site: never "//host" or a scheme.
  if (back.empty() || back.front() != '/' || back.starts_with("//") ||
      back.find_first_of("\\\r\n") != std::string::npos)
    back = "/";
  auto a = redirect(back);
  a.cookies.push_back(std::string(language_cookie) + "=" +
                      std::string(language_code(parse_language(to))) +
                      "; Secure; SameSite=Strict; Path=/; Max-Age=31536000");
  return a;
}

page_answer sign_in_page(const console_config& config, const request_info& r) {
  const auto intro = config.mode == console_mode::auditor ? text::sign_in_intro_auditor
                                                          : text::sign_in_intro_citizen;
  std::string body = "<p>" + t(r, intro) + "</p><p><a class=\"button\" href=\"/login\">" +
                     t(r, text::sign_in) + "</a></p>";
  return {200, "text/html; charset=utf-8", render_page(config, r, t(r, text::sign_in), body)};
}

route_result dispatch(console_state& s, const net::http_request& req, request_info& r) {
  const bool get = req.method() == net::http::verb::get || req.method() == net::http::verb::head;
  const bool post = req.method() == net::http::verb::post;
  if (r.path == "/healthz" && get)
    co_return page_answer{200, "text/plain; charset=utf-8", "ok\n"};
  if (r.path.starts_with("/static/") && get) {
    auto it = s.assets.find(r.path.substr(8));
    if (it == s.assets.end())
      co_return error_page(s.config, r, make_error(errc::not_found, r.path.substr(0, 80)));
    co_return page_answer{200, content_type_of(it->first), it->second};
  }
  if (r.path == "/login" && get)
    co_return co_await begin_sign_in(s, r);
  if (r.path == "/auth/callback" && get)
    co_return co_await finish_sign_in(s, r);
  if (r.path == "/lang" && get)
    co_return choose_language(r);
  if (!get && !post)
    co_return error_page(s.config, r, make_error(errc::method_not_allowed, r.method));
  if (post) {
    if (auto checked = check_csrf(s.config, req, r); !checked)
      co_return error_page(s.config, r, checked.error());
    if (r.path == "/logout")
      co_return co_await sign_out(s, r);
  }
  if (!r.signed_in) {
    if (r.path == "/")
      co_return sign_in_page(s.config, r);
    auto a = error_page(s.config, r, make_error(errc::unauthenticated, "sign in first"));
    co_return a;
  }
  if (s.config.mode == console_mode::auditor)
    co_return co_await auditor_route(s, r);
  co_return co_await citizen_route(s, r);
}

asio::awaitable<net::http_response> handle(console_state& s, net::http_request& req) {
  request_info r;
  if (!read_request(s, req, r)) {
    co_return to_response(
        s.config, req,
        error_page(s.config, r,
                   make_error(errc::invalid_argument, "query or form does not parse")));
  }
  auto answer = co_await dispatch(s, req, r);
  if (req.method() == net::http::verb::head)
    answer.body.clear();
  co_return to_response(s.config, req, std::move(answer));
}

}  // namespace

std::string session_owner(const session& s) {
  return crypto::sha256(s.id).to_hex();
}

asio::awaitable<result<rapidjson::Document>> hub_json(console_state& s, std::string target) {
  auto body = co_await s.hub->get(std::move(target));
  if (!body)
    co_return std::move(body).error();
  co_return parse_json(*body, {max_hub_answer_bytes, 32});
}

console_service::console_service(std::unique_ptr<console_state> s) : state_(std::move(s)) {}

console_service::~console_service() {
  stop();
  state_->server.reset();
  state_->signals.reset();
}

result<std::unique_ptr<console_service>> console_service::create(const console_config& config) {
  auto s = std::make_unique<console_state>(config);
  SAPHAN_TRY_VOID(load(*s));
  return std::unique_ptr<console_service>(new console_service(std::move(s)));
}

result<void> console_service::start() {
  auto* s = state_.get();
  s->signals = std::make_unique<asio::signal_set>(s->io, SIGINT, SIGTERM);
  s->signals->async_wait([this](const boost::system::error_code& ec, int) {
    if (!ec)
      stop();
  });
  net::http_limits limits;
  limits.max_body_bytes = max_form_bytes;
  limits.request_timeout = s->config.hub_timeout * 3;
  s->server = std::make_unique<net::http_server>(
      s->io, s->web_tls, limits,
      [s](net::http_request& r, const net::peer_info&) { return handle(*s, r); });
  auto port = s->server->listen(s->config.listen_host, s->config.listen_port);
  if (!port)
    return make_error(port.error().code, "config.listen: " + port.error().detail);
  s->port = *port;
  return ok();
}

std::string console_service::describe() const {
  const auto& c = state_->config;
  const auto host =
      c.listen_host.find(':') != std::string::npos ? "[" + c.listen_host + "]" : c.listen_host;
  return "console " + std::string(to_string(c.mode)) + " " + to_string(c.member) + " https://" +
         host + ":" + std::to_string(state_->port);
}

void console_service::run() {
  auto* s = state_.get();
  std::vector<std::thread> threads;
  for (int i = 1; i < s->config.threads; ++i)
    threads.emplace_back([s] { s->io.run(); });
  s->io.run();
  for (auto& th : threads)
    th.join();
}

void console_service::stop() {
  if (state_->server)
    state_->server->stop();
  state_->io.stop();
}

}  // namespace saphan::console
