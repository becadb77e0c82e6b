// A small command-line parser: `--name value`, `--flag`, repeated options, and positionals.
// Unknown options are errors, so a typo never silently changes behaviour.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace saphan::cli {

struct option_spec {
  std::set<std::string> with_value;  // e.g. {"dir", "file"}
  std::set<std::string> flags;       // e.g. {"help", "force"}
};

class parsed_args {
 public:
  static result<parsed_args> parse(const std::vector<std::string>& args, const option_spec& spec);

  bool flag(const std::string& name) const { return flags_.count(name) != 0; }
  std::optional<std::string> value(const std::string& name) const;
  std::vector<std::string> values(const std::string& name) const;
  // The value, or an invalid_argument error "--name is required".
  result<std::string> required(const std::string& name) const;
  const std::vector<std::string>& positionals() const { return positionals_; }

 private:
  std::map<std::string, std::vector<std::string>> values_;
  std::set<std::string> flags_;
  std::vector<std::string> positionals_;
};

// What a command returns: success, or its error and exit status. A result<void> converts: its
// error exits 2 (the caller's usage error) when it is invalid_argument, 1 otherwise. A command
// whose usage errors carry other codes, or whose failures can be invalid_argument, says which is
// which itself (`saphan audit`: a bad --since is invalid_timestamp and a usage error; a --log-key
// file that does not parse is invalid_argument and a failure).
class command_result {
 public:
  command_result() = default;
  // Implicit, so that commands may return a result<void> or an error.
  command_result(result<void> done);
  command_result(error e);
  static command_result usage_error(error e) { return {std::move(e), 2}; }
  static command_result failure(error e) { return {std::move(e), 1}; }

  const std::optional<error>& failed() const { return error_; }
  int exit_status() const { return status_; }

 private:
  command_result(error e, int status) : error_(std::move(e)), status_(status) {}
  std::optional<error> error_;
  int status_ = 0;
};

// A required option read by `parse` (e.g. parse_member_id): "--name is required", or what
// `parse` returns.
template <class Parse>
auto parse_required(const parsed_args& args, const std::string& name, Parse parse)
    -> decltype(parse(std::string())) {
  auto text = SAPHAN_TRY(args.required(name));
  return parse(text);
}

// One command: what it runs, the options it takes (every other option is refused, so
// `admin init --dataset X` is an error, not silently ignored), and its usage text.
struct command_spec {
  std::function<command_result(const parsed_args&)> run;
  std::set<std::string> options;  // options with a value; --help is always a flag
  // `saphan <command> --help` prints "usage: saphan <command> " and this. A subcommand without
  // one prints its group's usage, which describes it.
  const char* usage;
  std::set<std::string> flags = {};  // further flags
  const char* argument = nullptr;    // the one positional argument it takes (e.g. "FILE"), if any
};

// Runs `saphan <name> [options]` (e.g. `saphan hub`): --help prints its usage, a wrong option or
// number of positional arguments is a usage error, errors print one line (report_error).
// Returns the exit status.
int run_command(const std::string& name, const command_spec& command,
                const std::vector<std::string>& args);

// The first step of `saphan [<group>] <command> ...` (group "" is `saphan` itself), for a table of
// commands of any kind: find_command returns the one args[0] names. Otherwise it returns null
// and sets `status` to what refuse_command answered: without a command it prints `group_usage`
// on stderr (exit status 2), for --help, -h or help on stdout (0); an unknown command is a usage
// error (2).
int refuse_command(const std::string& group, const char* group_usage,
                   const std::vector<std::string>& args);
template <class Command>
const Command* find_command(const std::string& group, const std::map<std::string, Command>& table,
                            const char* group_usage, const std::vector<std::string>& args,
                            int& status) {
  if (!args.empty()) {
    auto it = table.find(args[0]);
    if (it != table.end())
      return &it->second;
  }
  status = refuse_command(group, group_usage, args);
  return nullptr;
}

// Runs `saphan <group> <command> [options]` from `table`: `--help` at either level prints the
// group's or the command's usage; errors print one line. Returns the exit status.
int run_subcommand(const std::string& group, const std::map<std::string, command_spec>& table,
                   const char* group_usage, const std::vector<std::string>& args);

// Prints "saphan <command>: <code>: <detail>" on stderr, on one line whatever the detail holds;
// returns the exit code for `e` (2 for invalid_argument, 1 otherwise).
int report_error(const std::string& command, const error& e);

// --days (or --<name>): whole decimal days within 1..max_days, `fallback` when absent.
// Errors: invalid_argument.
result<int> days_option(const parsed_args& args, int fallback, int max_days,
                        const std::string& name = "days");

}  // namespace saphan::cli
