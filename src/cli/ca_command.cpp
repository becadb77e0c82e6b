// `saphan ca`: creates the hub's certificate authority and issues member certificates.
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>

#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "core/identifiers.hpp"
#include "crypto/keys.hpp"
#include "pki/pki.hpp"
#include "pki/trust.hpp"

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
    "  issue   issue a member's TLS certificate and key, or certify its signing key\n"
    "  revoke  revoke certificates (by serial or member) and write the CRL (ca.crl)\n"
    "  list    list the certificates the CA issued, and which are revoked\n"
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
    "                       [--ip ADDR]... [--signing-key FILE] [--force]\n"
    "\n"
    "Writes PREFIX.key (mode 0600) and PREFIX.crt: an ECDSA P-256 certificate signed by the\n"
    "CA in DIR, usable for TLS as client and server. The member identity is carried in the\n"
    "subjectAltName URI urn:saphan:member:ID.\n"
    "With --signing-key, certifies that Ed25519 public key (a JWK file; the member keeps the\n"
    "secret half) instead: PREFIX.crt only, for signatures only (keyUsage digitalSignature,\n"
    "no TLS use). Every signature the member makes carries it (JWS x5c).\n"
    "\n"
    "  --dir DIR       directory holding ca.key and ca.crt (required)\n"
    "  --member ID     member id INSTANCE/CLASS/CODE/SUBSYSTEM, e.g. TH/GOV/DOPA/civil-registry\n"
    "  --out PREFIX    output path prefix (required)\n"
    "  --days N        validity in days, 1..825 (default 365; never past the CA's expiry)\n"
    "  --dns NAME      DNS name for the certificate; repeatable; replaces the default localhost\n"
    "  --ip ADDR       IP address for the certificate; repeatable; replaces the default 127.0.0.1\n"
    "  --signing-key FILE  the member's Ed25519 signing key (public JWK) to certify\n"
    "  --force         replace existing PREFIX.key/PREFIX.crt (key rotation)\n";

constexpr const char* revoke_usage =
    "--dir DIR [--serial HEX]... [--member ID] [--crl-days N]\n"
    "\n"
    "Adds the certificates to the CA's revocation list and writes DIR/ca.crl, signed by the CA\n"
    "and valid N days (default 7): by serial (as `saphan ca list` prints it), or every unexpired\n"
    "certificate the CA issued to the member. With neither, renews the CRL as it is. The hub\n"
    "and the connectors load the CRL again within a second of it changing; from then on a\n"
    "revoked certificate is refused (certificate_revoked).\n";

constexpr const char* list_usage =
    "--dir DIR\n"
    "\n"
    "Lists what the CA in DIR issued: serial, kind (tls, signing, tsa), member, expiry, and\n"
    "whether its CRL revokes it.\n";

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
  if (auto key_path = args.value("signing-key")) {
    auto key = crypto::read_ed25519_public_key_file(*key_path);
    if (!key)
      return make_error(key.error().code, "--signing-key: " + key.error().detail);
    auto certified = SAPHAN_TRY(pki::issue_signing_certificate(
        dir, *member, key->key.view(), out + ".crt", days, args.flag("force")));
    std::printf(
        "certified the signing key %s of %s, valid %d days\n  certificate: %s\n  sha256:      "
        "%s\n",
        key->kid.c_str(), member_text.c_str(), days, certified.certificate_path.c_str(),
        certified.fingerprint.c_str());
    return ok();
  }
  auto issued =
      SAPHAN_TRY(pki::issue_certificate(dir, *member, out, days, issue_options_from(args)));
  std::printf(
      "issued certificate for %s, valid %d days\n  key:         %s (secret, mode 0600)\n"
      "  certificate: %s\n  sha256:      %s\n",
      member_text.c_str(), days, issued.key_path.c_str(), issued.certificate_path.c_str(),
      issued.fingerprint.c_str());
  return ok();
}

result<void> run_revoke(const parsed_args& args) {
  auto dir = SAPHAN_TRY(args.required("dir"));
  pki::revoke_request request;
  request.serials = args.values("serial");
  if (auto text = args.value("member")) {
    auto member = parse_member_id(*text);
    if (!member)
      return make_error(errc::invalid_argument, "--member: " + member.error().detail);
    request.member = *member;
  }
  request.crl_days =
      SAPHAN_TRY(days_option(args, pki::default_crl_days, pki::max_crl_validity_days, "crl-days"));
  auto done = SAPHAN_TRY(pki::revoke_certificates(dir, request, now_utc()));
  for (const auto& serial : done.serials)
    std::printf("revoked %s\n", serial.c_str());
  std::printf("wrote %s: %zu revoked, next update %s\n", done.crl_path.c_str(), done.listed,
              format_rfc3339(done.next_update).c_str());
  return ok();
}

result<void> run_list(const parsed_args& args) {
  auto dir = SAPHAN_TRY(args.required("dir"));
  auto issued = SAPHAN_TRY(pki::read_issued(dir));
  const auto crl = dir + "/" + std::string(pki::crl_file);
  std::error_code ec;
  auto trust =
      SAPHAN_TRY(pki::trust_store::load({dir + "/" + std::string(pki::ca_certificate_file),
                                         std::filesystem::exists(crl, ec) ? crl : std::string()}));
  for (const auto& r : issued) {
    std::printf("%s  %-7s  %-40s  until %s%s\n", r.serial.c_str(), r.kind.c_str(),
                r.member.empty() ? "-" : r.member.c_str(), format_rfc3339(r.not_after).c_str(),
                trust->revoked_serial(r.serial) ? "  REVOKED" : "");
  }
  return ok();
}

const std::map<std::string, command_spec>& ca_commands() {
  static const std::map<std::string, command_spec> table = {
      {"init", {run_init, {"dir", "name", "days"}, init_usage}},
      {"issue",
       {run_issue,
        {"dir", "member", "out", "days", "dns", "ip", "signing-key"},
        issue_usage,
        {"force"}}},
      {"revoke", {run_revoke, {"dir", "serial", "member", "crl-days"}, revoke_usage}},
      {"list", {run_list, {"dir"}, list_usage}},
  };
  return table;
}

}  // namespace

int run_ca_command(const arguments& args) {
  return run_subcommand("ca", ca_commands(), ca_usage, args);
}

}  // namespace saphan::cli
