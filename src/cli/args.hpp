// A small command-line parser: `--name value`, `--flag`, repeated options, and positionals.
// Unknown options are errors, so a typo never silently changes behaviour.
#pragma once

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

// One subcommand of a group such as `saphan admin`: what it runs, the options it takes (every
// other option is refused, so `admin init --dataset X` is an error, not silently ignored), and
// its usage text for `saphan <group> <command> --help`.
struct command_spec {
  result<void> (*run)(const parsed_args&);
  std::set<std::string> options;  // options with a value; --help is always a flag
  const char* usage;
};

// Runs `saphan <group> <command> [options]` from `table`: `--help` at either level prints the
// group's or the command's usage; errors print one line. Returns the exit status.
int run_subcommand(const std::string& group, const std::map<std::string, command_spec>& table,
                   const char* group_usage, const std::vector<std::string>& args);

// Prints "saphan <command>: <code>: <detail>" on stderr; returns the exit code for `e`
// (2 for invalid_argument, 1 otherwise).
int report_error(const std::string& command, const error& e);

}  // namespace saphan::cli
