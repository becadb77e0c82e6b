// `saphan tsa`: a small RFC 3161 time-stamping authority for the demo and the tests.
// Production points the hub at a national TSA instead.
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <system_error>

#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "core/files.hpp"
#include "net/http.hpp"
#include "pki/pki.hpp"
#include "tsa/http.hpp"

namespace saphan::cli {
namespace {

namespace fs = std::filesystem;

constexpr const char* default_tsa_name = "Saphan Demo TSA";
constexpr const char* default_root_name = "Saphan Demo TSA Root";
constexpr int default_root_days = 3650;
constexpr int default_tsa_days = 1825;
constexpr const char* tsa_prefix = "tsa";  // DIR/tsa.key, DIR/tsa.crt

constexpr const char* tsa_usage =
    "usage: saphan tsa <subcommand> [options]\n"
    "\n"
    "A small RFC 3161 time-stamping authority (TSA) for the demo and the tests.\n"
    "\n"
    "subcommands:\n"
    "  init    create the TSA's key and certificate\n"
    "  serve   answer time-stamp queries over HTTP\n"
    "\n"
    "Run `saphan tsa <subcommand> --help` for its options.\n";

constexpr const char* init_usage =
    "--dir DIR [--ca CA_DIR] [--name NAME] [--days N]\n"
    "\n"
    "Writes DIR/tsa.key (mode 0600) and DIR/tsa.crt: an ECDSA P-256 certificate with the\n"
    "critical extendedKeyUsage timeStamping that RFC 3161 requires. With --ca, the certificate\n"
    "is issued by the CA in CA_DIR and CA_DIR/ca.crt is copied to DIR/ca.crt; without, a\n"
    "self-signed TSA root is created first in DIR (ca.key, ca.crt). Verifiers trust DIR/ca.crt.\n"
    "\n"
    "  --dir DIR      directory for the TSA files (required; created with mode 0700)\n"
    "  --ca CA_DIR    issue from this CA (ca.key, ca.crt), e.g. the hub's CA\n"
    "  --name NAME    TSA certificate common name, 1..64 bytes (default \"Saphan Demo TSA\")\n"
    "  --days N       TSA certificate validity, 1..3650 days (default 1825; never past the CA)\n";

constexpr const char* serve_usage =
    "--dir DIR --listen HOST:PORT [--policy OID]\n"
    "\n"
    "Answers RFC 3161 time-stamp queries: POST / with Content-Type application/timestamp-query\n"
    "gets an application/timestamp-reply (SHA-256 imprints only, accuracy 1 s, random 128-bit\n"
    "serials, the TSA certificate included when asked). Plain HTTP: tokens are signed, so they\n"
    "authenticate themselves. Prints \"tsa listening on http://HOST:PORT\" once ready; stops on\n"
    "SIGINT or SIGTERM.\n"
    "\n"
    "  --dir DIR            directory made by `saphan tsa init` (tsa.key, tsa.crt)\n"
    "  --listen HOST:PORT   address to bind, e.g. 127.0.0.1:3180; port 0 picks a free port\n"
    "  --policy OID         TSA policy OID (default 1.3.6.1.4.1.55555.1.1, a placeholder)\n";

error usage_error(std::string detail) {
  return make_error(errc::invalid_argument, std::move(detail));
}

struct listen_address {
  std::string host;
  std::uint16_t port = 0;
};

// "HOST:PORT" or "[IPv6]:PORT"; the port is 0..65535, 0 meaning any free port.
result<listen_address> parse_listen(const std::string& text) {
  std::string rule =
      "--listen: must be HOST:PORT with PORT 0..65535, got '" + text.substr(0, 64) + "'";
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size() ||
      text.size() - colon - 1 > 5) {
    return usage_error(rule);
  }
  std::string host = text.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  unsigned port = 0;
  for (char c : text.substr(colon + 1)) {
    if (c < '0' || c > '9')
      return usage_error(rule);
    port = port * 10 + static_cast<unsigned>(c - '0');
  }
  if (port > 65535)
    return usage_error(rule);
  return listen_address{host, static_cast<std::uint16_t>(port)};
}

std::string in_dir(const std::string& dir, std::string_view file) {
  return (fs::path(dir) / file).string();
}

bool exists(const std::string& path) {
  std::error_code ec;
  return fs::symlink_status(path, ec).type() != fs::file_type::not_found;
}

bool same_directory(const std::string& a, const std::string& b) {
  std::error_code ec;
  return fs::equivalent(a, b, ec) && !ec;
}

// Checked before anything is written, so a refused init leaves DIR as it was.
result<void> refuse_existing(const std::string& dir, const std::optional<std::string>& ca_dir) {
  std::string key = in_dir(dir, std::string(tsa_prefix) + ".key");
  std::string cert = in_dir(dir, std::string(tsa_prefix) + ".crt");
  for (const auto& path : {key, cert}) {
    if (exists(path))
      return make_error(errc::already_exists, path + ": a TSA exists here");
  }
  if (ca_dir && !same_directory(dir, *ca_dir) && exists(in_dir(dir, pki::ca_certificate_file))) {
    return make_error(errc::already_exists,
                      in_dir(dir, pki::ca_certificate_file) + ": exists; refusing to replace it");
  }
  return ok();
}

result<void> make_private_directory(const std::string& dir) {
  std::error_code ec;
  if (fs::is_directory(dir, ec))
    return ok();
  if (!fs::create_directories(dir, ec) || ec)
    return make_error(errc::io_error, dir + ": cannot create directory: " + ec.message());
  fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
  if (ec)
    return make_error(errc::io_error, dir + ": cannot set mode 0700: " + ec.message());
  return ok();
}

// The directory whose CA issues the TSA certificate: CA_DIR (its ca.crt copied next to the TSA
// so verifiers find the anchor in DIR), or a new self-signed root in DIR.
result<std::string> prepare_issuer(const std::string& dir,
                                   const std::optional<std::string>& ca_dir) {
  if (!ca_dir) {
    SAPHAN_TRY_VOID(pki::create_ca(dir, default_root_name, default_root_days));
    return dir;
  }
  if (same_directory(dir, *ca_dir))
    return *ca_dir;
  auto anchor =
      SAPHAN_TRY(read_file(in_dir(*ca_dir, pki::ca_certificate_file), pki::max_pem_bytes));
  SAPHAN_TRY_VOID(make_private_directory(dir));
  SAPHAN_TRY_VOID(write_file_atomic(in_dir(dir, pki::ca_certificate_file), anchor, 0644));
  return *ca_dir;
}

result<void> run_init(const parsed_args& args) {
  auto dir = SAPHAN_TRY(args.required("dir"));
  auto days =
      SAPHAN_TRY(days_option(args, default_tsa_days, pki::max_tsa_certificate_validity_days));
  auto ca_dir = args.value("ca");
  std::string name = args.value("name").value_or(default_tsa_name);
  SAPHAN_TRY_VOID(refuse_existing(dir, ca_dir));
  auto issuer = SAPHAN_TRY(prepare_issuer(dir, ca_dir));
  auto issued =
      SAPHAN_TRY(pki::issue_tsa_certificate(issuer, name, in_dir(dir, tsa_prefix), days, false));
  std::printf(
      "created TSA \"%s\", valid %d days\n  key:         %s (secret, mode 0600)\n"
      "  certificate: %s\n  trust:       %s\n  sha256:      %s\n",
      name.c_str(), days, issued.key_path.c_str(), issued.certificate_path.c_str(),
      in_dir(dir, pki::ca_certificate_file).c_str(), issued.fingerprint.c_str());
  return ok();
}

result<void> serve(const std::string& dir, const listen_address& where, tsa::tsa_signer signer) {
  net::asio::io_context io;
  net::http_server server(io, nullptr, tsa::server_limits(),
                          tsa::make_handler(std::move(signer), tsa::random_serials()));
  auto port = SAPHAN_TRY(server.listen(where.host, where.port));
  net::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&server, &io](const boost::system::error_code&, int) {
    server.stop();
    io.stop();
  });
  std::printf("tsa listening on http://%s:%u\n", where.host.c_str(), static_cast<unsigned>(port));
  std::printf("  certificate: %s\n", in_dir(dir, "tsa.crt").c_str());
  std::fflush(stdout);
  io.run();
  std::printf("tsa stopped\n");
  return ok();
}

result<void> run_serve(const parsed_args& args) {
  auto dir = SAPHAN_TRY(args.required("dir"));
  auto listen_text = SAPHAN_TRY(args.required("listen"));
  auto where = SAPHAN_TRY(parse_listen(listen_text));
  tsa::signer_config config;
  config.certificate_path = in_dir(dir, "tsa.crt");
  config.key_path = in_dir(dir, "tsa.key");
  if (auto policy = args.value("policy"))
    config.policy_oid = *policy;
  auto signer = SAPHAN_TRY(tsa::tsa_signer::create(config));
  return serve(dir, where, std::move(signer));
}

const std::map<std::string, command_spec>& tsa_commands() {
  static const std::map<std::string, command_spec> table = {
      {"init", {run_init, {"dir", "ca", "name", "days"}, init_usage}},
      {"serve", {run_serve, {"dir", "listen", "policy"}, serve_usage}},
  };
  return table;
}

}  // namespace

int run_tsa_command(const arguments& args) {
  return run_subcommand("tsa", tsa_commands(), tsa_usage, args);
}

}  // namespace saphan::cli
