// `saphan console`'s configuration file (JSON; paths relative to its folder). One command, two
// deployments: the auditor console (mode "auditor", run by a member of group auditor) and the
// citizen portal (mode "citizen", run by a member of group citizen-portal). Parsing checks shape,
// types and bounds and names the member at fault ("config.oidc.issuer: ..."); unknown members
// are refused, so a misspelt setting never silently falls back to a default.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/identifiers.hpp"
#include "core/result.hpp"
#include "net/endpoint.hpp"

namespace saphan::console {

inline constexpr std::size_t max_config_bytes = 64 * 1024;
inline constexpr std::size_t max_auditor_subjects = 256;

enum class console_mode { auditor, citizen };

struct oidc_settings {
  std::string issuer;  // exactly as the provider's discovery and ID tokens name it
  std::string client_id;
  std::string client_secret;  // read from clientSecretFile
  std::string ca_path;        // the CA the provider's TLS certificate must chain to
  std::string scopes = "openid profile saphan";
  // Auditors: a person is one when the roles claim holds auditor_role, or their sub is listed.
  std::string roles_claim = "saphan_roles";
  std::string auditor_role = "auditor";
  std::vector<std::string> auditor_subjects;
  // Citizens: the claim holding their Thai citizen ID.
  std::string citizen_id_claim = "citizen_id";
  std::chrono::seconds clock_skew{60};
};

struct session_settings {
  std::chrono::seconds idle{15 * 60};
  std::chrono::seconds absolute{8 * 60 * 60};
  std::size_t max_sessions = 10000;
};

struct console_config {
  std::string base_dir;
  console_mode mode = console_mode::auditor;
  member_id member;         // the member that runs this console (its TLS certificate names it)
  std::string listen_host;  // an IP address
  std::uint16_t listen_port = 0;
  std::string public_url;       // https://host:port as browsers reach it (redirect URIs start here)
  std::string web_certificate;  // HTTPS for people
  std::string web_key;
  net::endpoint hub;  // its member is hub_member
  member_id hub_member;
  std::string tls_certificate;  // mutual TLS to the hub, as `member`
  std::string tls_key;
  std::string tls_ca;
  oidc_settings oidc;
  session_settings session;
  std::string log_key_path;  // auditor: the log key the auditor pins (public JWK file)
  std::string web_dir;       // the console's own scripts and styles
  std::string chart_script;  // Chart.js's UMD build, installed by tools/setup from npm
  std::chrono::milliseconds hub_timeout{10000};
  std::uint64_t max_export_entries = 1000000;
  int threads = 2;
};

std::string_view to_string(console_mode mode);

// Errors: invalid_argument with a detail "config.<member>: <rule>", malformed_json,
// payload_too_large; io_error for a secret file that cannot be read.
result<console_config> parse_console_config(std::string_view text, const std::string& base_dir);

// Reads `path` (bounded) and parses it with the file's folder as base_dir.
result<console_config> read_console_config(const std::string& path);

}  // namespace saphan::console
