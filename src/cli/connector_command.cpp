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
    "usage: saphan connector --config FILE\n"
    "  Runs the connector described by FILE (JSON; paths relative to its folder).\n"
    "  Prints one line with the bound addresses, then serves until SIGINT/SIGTERM.\n";

// A bad config is a failure to start (exit 1), not a usage error (exit 2).
int fail_to_start(const error& e) {
  std::fprintf(stderr, "saphan connector: %s: %s\n", std::string(to_string(e.code)).c_str(),
               e.detail.c_str());
  return 1;
}

}  // namespace

int run_connector_command(const arguments& args) {
  auto parsed = parsed_args::parse(args, option_spec{{"config"}, {"help"}});
  if (!parsed)
    return report_error("connector", parsed.error());
  if (parsed->flag("help")) {
    std::fputs(usage, stdout);
    return 0;
  }
  auto path = parsed->required("config");
  if (!path)
    return report_error("connector", path.error());

  auto config = connector::read_connector_config(*path);
  if (!config)
    return fail_to_start(config.error());
  auto service = connector::connector_service::create(*config);
  if (!service)
    return fail_to_start(service.error());
  auto started = (*service)->start();
  if (!started)
    return fail_to_start(started.error());
  std::printf("%s\n", (*service)->describe().c_str());
  std::fflush(stdout);
  (*service)->run();
  return 0;
}

}  // namespace saphan::cli
