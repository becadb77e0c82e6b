// saphan connector --config FILE: runs an agency's connector (consumer side, provider side, or
// both) until SIGINT or SIGTERM.
#include <cstdio>

#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "connector/config.hpp"
#include "connector/service.hpp"

namespace saphan::cli {
namespace {

constexpr const char* usage =
    "--config FILE\n"
    "  Runs the connector described by FILE (JSON; paths relative to its folder).\n"
    "  Prints one line with the bound addresses, then serves until SIGINT/SIGTERM.\n";

// A bad config is a failure to start (exit 1), not a usage error (exit 2).
command_result run_connector(const parsed_args& args) {
  auto path = SAPHAN_TRY(args.required("config"));
  auto config = connector::read_connector_config(path);
  if (!config)
    return command_result::failure(config.error());
  auto service = connector::connector_service::create(*config);
  if (!service)
    return command_result::failure(service.error());
  auto started = (*service)->start();
  if (!started)
    return command_result::failure(started.error());
  std::printf("%s\n", (*service)->describe().c_str());
  std::fflush(stdout);
  (*service)->run();
  return {};
}

}  // namespace

int run_connector_command(const arguments& args) {
  return run_command("connector", {run_connector, {"config"}, usage}, args);
}

}  // namespace saphan::cli
