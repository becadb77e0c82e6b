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

command_result::command_result(error e)
    : error_(std::move(e)), status_(error_->code == errc::invalid_argument ? 2 : 1) {}

command_result::command_result(result<void> done) {
  if (!done)
    *this = command_result(std::move(done).error());
}

namespace {

bool is_help(const std::string& arg) {
  return arg == "--help" || arg == "-h" || arg == "help";
}

// One line, whatever the detail holds.
std::string one_line(std::string text) {
  for (char& c : text) {
    if (c == '\n' || c == '\r' || c == '\t')
      c = ' ';
  }
  return text;
}

// `fallback_usage`: printed for --help when the command has no usage of its own.
int run_one(const std::string& name, const command_spec& command,
            const std::vector<std::string>& args, const char* fallback_usage) {
  std::set<std::string> flags = command.flags;
  flags.insert("help");
  auto parsed = parsed_args::parse(args, {command.options, flags});
  if (!parsed)
    return report_error(name, parsed.error());
  if (parsed->flag("help")) {
    if (command.usage != nullptr)
      std::printf("usage: saphan %s %s", name.c_str(), command.usage);
    else if (fallback_usage != nullptr)
      std::fputs(fallback_usage, stdout);
    return 0;
  }
  const auto& positionals = parsed->positionals();
  if (command.argument != nullptr && positionals.size() != 1) {
    return report_error(
        name, make_error(errc::invalid_argument,
                         "expects exactly one " + std::string(command.argument) + " (see --help)"));
  }
  if (command.argument == nullptr && !positionals.empty()) {
    return report_error(name, make_error(errc::invalid_argument,
                                         "unexpected argument '" + positionals.front() + "'"));
  }
  auto done = command.run(*parsed);
  if (const auto& e = done.failed()) {
    report_error(name, *e);
    return done.exit_status();
  }
  return 0;
}

}  // namespace

int run_command(const std::string& name, const command_spec& command,
                const std::vector<std::string>& args) {
  return run_one(name, command, args, nullptr);
}

int refuse_command(const std::string& group, const char* group_usage,
                   const std::vector<std::string>& args) {
  if (args.empty() || is_help(args[0])) {
    std::fputs(group_usage, args.empty() ? stderr : stdout);
    return args.empty() ? 2 : 0;
  }
  const std::string saphan_group = group.empty() ? "saphan" : "saphan " + group;
  return report_error(
      group, make_error(errc::invalid_argument,
                        "unknown command " + args[0] + " (see " + saphan_group + " --help)"));
}

int run_subcommand(const std::string& group, const std::map<std::string, command_spec>& table,
                   const char* group_usage, const std::vector<std::string>& args) {
  int status = 0;
  const auto* command = find_command(group, table, group_usage, args, status);
  if (command == nullptr)
    return status;
  return run_one(group + " " + args[0], *command,
                 std::vector<std::string>(args.begin() + 1, args.end()), group_usage);
}

int report_error(const std::string& command, const error& e) {
  std::fprintf(stderr, "saphan%s%s: %s: %s\n", command.empty() ? "" : " ", command.c_str(),
               std::string(to_string(e.code)).c_str(), one_line(e.detail).c_str());
  return e.code == errc::invalid_argument ? 2 : 1;
}

result<int> days_option(const parsed_args& args, int fallback, int max_days,
                        const std::string& name) {
  auto text = args.value(name);
  if (!text)
    return fallback;
  std::string rule =
      "--" + name + ": must be a whole number of days, 1.." + std::to_string(max_days);
  if (text->empty() || text->size() > 5)
    return make_error(errc::invalid_argument, rule);
  int days = 0;
  for (char c : *text) {
    if (c < '0' || c > '9')
      return make_error(errc::invalid_argument, rule);
    days = days * 10 + (c - '0');
  }
  if (days < 1 || days > max_days)
    return make_error(errc::invalid_argument, rule + ", got " + *text);
  return days;
}

}  // namespace saphan::cli
