// `saphan ca`: creates the hub's certificate authority and issues member certificates.
#include <cstdio>
#include <string>

#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "core/identifiers.hpp"
#include "pki/pki.hpp"

namespace saphan::cli {
namespace {

constexpr const char* command_name = "ca";
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
    "usage: saphan ca init --dir DIR [--name NAME] [--days N]\n"
    "\n"
    "Creates DIR (mode 0700) if needed and writes DIR/ca.key (mode 0600) and DIR/ca.crt:\n"
    "an ECDSA P-256 self-signed CA. An existing CA is never overwritten.\n"
    "\n"
    "  --dir DIR     directory for the CA files (required)\n"
    "  --name NAME   subject common name, 1..64 bytes (default \"Saphan Hub CA\")\n"
    "  --days N      validity in days, 1..7300 (default 3650)\n";

constexpr const char* issue_usage =
    "usage: saphan ca issue --dir DIR --member ID --out PREFIX [--days N] [--dns NAME]...\n"
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

error usage_error(std::string detail) {
  return make_error(errc::invalid_argument, std::move(detail));
}

// "--days": whole decimal days within 1..max_days; anything else is a usage error.
result<int> parse_days(const parsed_args& args, int fallback, int max_days) {
  auto text = args.value("days");
  if (!text)
    return fallback;
  std::string rule = "--days: must be a whole number of days, 1.." + std::to_string(max_days);
  if (text->empty() || text->size() > 5)
    return usage_error(rule);
  int days = 0;
  for (char c : *text) {
    if (c < '0' || c > '9')
      return usage_error(rule);
    days = days * 10 + (c - '0');
  }
  if (days < 1 || days > max_days)
    return usage_error(rule + ", got " + *text);
  return days;
}

result<void> reject_positionals(const parsed_args& args) {
  if (!args.positionals().empty()) {
    return usage_error("unexpected argument '" + args.positionals().front() + "'");
  }
  return ok();
}

int run_init(const arguments& args) {
  option_spec spec{{"dir", "name", "days"}, {"help"}};
  auto parsed = parsed_args::parse(args, spec);
  if (!parsed)
    return report_error(command_name, parsed.error());
  if (parsed->flag("help")) {
    std::fputs(init_usage, stdout);
    return 0;
  }
  if (auto r = reject_positionals(*parsed); !r)
    return report_error(command_name, r.error());
  auto dir = parsed->required("dir");
  if (!dir)
    return report_error(command_name, dir.error());
  auto days = parse_days(*parsed, default_ca_days, pki::max_ca_validity_days);
  if (!days)
    return report_error(command_name, days.error());
  std::string name = parsed->value("name").value_or(default_ca_name);

  auto created = pki::create_ca(*dir, name, *days);
  if (!created)
    return report_error(command_name, created.error());
  std::printf(
      "created CA \"%s\", valid %d days\n  key:         %s (secret, mode 0600)\n"
      "  certificate: %s\n  sha256:      %s\n",
      name.c_str(), *days, created->key_path.c_str(), created->certificate_path.c_str(),
      created->fingerprint.c_str());
  return 0;
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

int run_issue(const arguments& args) {
  option_spec spec{{"dir", "member", "out", "days", "dns", "ip"}, {"help", "force"}};
  auto parsed = parsed_args::parse(args, spec);
  if (!parsed)
    return report_error(command_name, parsed.error());
  if (parsed->flag("help")) {
    std::fputs(issue_usage, stdout);
    return 0;
  }
  if (auto r = reject_positionals(*parsed); !r)
    return report_error(command_name, r.error());
  auto dir = parsed->required("dir");
  if (!dir)
    return report_error(command_name, dir.error());
  auto member_text = parsed->required("member");
  if (!member_text)
    return report_error(command_name, member_text.error());
  auto out = parsed->required("out");
  if (!out)
    return report_error(command_name, out.error());
  auto member = parse_member_id(*member_text);
  // A malformed --member is the caller's typo: a usage error (exit 2), not a failure.
  if (!member)
    return report_error(command_name, usage_error("--member: " + member.error().detail));
  auto days = parse_days(*parsed, default_certificate_days, pki::max_certificate_validity_days);
  if (!days)
    return report_error(command_name, days.error());
  auto issued = pki::issue_certificate(*dir, *member, *out, *days, issue_options_from(*parsed));
  if (!issued)
    return report_error(command_name, issued.error());
  std::printf(
      "issued certificate for %s, valid %d days\n  key:         %s (secret, mode 0600)\n"
      "  certificate: %s\n  sha256:      %s\n",
      member_text->c_str(), *days, issued->key_path.c_str(), issued->certificate_path.c_str(),
      issued->fingerprint.c_str());
  return 0;
}

bool is_help(const std::string& arg) {
  return arg == "--help" || arg == "-h" || arg == "help";
}

}  // namespace

int run_ca_command(const arguments& args) {
  if (args.empty()) {
    std::fputs(ca_usage, stderr);
    return report_error(command_name, usage_error("missing subcommand (init or issue)"));
  }
  if (is_help(args.front())) {
    std::fputs(ca_usage, stdout);
    return 0;
  }
  arguments rest(args.begin() + 1, args.end());
  if (args.front() == "init")
    return run_init(rest);
  if (args.front() == "issue")
    return run_issue(rest);
  return report_error(command_name, usage_error("unknown subcommand '" + args.front() +
                                                "' (expected init or issue)"));
}

}  // namespace saphan::cli
