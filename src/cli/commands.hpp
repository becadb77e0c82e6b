// The subcommands of the `saphan` binary. Each takes the arguments after its name and returns
// the process exit code: 0 success, 1 failure, 2 usage error.
#pragma once

#include <string>
#include <vector>

namespace saphan::cli {

using arguments = std::vector<std::string>;

int run_admin_command(const arguments& args);
int run_consent_command(const arguments& args);
int run_ca_command(const arguments& args);
int run_hub_command(const arguments& args);
int run_connector_command(const arguments& args);
int run_console_command(const arguments& args);
int run_demo_command(const arguments& args);
int run_tsa_command(const arguments& args);
int run_audit_command(const arguments& args);
int run_bench_command(const arguments& args);
int run_keygen_command(const arguments& args);

}  // namespace saphan::cli
