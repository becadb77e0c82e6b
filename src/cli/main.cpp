// saphan: one binary, one subcommand per role.
#include <cstdio>
#include <exception>
#include <map>
#include <string>

#include "cli/args.hpp"
#include "cli/commands.hpp"

namespace {

constexpr const char* usage = R"(usage: saphan <command> [options]

Saphan: a consent-aware data exchange hub for government agencies.

Commands:
  hub        run the central exchange (HTTPS, mutual TLS)
  connector  run an agency connector (consumer API and/or provider side)
  console    serve the auditor console or the citizen portal (HTTPS, OpenID Connect sign-in)
  admin      initialise a hub directory, register members, publish datasets
  consent    request, grant, reject, revoke and list consents
  ca         create the certificate authority and issue member certificates
  keygen     make a member's signing key (for its certificate, or to rotate it)
  demo       create and inspect the demo hub (synthetic agencies and citizens)
  tsa        a small RFC 3161 time-stamping authority (demo and tests)
  audit      export, verify offline, prove and search the evidence log
  bench      measure the evidence log's durable writes (group commit, tree heads)

Run `saphan <command> --help` for the options of one command.
)";

using command_fn = int (*)(const saphan::cli::arguments&);

const std::map<std::string, command_fn>& commands() {
  static const std::map<std::string, command_fn> table = {
      {"hub", saphan::cli::run_hub_command},
      {"connector", saphan::cli::run_connector_command},
      {"admin", saphan::cli::run_admin_command},
      {"consent", saphan::cli::run_consent_command},
      {"ca", saphan::cli::run_ca_command},
      {"demo", saphan::cli::run_demo_command},
      {"tsa", saphan::cli::run_tsa_command},
      {"audit", saphan::cli::run_audit_command},
      {"console", saphan::cli::run_console_command},
      {"bench", saphan::cli::run_bench_command},
      {"keygen", saphan::cli::run_keygen_command},
  };
  return table;
}

}  // namespace

int main(int argc, char** argv) {
  const saphan::cli::arguments args(argv + 1, argv + argc);
  int status = 0;
  const auto* command = saphan::cli::find_command("", commands(), usage, args, status);
  if (command == nullptr)
    return status;
  try {
    return (*command)(saphan::cli::arguments(args.begin() + 1, args.end()));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "saphan %s: internal: %s\n", argv[1], e.what());
    return 1;
  }
}
