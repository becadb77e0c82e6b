// What the `saphan audit` subcommands share (audit_command.cpp, audit_verify.cpp). Private to
// the command line.
#pragma once

#include <cstdint>
#include <string>

#include "cli/args.hpp"
#include "crypto/hash.hpp"

namespace saphan::cli {

// Usage errors exit 2; everything else (files, data, an export that does not verify) exits 1,
// whatever its code.
command_result usage_error(std::string detail);
command_result fail(error e);
// --<name> as a whole number in low..high. Errors: invalid_argument naming the option.
result<std::uint64_t> parse_number(const std::string& name, const std::string& text,
                                   std::uint64_t low, std::uint64_t high);
std::string b64(const crypto::sha256_digest& d);
// Long work reports its progress every this many entries, on stderr.
inline constexpr std::uint64_t progress_every = 100000;
void print_progress(const char* verb, std::uint64_t done, std::uint64_t total);
// "1 head", "2 heads".
std::string plural(std::uint64_t n, const char* one, const char* many);

// `saphan audit verify FILE` and `saphan audit prove FILE`.
command_result run_verify(const parsed_args& args);
command_result run_prove(const parsed_args& args);

}  // namespace saphan::cli
