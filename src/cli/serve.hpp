// What `saphan connector` and `saphan console` share: a service made from a config file, started,
// announced on one line (what tools/run and the tests wait for), then served until it stops.
#pragma once

#include <cstdio>

#include "cli/args.hpp"

namespace saphan::cli {

// A bad config is a failure to start (exit 1), not a usage error (exit 2).
template <class Service, class ReadConfig>
command_result serve_from_config(const parsed_args& args, ReadConfig read_config) {
  auto path = SAPHAN_TRY(args.required("config"));
  auto config = read_config(path);
  if (!config)
    return command_result::failure(config.error());
  auto service = Service::create(*config);
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

}  // namespace saphan::cli
