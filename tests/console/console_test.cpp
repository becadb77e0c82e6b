// The console's pure parts: escaping, sessions and CSRF, the OpenID Connect checks (fixed keys
// and a fixed clock), PKCE, the text tables, raw log entries and the configuration's refusals.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "console/config.hpp"
#include "console/html.hpp"
#include "console/i18n.hpp"
#include "console/log_entries.hpp"
#include "console/oidc.hpp"
#include "console/session.hpp"
#include "core/json.hpp"
#include "crypto/encoding.hpp"
#include "crypto/hash.hpp"
#include "crypto/jwks.hpp"
#include "crypto/keys.hpp"

using namespace saphan;
using namespace saphan::console;

namespace {

// RFC 7515 Appendix A.2: an RS256 JWS and its key.
constexpr std::string_view rfc7515_n =
    "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4"
    "QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMd"
    "bBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvU"
    "K-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ";
constexpr std::string_view rfc7515_jws =
    "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNv"
    "bS9pc19yb290Ijp0cnVlfQ.cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm"
    "4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6"
    "xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqv"
    "hJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw";

// RFC 8037 Appendix A.1: an Ed25519 key.
constexpr std::string_view rfc8037_d = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A";
constexpr std::string_view rfc8037_x = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";

constexpr std::string_view issuer = "https://127.0.0.1:8454";
constexpr std::string_view client = "saphan-auditor-console";
// 2026-01-01T00:00:00Z
constexpr std::int64_t epoch_now = 1767225600;

timestamp fixed_now() {
  return timestamp(std::chrono::seconds(epoch_now));
}

std::string rsa_jwks(std::string_view kid = "") {
  return std::string("{\"keys\":[{\"kty\":\"RSA\",") +
         (kid.empty() ? "" : "\"kid\":\"" + std::string(kid) + "\",") + "\"n\":\"" +
         std::string(rfc7515_n) + "\",\"e\":\"AQAB\"}]}";
}

std::string okp_jwks() {
  return "{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"kid\":\"k1\",\"x\":\"" +
         std::string(rfc8037_x) + "\"}]}";
}

// An EdDSA-signed ID token with these claims, as a provider would make it.
std::string sign_token(const std::string& payload, std::string_view kid = "k1") {
  auto keys = crypto::signing_key_from_seed(crypto::base64url_decode(rfc8037_d).value()).value();
  const auto header =
      crypto::base64url_encode("{\"alg\":\"EdDSA\",\"kid\":\"" + std::string(kid) + "\"}");
  const auto input = header + "." + crypto::base64url_encode(payload);
  return input + "." + crypto::base64url_encode(crypto::sign_ed25519(input, keys.secret_key));
}

std::string claims(std::int64_t iat, std::int64_t exp, std::string_view nonce = "n-123",
                   std::string aud = "\"saphan-auditor-console\"", std::string extra = "") {
  return "{\"iss\":\"" + std::string(issuer) + "\",\"sub\":\"auditor-1\",\"aud\":" + aud +
         ",\"iat\":" + std::to_string(iat) + ",\"exp\":" + std::to_string(exp) + ",\"nonce\":\"" +
         std::string(nonce) + "\",\"name\":\"A\",\"saphan_roles\":[\"auditor\"]" + extra + "}";
}

id_token_expectations expect(std::string nonce = "n-123") {
  return {std::string(issuer), std::string(client), std::move(nonce), fixed_now(),
          std::chrono::seconds(60)};
}

result<id_token_claims> check(const std::string& payload) {
  return check_id_token_claims(payload, expect(), "saphan_roles", "citizen_id");
}

}  // namespace

TEST_CASE("escape_html leaves nothing that can open a tag, attribute or script", "[console]") {
  CHECK(escape_html("<script>alert(1)</script>") == "&lt;script&gt;alert(1)&lt;/script&gt;");
  CHECK(escape_html("<img src=x onerror=\"alert('x')\">") ==
        "&lt;img src=x onerror=&quot;alert(&#39;x&#39;)&quot;&gt;");
  CHECK(escape_html("a & b") == "a &amp; b");
  CHECK(escape_html("ไทย") == "ไทย");
  CHECK(escape_html(std::string("a\0b\x01"
                                "c\td\n",
                                8)) == "abc\td\n");
  CHECK(escape_html("x\xff"
                    "y") == "x\xEF\xBF\xBDy");                   // not UTF-8: U+FFFD
  CHECK(escape_html("\xe0\xb8") == "\xEF\xBF\xBD\xEF\xBF\xBD");  // truncated sequence
}

