// `saphan ca`: creates the hub's certificate authority and issues member certificates.
#include <cstdio>
#include <map>
#include <string>

#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "core/identifiers.hpp"
#include "pki/pki.hpp"

namespace saphan::cli {
namespace {

constexpr const char* default_ca_name = "Saphan Hub CA";
constexpr int default_ca_days = 3650;
constexpr int default_certificate_days = 365;

constexpr const char* ca_usage =
    "usage: saphan ca <subcommand> [options]\n"
    "\n"
    "subcommands:\n"
    "  init    create the hub's certificate authority (ca.key, ca.crt)\n"
    "  issue   issue a member certificate and key signed by that CA\n"
    "\n"
    "Run `saphan ca <subcommand> --help` for its options.\n";

constexpr const char* init_usage =
    "--dir DIR [--name NAME] [--days N]\n"
    "\n"
    "Creates DIR (mode 0700) if needed and writes DIR/ca.key (mode 0600) and DIR/ca.crt:\n"
    "an ECDSA P-256 self-signed CA. An existing CA is never overwritten.\n"
    "\n"
    "  --dir DIR     directory for the CA files (required)\n"
    "  --name NAME   subject common name, 1..64 bytes (default \"Saphan Hub CA\")\n"
    "  --days N      validity in days, 1..7300 (default 3650)\n";

constexpr const char* issue_usage =
    "--dir DIR --member ID --out PREFIX [--days N] [--dns NAME]...\n"
    "                       [--ip ADDR]... [--force]\n"
    "\n"
    "Writes PREFIX.key (mode 0600) and PREFIX.crt: an ECDSA P-256 certificate signed by the\n"
    "CA in DIR, usable for TLS as client and server. The member identity is carried in the\n"
    "subjectAltName URI urn:saphan:member:ID.\n"
    "\n"
    "  --dir DIR       directory holding ca.key and ca.crt (required)\n"
    "  --member ID     member id INSTANCE/CLASS/CODE/SUBSYSTEM, e.g. TH/GOV/DOPA/civil-registry\n"
    "  --out PREFIX    output path prefix (required)\n"
    "  --days N        validity in days, 1..825 (default 365; never past the CA's expiry)\n"
    "  --dns NAME      DNS name for the certificate; repeatable; replaces the default localhost\n"
    "  --ip ADDR       IP address for the certificate; repeatable; replaces the default 127.0.0.1\n"
    "  --force         replace existing PREFIX.key/PREFIX.crt (key rotation)\n";

result<void> run_init(const parsed_args& args) {
  auto dir = SAPHAN_TRY(args.required("dir"));
  auto days = SAPHAN_TRY(days_option(args, default_ca_days, pki::max_ca_validity_days));
  std::string name = args.value("name").value_or(default_ca_name);

  auto created = SAPHAN_TRY(pki::create_ca(dir, name, days));
  std::printf(
      "created CA \"%s\", valid %d days\n  key:         %s (secret, mode 0600)\n"
      "  certificate: %s\n  sha256:      %s\n",
      name.c_str(), days, created.key_path.c_str(), created.certificate_path.c_str(),
      created.fingerprint.c_str());
  return ok();
}

pki::issue_options issue_options_from(const parsed_args& args) {
  pki::issue_options options;
  if (auto dns = args.values("dns"); !dns.empty())
    options.dns_names = std::move(dns);
  if (auto ip = args.values("ip"); !ip.empty())
    options.ip_addresses = std::move(ip);
  options.overwrite = args.flag("force");
  return options;
}

result<void> run_issue(const parsed_args& args) {
  auto dir = SAPHAN_TRY(args.required("dir"));
  auto member_text = SAPHAN_TRY(args.required("member"));
  auto out = SAPHAN_TRY(args.required("out"));
  auto member = parse_member_id(member_text);
  // A malformed --member is the caller's typo: a usage error (exit 2), not a failure.
  if (!member)
    return make_error(errc::invalid_argument, "--member: " + member.error().detail);
  auto days =
      SAPHAN_TRY(days_option(args, default_certificate_days, pki::max_certificate_validity_days));
  auto issued =
      SAPHAN_TRY(pki::issue_certificate(dir, *member, out, days, issue_options_from(args)));
  std::printf(
      "issued certificate for %s, valid %d days\n  key:         %s (secret, mode 0600)\n"
      "  certificate: %s\n  sha256:      %s\n",
      member_text.c_str(), days, issued.key_path.c_str(), issued.certificate_path.c_str(),
      issued.fingerprint.c_str());
  return ok();
}

const std::map<std::string, command_spec>& ca_commands() {
  static const std::map<std::string, command_spec> table = {
      {"init", {run_init, {"dir", "name", "days"}, init_usage}},
      {"issue", {run_issue, {"dir", "member", "out", "days", "dns", "ip"}, issue_usage, {"force"}}},
  };
  return table;
}

}  // namespace

int run_ca_command(const arguments& args) {
  return run_subcommand("ca", ca_commands(), ca_usage, args);
}

}  // namespace saphan::cli
