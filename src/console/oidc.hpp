// OpenID Connect for a relying party (Core 1.0, authorization code flow, PKCE S256 per RFC
// 7636): what discovery must say, the authorization request, the token answer, and the checks on
// an ID token (signature from the provider's JWKS; iss, aud, azp, nonce, exp, iat with a small
// skew), then who the person is for this console. All pure: the network is in oidc_client.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "console/config.hpp"
#include "console/session.hpp"
#include "core/result.hpp"
#include "core/time.hpp"

namespace saphan::console {

inline constexpr std::size_t max_discovery_bytes = 64 * 1024;
inline constexpr std::size_t max_token_answer_bytes = 64 * 1024;
// An ID token issued longer ago than this is refused even if it has not expired.
inline constexpr std::chrono::minutes max_id_token_age{10};

// An absolute https URL split for net::http_client: where to connect, and the request target.
struct https_url {
  std::string host;
  std::uint16_t port = 443;
  std::string target;  // path and query, "/" at least
};
// Errors: invalid_argument (not https, no host, a port out of range, a fragment, userinfo,
// control characters or spaces, over 2048 bytes).
result<https_url> parse_https_url(std::string_view url);

struct provider_metadata {
  std::string issuer;
  std::string authorization_endpoint;
  std::string token_endpoint;
  std::string jwks_uri;
  std::string end_session_endpoint;  // empty when the provider offers no RP-initiated logout
};

// Parses the discovery document: issuer must equal `expected_issuer` exactly (OpenID Connect
// Discovery 4.3), the endpoints must be https URLs, and where the document lists them, "code"
// must be a response type, S256 a code challenge method and client_secret_basic a token endpoint
// auth method. Errors: malformed_json, payload_too_large, invalid_argument naming the member.
result<provider_metadata> parse_discovery(std::string_view json, std::string_view expected_issuer);

// BASE64URL(SHA-256(verifier)), RFC 7636 4.2.
std::string pkce_challenge(std::string_view verifier);

// The authorization request URL: response_type=code, client_id, redirect_uri, scope, state,
// nonce, code_challenge, code_challenge_method=S256 (and ui_locales).
std::string authorization_url(const provider_metadata& op, const oidc_settings& settings,
                              std::string_view redirect_uri, const pending_login& login,
                              language lang);

// The token endpoint's form body for the code (the client authenticates with HTTP Basic).
std::string token_request_body(std::string_view code, std::string_view redirect_uri,
                               std::string_view code_verifier);
// "Basic base64(urlencode(client_id):urlencode(secret))" (RFC 6749 2.3.1).
std::string basic_authorization(const oidc_settings& settings);

// The id_token of a successful token answer. Errors: malformed_json, unauthenticated (an error
// answer, naming its error code; no id_token; token_type not Bearer).
result<std::string> id_token_of_token_answer(std::string_view json);

struct id_token_expectations {
  std::string issuer;
  std::string client_id;
  std::string nonce;
  timestamp now{};
  std::chrono::seconds skew{60};
};

struct id_token_claims {
  std::string sub;
  std::string name;
  std::optional<std::string> citizen_id;
  std::vector<std::string> roles;
};

// The claim checks of OpenID Connect Core 3.1.3.7 on a verified payload: iss equal, aud equal
// or an array holding client_id (and then azp equal to it when there are several), exp after
// now - skew, iat before now + skew and not older than max_id_token_age, nonce equal, sub
// 1..255 characters. `roles_claim` and `citizen_id_claim` name the extra claims read.
// Errors: unauthenticated naming the claim and the rule.
result<id_token_claims> check_id_token_claims(std::string_view payload_json,
                                              const id_token_expectations& expect,
                                              std::string_view roles_claim,
                                              std::string_view citizen_id_claim);

// The signature (RS256, ES256 or EdDSA, from `jwks_json`) and then the claims.
// Errors: those of crypto::verify_jws_with_jwks and check_id_token_claims.
result<id_token_claims> verify_id_token(std::string_view id_token, std::string_view jwks_json,
                                        const id_token_expectations& expect,
                                        std::string_view roles_claim,
                                        std::string_view citizen_id_claim);

// Who may use this console: an auditor (roles claim holds the auditor role, or the sub is
// listed) for mode auditor; a citizen with a valid Thai citizen ID claim for mode citizen.
// Errors: forbidden (not an auditor; no citizen ID claim), invalid_citizen_id.
result<person> admit_person(const id_token_claims& claims, const console_config& config,
                            std::string id_token);

// The provider's logout URL (RP-initiated logout 1.0): id_token_hint, post_logout_redirect_uri,
// client_id. Empty when the provider has no end_session_endpoint.
std::string logout_url(const provider_metadata& op, const oidc_settings& settings,
                       std::string_view id_token, std::string_view post_logout_redirect_uri);

}  // namespace saphan::console