TEST_CASE("readable_time shows the hub's UTC times to the second, other text as it was",
          "[console]") {
  CHECK(readable_time("2026-12-04T19:48:22.798098Z") == "2026-12-04 19:48:22 UTC");
  CHECK(readable_time("2026-12-04T19:48:22Z") == "2026-12-04 19:48:22 UTC");
  CHECK(readable_time("2026-12-04T19:48:22+07:00") == "2026-12-04T19:48:22+07:00");
  CHECK(readable_time("2026-12-04 19:48:22Z") == "2026-12-04 19:48:22Z");
  CHECK(readable_time("<b>2026</b>") == "<b>2026</b>");
  CHECK(readable_time("") == "");
}

TEST_CASE("url_encode and parse_query round-trip and refuse what does not decode", "[console]") {
  CHECK(url_encode("a b&c=d/é") == "a%20b%26c%3Dd%2F%C3%A9");
  std::map<std::string, std::string> got;
  auto put = [&](std::string n, std::string v) { got[n] = v; };
  REQUIRE(parse_query("a=1&b=x+y&c=%3Cs%3E&&d", put));
  CHECK(got ==
        std::map<std::string, std::string>{{"a", "1"}, {"b", "x y"}, {"c", "<s>"}, {"d", ""}});
  CHECK_FALSE(parse_query("a=%zz", put));
  CHECK_FALSE(parse_query("=1", put));
  CHECK_FALSE(parse_query("a=%ff", put));  // not UTF-8
  std::string many;
  for (int i = 0; i < 33; ++i)
    many += "k" + std::to_string(i) + "=1&";
  CHECK_FALSE(parse_query(many, put));
}

TEST_CASE("sessions expire when idle and at their absolute limit", "[console]") {
  session_settings settings{std::chrono::minutes(15), std::chrono::minutes(60), 2};
  session_table table(settings);
  const auto t0 = fixed_now();
  auto s = table.create({"sub", "name", "", ""}, t0).value();
  CHECK(s.id.size() == 43);
  CHECK(s.csrf.size() == 43);
  CHECK(s.id != s.csrf);
  CHECK(table.touch(s.id, t0 + std::chrono::minutes(14)));
  CHECK(table.touch(s.id, t0 + std::chrono::minutes(28)));  // idle counted from the last use
  CHECK(table.touch(s.id, t0 + std::chrono::minutes(42)));
  CHECK(table.touch(s.id, t0 + std::chrono::minutes(56)));
  CHECK_FALSE(table.touch(s.id, t0 + std::chrono::minutes(60)));  // absolute
  CHECK(table.size() == 0);

  auto idle = table.create({"sub", "", "", ""}, t0).value();
  CHECK_FALSE(table.touch(idle.id, t0 + std::chrono::minutes(15)));
  CHECK_FALSE(table.touch("not-a-session", t0));
  CHECK_FALSE(table.touch("", t0));
}

TEST_CASE("the session table is bounded and sign-out ends a session", "[console]") {
  session_table table({std::chrono::minutes(15), std::chrono::minutes(60), 2});
  const auto t0 = fixed_now();
  auto a = table.create({"a", "", "", ""}, t0).value();
  auto b = table.create({"b", "", "", ""}, t0).value();
  auto full = table.create({"c", "", "", ""}, t0);
  REQUIRE_FALSE(full);
  CHECK(full.code() == errc::overloaded);
  CHECK(table.touch(a.id, t0));  // nobody was pushed out
  CHECK(table.end(b.id));
  CHECK_FALSE(table.end(b.id));
  CHECK_FALSE(table.touch(b.id, t0));
  CHECK(table.create({"c", "", "", ""}, t0));
  // Expired sessions make room.
  CHECK(table.create({"d", "", "", ""}, t0 + std::chrono::minutes(61)));
}

