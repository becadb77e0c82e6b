#include "cli/args.hpp"

#include <cstdio>

namespace saphan::cli {

result<parsed_args> parsed_args::parse(const std::vector<std::string>& args,
                                       const option_spec& spec) {
  parsed_args out;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg.size() < 3 || arg.compare(0, 2, "--") != 0) {
      out.positionals_.push_back(arg);
      continue;
    }
    std::string name = arg.substr(2);
    std::optional<std::string> inline_value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      inline_value = name.substr(eq + 1);
      name.resize(eq);
    }
    if (spec.flags.count(name) != 0 && !inline_value) {
      out.flags_.insert(name);
    } else if (spec.with_value.count(name) != 0) {
      if (!inline_value) {
        if (i + 1 >= args.size()) {
          return make_error(errc::invalid_argument, "--" + name + " needs a value");
        }
        inline_value = args[++i];
      }
      out.values_[name].push_back(*inline_value);
    } else {
      return make_error(errc::invalid_argument, "unknown option --" + name);
    }
  }
  return out;
}

std::optional<std::string> parsed_args::value(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end() || it->second.empty())
    return std::nullopt;
  return it->second.back();
}

std::vector<std::string> parsed_args::values(const std::string& name) const {
  auto it = values_.find(name);
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

result<std::string> parsed_args::required(const std::string& name) const {
  auto v = value(name);
  if (!v)
    return make_error(errc::invalid_argument, "--" + name + " is required");
  return *v;
}

int run_subcommand(const std::string& group, const std::map<std::string, command_spec>& table,
                   const char* group_usage, const std::vector<std::string>& args) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::fputs(group_usage, args.empty() ? stderr : stdout);
    return args.empty() ? 2 : 0;
  }
  auto it = table.find(args[0]);
  if (it == table.end()) {
    return report_error(group, make_error(errc::invalid_argument, "unknown command " + args[0]));
  }
  const std::string name = group + " " + args[0];
  const auto& command = it->second;
  auto parsed = parsed_args::parse(std::vector<std::string>(args.begin() + 1, args.end()),
                                   {command.options, {"help"}});
  if (!parsed)
    return report_error(name, parsed.error());
  if (parsed->flag("help")) {
    std::printf("usage: saphan %s %s", name.c_str(), command.usage);
    return 0;
  }
  if (!parsed->positionals().empty()) {
    return report_error(name, make_error(errc::invalid_argument,
                                         "unexpected argument " + parsed->positionals()[0]));
  }
  auto done = command.run(*parsed);
  return done ? 0 : report_error(name, done.error());
}

int report_error(const std::string& command, const error& e) {
  std::fprintf(stderr, "saphan %s: %s: %s\n", command.c_str(),
               std::string(to_string(e.code)).c_str(), e.detail.c_str());
  return e.code == errc::invalid_argument ? 2 : 1;
}

}  // namespace saphan::cli
