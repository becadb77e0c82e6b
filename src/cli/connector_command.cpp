// saphan connector --config FILE: runs an agency's connector (consumer side, provider side, or
// both) until SIGINT or SIGTERM.
#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "cli/serve.hpp"
#include "connector/config.hpp"
#include "connector/service.hpp"

namespace saphan::cli {
namespace {

constexpr const char* usage =
    "--config FILE\n"
    "  Runs the connector described by FILE (JSON; paths relative to its folder).\n"
    "  Prints one line with the bound addresses, then serves until SIGINT/SIGTERM.\n";

command_result run_connector(const parsed_args& args) {
  return serve_from_config<connector::connector_service>(args, connector::read_connector_config);
}

}  // namespace

int run_connector_command(const arguments& args) {
  return run_command("connector", {run_connector, {"config"}, usage}, args);
}

}  // namespace saphan::cli