TEST_CASE("CSRF tokens match only the session's own", "[console]") {
  session_table table({});
  auto s = table.create({"a", "", "", ""}, fixed_now()).value();
  auto other = table.create({"b", "", "", ""}, fixed_now()).value();
  CHECK(csrf_matches(s, s.csrf));
  CHECK_FALSE(csrf_matches(s, ""));
  CHECK_FALSE(csrf_matches(s, other.csrf));
  CHECK_FALSE(csrf_matches(s, s.csrf.substr(1)));
}

TEST_CASE("session cookies carry HttpOnly, Secure, SameSite=Strict and Path=/", "[console]") {
  CHECK(session_cookie_header("abc") ==
        "saphan_session=abc; HttpOnly; Secure; SameSite=Strict; Path=/");
  CHECK(clear_session_cookie_header().find("Max-Age=0") != std::string::npos);
  CHECK(cookie_value("a=1; saphan_session=xyz; b=2", "saphan_session") ==
        std::optional<std::string>("xyz"));
  CHECK_FALSE(cookie_value("a=1", "saphan_session"));
  CHECK_FALSE(cookie_value("saphan_session=1; saphan_session=2", "saphan_session"));
}

TEST_CASE("a pending sign-in is used once and expires", "[console]") {
  session_table table({});
  const auto t0 = fixed_now();
  auto login = table.begin_login(t0).value();
  CHECK(login.code_verifier.size() >= 43);
  CHECK(login.code_verifier.size() <= 128);
  CHECK(table.finish_login(login.state, t0 + std::chrono::minutes(1)));
  CHECK_FALSE(table.finish_login(login.state, t0 + std::chrono::minutes(1)));  // replayed
  auto late = table.begin_login(t0).value();
  CHECK_FALSE(table.finish_login(late.state, t0 + pending_login_lifetime));
  CHECK_FALSE(table.finish_login("unknown", t0));
}

