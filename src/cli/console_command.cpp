// saphan console --config FILE: the auditor console or the citizen portal (by the config's
// mode), until SIGINT or SIGTERM.
#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "cli/serve.hpp"
#include "console/config.hpp"
#include "console/service.hpp"

namespace saphan::cli {
namespace {

constexpr const char* usage =
    "--config FILE\n"
    "  Serves the auditor console or the citizen portal described by FILE (JSON; mode\n"
    "  \"auditor\" or \"citizen\"; paths relative to its folder) over HTTPS, signing people in\n"
    "  with OpenID Connect and calling the hub as the config's member.\n"
    "  Prints one line with the bound address, then serves until SIGINT/SIGTERM.\n";

command_result run_console(const parsed_args& args) {
  return serve_from_config<console::console_service>(args, console::read_console_config);
}

}  // namespace

int run_console_command(const arguments& args) {
  return run_command("console", {run_console, {"config"}, usage}, args);
}

}  // namespace saphan::cli
