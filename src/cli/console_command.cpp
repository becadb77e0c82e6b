// saphan console --config FILE: the auditor console or the citizen portal (by the config's
// mode), until SIGINT or SIGTERM.
#include <cstdio>

#include "cli/args.hpp"
#include "cli/commands.hpp"
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
  auto path = SAPHAN_TRY(args.required("config"));
  auto config = console::read_console_config(path);
  if (!config)
    return command_result::failure(config.error());
  auto service = console::console_service::create(*config);
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

int run_console_command(const arguments& args) {
  return run_command("console", {run_console, {"config"}, usage}, args);
}

}  // namespace saphan::cli