TEST_CASE("PKCE S256 matches RFC 7636 Appendix B", "[console]") {
  CHECK(pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") ==
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}

TEST_CASE("the authorization request names code, PKCE S256, state and nonce", "[console]") {
  provider_metadata op{std::string(issuer), std::string(issuer) + "/auth",
                       std::string(issuer) + "/token", std::string(issuer) + "/jwks", ""};
  oidc_settings settings;
  settings.client_id = "client a";
  pending_login login{"st", "no", "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", fixed_now()};
  const auto url = authorization_url(op, settings, "https://c/auth/callback", login, language::th);
  CHECK(url.starts_with("https://127.0.0.1:8454/auth?response_type=code&client_id=client%20a&"));
  CHECK(url.find("redirect_uri=https%3A%2F%2Fc%2Fauth%2Fcallback") != std::string::npos);
  CHECK(url.find("&state=st&nonce=no&") != std::string::npos);
  CHECK(url.find("code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method="
                 "S256") != std::string::npos);
  CHECK(url.find("scope=openid%20profile%20saphan") != std::string::npos);
  settings.client_secret = "s:cret";
  CHECK(basic_authorization(settings) == "Basic " + crypto::base64_encode("client%20a:s%3Acret"));
}

TEST_CASE("discovery must name the configured issuer and https endpoints", "[console]") {
  const std::string good =
      "{\"issuer\":\"https://127.0.0.1:8454\",\"authorization_endpoint\":"
      "\"https://127.0.0.1:8454/auth\",\"token_endpoint\":\"https://127.0.0.1:8454/token\","
      "\"jwks_uri\":\"https://127.0.0.1:8454/jwks\",\"end_session_endpoint\":"
      "\"https://127.0.0.1:8454/session/end\",\"code_challenge_methods_supported\":[\"S256\"]}";
  auto op = parse_discovery(good, issuer);
  REQUIRE(op);
  CHECK(op->end_session_endpoint == "https://127.0.0.1:8454/session/end");
  CHECK_FALSE(parse_discovery(good, "https://127.0.0.1:9999"));
  auto plain = good;
  plain.replace(plain.find("https://127.0.0.1:8454/token"), 5, "http");
  CHECK_FALSE(parse_discovery(plain, issuer));
  auto no_s256 = good;
  no_s256.replace(no_s256.find("\"S256\""), 6, "\"plain\"");
  CHECK_FALSE(parse_discovery(no_s256, issuer));
  CHECK_FALSE(parse_discovery("[]", issuer));
  CHECK_FALSE(parse_discovery("{", issuer));
}

TEST_CASE("parse_https_url splits host, port and target and refuses the rest", "[console]") {
  auto u = parse_https_url("https://127.0.0.1:8454/token?x=1").value();
  CHECK(u.host == "127.0.0.1");
  CHECK(u.port == 8454);
  CHECK(u.target == "/token?x=1");
  CHECK(parse_https_url("https://localhost").value().target == "/");
  CHECK(parse_https_url("https://[::1]:9/a").value().host == "::1");
  for (auto bad : {"http://a/", "https://", "https://u@h/", "https://h:0/", "https://h:99999/",
                   "https://h/a b", "https://h/#f", "https://h:/"}) {
    CHECK_FALSE(parse_https_url(bad));
  }
}

TEST_CASE("token answers give their id_token or the provider's error", "[console]") {
  CHECK(id_token_of_token_answer("{\"token_type\":\"Bearer\",\"id_token\":\"a.b.c\"}").value() ==
        "a.b.c");
  CHECK(id_token_of_token_answer("{\"error\":\"invalid_grant\"}").code() == errc::unauthenticated);
  CHECK(id_token_of_token_answer("{\"token_type\":\"mac\",\"id_token\":\"a.b.c\"}").code() ==
        errc::unauthenticated);
  CHECK(id_token_of_token_answer("{\"token_type\":\"Bearer\"}").code() == errc::unauthenticated);
  CHECK_FALSE(id_token_of_token_answer("nope"));
}

TEST_CASE("RS256 verifies with the JWKS key (RFC 7515 A.2) and nothing else", "[console]") {
  auto v = crypto::verify_jws_with_jwks(rfc7515_jws, rsa_jwks(), {"RS256"});
  REQUIRE(v);
  CHECK(v->alg == "RS256");
  CHECK(v->payload.find("\"iss\":\"joe\"") != std::string::npos);
  // Not an accepted algorithm; a flipped signature bit; a key of another type; no keys.
  CHECK(crypto::verify_jws_with_jwks(rfc7515_jws, rsa_jwks(), {"ES256"}).code() ==
        errc::bad_signature);
  std::string flipped(rfc7515_jws);
  flipped[flipped.size() - 5] = flipped[flipped.size() - 5] == 'A' ? 'B' : 'A';
  CHECK(crypto::verify_jws_with_jwks(flipped, rsa_jwks(), {"RS256"}).code() == errc::bad_signature);
  CHECK(crypto::verify_jws_with_jwks(rfc7515_jws, okp_jwks(), {"RS256"}).code() ==
        errc::bad_signature);
  CHECK(crypto::verify_jws_with_jwks(rfc7515_jws, "{\"keys\":[]}", {"RS256"}).code() ==
        errc::bad_signature);
  // alg "none" is never accepted.
  const auto none =
      crypto::base64url_encode("{\"alg\":\"none\"}") + "." + crypto::base64url_encode("{}") + ".";
  CHECK_FALSE(crypto::verify_jws_with_jwks(none, rsa_jwks(), {"RS256", "ES256", "EdDSA"}));
  CHECK_FALSE(crypto::verify_jws_with_jwks("a.b", rsa_jwks(), {"RS256"}));
  CHECK_FALSE(crypto::verify_jws_with_jwks(rfc7515_jws, "{\"keys\":{}}", {"RS256"}));
}

TEST_CASE("an ID token is checked for signature, iss, aud, nonce, exp and iat", "[console]") {
  const auto good = claims(epoch_now - 5, epoch_now + 300);
  auto verified =
      verify_id_token(sign_token(good), okp_jwks(), expect(), "saphan_roles", "citizen_id");
  REQUIRE(verified);
  CHECK(verified->sub == "auditor-1");
  CHECK(verified->roles == std::vector<std::string>{"auditor"});
  // Signed by a key the provider did not publish under that kid.
  CHECK(verify_id_token(sign_token(good, "k2"), okp_jwks(), expect(), "saphan_roles", "citizen_id")
            .code() == errc::bad_signature);
  CHECK(check(good));
  CHECK(check(claims(epoch_now - 5, epoch_now - 61)).code() == errc::unauthenticated);  // expired
  CHECK(check(claims(epoch_now - 5, epoch_now - 30)));  // within skew
  CHECK(check(claims(epoch_now + 61, epoch_now + 300)).code() == errc::unauthenticated);  // future
  CHECK(check(claims(epoch_now - 11 * 60 - 61, epoch_now + 300)).code() ==
        errc::unauthenticated);  // old
  CHECK(check(claims(epoch_now, epoch_now + 300, "other")).code() == errc::unauthenticated);
  CHECK(check(claims(epoch_now, epoch_now + 300, "n-123", "\"someone-else\"")).code() ==
        errc::unauthenticated);
  CHECK(check(claims(epoch_now, epoch_now + 300, "n-123", "[\"saphan-auditor-console\"]")));
  // Several audiences: azp must name this console.
  CHECK_FALSE(
      check(claims(epoch_now, epoch_now + 300, "n-123", "[\"saphan-auditor-console\",\"x\"]")));
  CHECK(check(claims(epoch_now, epoch_now + 300, "n-123", "[\"saphan-auditor-console\",\"x\"]",
                     ",\"azp\":\"saphan-auditor-console\"")));
  auto other_issuer = good;
  other_issuer.replace(other_issuer.find("8454"), 4, "9999");
  CHECK(check(other_issuer).code() == errc::unauthenticated);
  CHECK_FALSE(check("{\"iss\":\"https://127.0.0.1:8454\"}"));
  CHECK_FALSE(check("not json"));
}

TEST_CASE("auditors by role or list; citizens by a valid citizen ID claim", "[console]") {
  console_config config;
  config.mode = console_mode::auditor;
  id_token_claims c{"s-1", "Name", std::nullopt, {"auditor"}};
  CHECK(admit_person(c, config, "tok"));
  c.roles = {"clerk"};
  CHECK(admit_person(c, config, "tok").code() == errc::forbidden);
  config.oidc.auditor_subjects = {"s-1"};
  CHECK(admit_person(c, config, "tok"));

  config.mode = console_mode::citizen;
  CHECK(admit_person(c, config, "tok").code() == errc::forbidden);  // no citizen ID
  c.citizen_id = "1234567890123";
  CHECK(admit_person(c, config, "tok").code() == errc::invalid_citizen_id);
  c.citizen_id = "1234567890121";
  auto who = admit_person(c, config, "tok");
  REQUIRE(who);
  CHECK(who->citizen_id == "1234567890121");
}

TEST_CASE("both text tables are complete, in order and non-empty", "[console]") {
  for (auto table : {english_texts(), thai_texts()}) {
    REQUIRE(table.size() == text_count);
    for (std::size_t i = 0; i < table.size(); ++i) {
      CHECK(static_cast<std::size_t>(table[i].key) == i);
      CHECK_FALSE(table[i].value.empty());
      CHECK(is_utf8(table[i].value));
    }
  }
  CHECK(tr(language::th, text::sign_in) != tr(language::en, text::sign_in));
  CHECK(parse_language("th") == language::th);
  CHECK(parse_language("xx") == language::en);
}

TEST_CASE("log pages give each entry's exact bytes", "[console]") {
  // Spacing and escapes as stored: a re-serialisation would lose them, and the leaf hash with it.
  const std::string first = "{\"kind\":\"a\",  \"x\":\"\\u003c\",\"n\":{\"m\":[1,2]}}";
  const std::string body = "{\"entries\":[{\"index\":7,\"entry\":" + first +
                           "},{\"index\":8,\"entryText\":\"plain \\\"text\\\"\"},{\"index\":9,"
                           "\"leafHash\":\"AAAA\"}],\"next\":10}";
  auto page = read_entries_page(body);
  REQUIRE(page);
  REQUIRE(page->entries.size() == 3);
  CHECK(page->entries[0].index == 7);
  CHECK(page->entries[0].bytes == first);
  CHECK(page->entries[1].bytes == "plain \"text\"");
  CHECK(page->entries[1].readable);
  CHECK_FALSE(page->entries[2].readable);
  CHECK(page->next == std::optional<std::uint64_t>(10));
  CHECK_FALSE(read_entries_page("{\"entries\":[}"));
  CHECK_FALSE(read_entries_page("[]"));
  auto line = export_entry_line(page->entries[0]).value();
  auto doc = parse_json(line).value();
  CHECK(std::string(doc["entry"].GetString()) == first);
  CHECK_FALSE(export_entry_line({1, "\xff", true}));
}

namespace {

struct config_dir {
  std::filesystem::path dir;
  config_dir() {
    dir = std::filesystem::temp_directory_path() /
          ("saphan-console-config-" + crypto::hex_encode(crypto::random_bytes(6)));
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "client.secret") << "0123456789abcdef0123\n";
  }
  ~config_dir() { std::filesystem::remove_all(dir); }
};

std::string config_text(const std::string& change_from = "", const std::string& change_to = "") {
  std::string text = R"({"mode":"auditor","member":"TH/GOV/OAG/audit","listen":"127.0.0.1:0",
    "publicUrl":"https://127.0.0.1:8452",
    "web":{"certificate":"w.crt","key":"w.key","assets":"web","chartScript":"chart.js"},
    "hub":{"url":"https://127.0.0.1:8440","member":"TH/GOV/SAPHAN/hub"},
    "tls":{"certificate":"oag.crt","key":"oag.key","ca":"ca.crt"},
    "oidc":{"issuer":"https://127.0.0.1:8454","clientId":"c","clientSecretFile":"client.secret","ca":"ca.crt"},
    "session":{"idleMinutes":10,"absoluteMinutes":60},
    "logKey":"log.pub.jwk"})";
  if (!change_from.empty()) {
    auto at = text.find(change_from);
    REQUIRE(at != std::string::npos);
    text.replace(at, change_from.size(), change_to);
  }
  return text;
}

}  // namespace

