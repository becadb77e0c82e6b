// `saphan demo init`: a complete demo hub in one directory.
//
//   DIR/demo.env                  shell variables for tools/run and tools/demo (ports, subject)
//   DIR/pki/ca.crt, ca.key        the demo CA; <code>.crt/.key per member, hub.crt/.key
//   DIR/hub/                      the hub directory (store.db, keys/, hub.json)
//   DIR/schemas/                  the dataset schemas the providers validate against
//   DIR/data/<code>.db            each provider's records (SQLite, one table per dataset)
//   DIR/members/<code>/           connector.json and keys/ (signing, pseudonym; a consumer's
//                                 keys/consumer-api.token, the bearer token of its local API)
//   DIR/console/                  auditor.json and portal.json (saphan console), client secrets
//   DIR/oidc/                     clients.json and users.json of the demo OpenID provider
//   DIR/pki/web.crt, web.key      HTTPS of the console, the portal and the OpenID provider
//   DIR/logs/                     where tools/run writes the processes' logs
//
// Everything is built in DIR.tmp and renamed to DIR at the end, so a failed init leaves no
// half-made demo behind. Ports: hub = base, providers DOPA/DBD/DOE/RTP = base+1..base+4,
// consumer APIs JFO = base+10, RTP = base+11, auditor console base+12, citizen portal base+13,
// the OpenID provider base+14.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/identifiers.hpp"
#include "core/result.hpp"

namespace saphan::demo {

inline constexpr std::uint16_t min_base_port = 1024;
inline constexpr std::uint16_t max_base_port = 65535 - 20;
inline constexpr std::string_view hub_member_text = "TH/GOV/SAPHAN/hub";
// A consumer member's local API token (mode 0600), relative to its members/<code>/ folder.
inline constexpr std::string_view consumer_token_file = "keys/consumer-api.token";

struct demo_options {
  std::string dir;
  std::string config_dir;   // holds members/*.json and datasets/*.json
  std::string schemas_dir;  // the schema files the datasets name
  // The repository: the consoles serve their page assets from it (src/console/web, and
  // Chart.js under tools/console-assets, installed by tools/setup).
  std::string source_dir = ".";
  std::size_t persons = 10000;
  std::uint64_t seed = 2026;
  std::uint16_t base_port = 8440;
  // The hub's store: empty for the SQLite file hub/store.db, or a postgresql:// URL of an empty
  // database (hub.json then names it, and every hub node started on the folder shares it).
  std::string store;
};

// The part a member plays in the demo; offsets are added to the base port (0: not this role).
struct demo_role {
  std::string_view code;
  int provider_offset = 0;
  int consumer_offset = 0;
  int notify_offset = 0;  // the consumer connector's notification listener (hub.json "notify")
};

// The role of the member with `code` (DOPA, DBD, DOE, RTP, JFO), if it has one.
std::optional<demo_role> find_demo_role(std::string_view code);

// "TH/GOV/DOPA/civil-registry" -> "dopa": the folder and file name used for a member.
std::string member_slug(const member_id& member);

// "citizenId" -> "citizen_id", "house-registration" -> "house_registration".
std::string to_snake_case(std::string_view name);

// Checks persons, base port and that the directories are given.
// Errors: invalid_argument naming the option.
result<void> validate_demo_options(const demo_options& options);

// True when `dir` already holds a finished demo (its demo.env).
bool holds_demo(const std::string& dir);

using progress_fn = std::function<void(const std::string&)>;

// Errors: already_exists (DIR holds a demo, or is a non-empty directory), invalid_argument,
// io_error, and the errors of the config, PKI, key and store functions it calls.
result<void> init_demo(const demo_options& options, const progress_fn& progress);

}  // namespace saphan::demo