TEST_CASE("the console config is read with its defaults and paths resolved", "[console]") {
  config_dir d;
  auto c = parse_console_config(config_text(), d.dir.string());
  REQUIRE(c);
  CHECK(c->mode == console_mode::auditor);
  CHECK(c->oidc.client_secret == "0123456789abcdef0123");
  CHECK(c->session.idle == std::chrono::minutes(10));
  CHECK(c->oidc.roles_claim == "saphan_roles");
  CHECK(c->log_key_path == (d.dir / "log.pub.jwk").string());
  CHECK(c->hub.member);
}

TEST_CASE("the console config refuses bad input, naming the member", "[console]") {
  config_dir d;
  auto refused = [&](const std::string& from, const std::string& to, std::string_view where) {
    auto c = parse_console_config(config_text(from, to), d.dir.string());
    REQUIRE_FALSE(c);
    CHECK(c.error().detail.find(where) != std::string::npos);
  };
  refused("\"mode\":\"auditor\"", "\"mode\":\"admin\"", "config.mode");
  refused("\"mode\":\"auditor\"", "\"mode\":\"auditor\",\"modes\":1", "config.modes");
  refused("127.0.0.1:0", "localhost:80", "config.listen");
  refused("127.0.0.1:0", "127.0.0.1:70000", "config.listen");
  refused("\"publicUrl\":\"https://127.0.0.1:8452\"", "\"publicUrl\":\"http://127.0.0.1:8452\"",
          "publicUrl");
  refused("\"issuer\":\"https://127.0.0.1:8454\"", "\"issuer\":\"https://127.0.0.1:8454/x\"",
          "issuer");
  refused("\"clientSecretFile\":\"client.secret\"", "\"clientSecretFile\":\"missing\"",
          "clientSecretFile");
  refused("\"idleMinutes\":10", "\"idleMinutes\":0", "idleMinutes");
  refused("\"absoluteMinutes\":60", "\"absoluteMinutes\":5", "absoluteMinutes");
  refused("\"member\":\"TH/GOV/OAG/audit\"", "\"member\":\"nobody\"", "config.member");
  refused(",\n    \"logKey\":\"log.pub.jwk\"", "", "logKey");  // an auditor pins the log key
  refused("\"clientId\":\"c\"", "\"clientId\":\"\"", "clientId");
  refused("\"hub\":{", "\"hub\":{\"extra\":1,", "config.hub.extra");
  CHECK_FALSE(parse_console_config("{", d.dir.string()));
  CHECK_FALSE(parse_console_config(std::string(70 * 1024, ' '), d.dir.string()));
}
