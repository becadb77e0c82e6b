// `saphan audit verify` and `saphan audit prove`: an export checked offline, and one entry's
// inclusion proof from it.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include "cli/audit.hpp"
#include "crypto/keys.hpp"
#include "evidence/checkpoint.hpp"
#include "evidence/export.hpp"

namespace saphan::cli {
namespace {

namespace fs = std::filesystem;

result<evidence::verify_options> verify_options_of(const parsed_args& args) {
  evidence::verify_options options;
  if (auto path = args.value("log-key")) {
    auto key = crypto::read_ed25519_public_key_file(*path);
    if (!key)
      return make_error(key.error().code, "--log-key: " + key.error().detail);
    options.log_key = std::move(*key);
  }
  options.tsa_ca_path = args.value("tsa-ca").value_or("");
  options.progress_every = progress_every;
  options.progress = [](std::uint64_t done, std::uint64_t total) {
    print_progress("verified", done, total);
  };
  return options;
}

result<std::ifstream> open_export(const std::string& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec))
    return make_error(errc::io_error, path + ": not a file");
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return make_error(errc::io_error, path + ": cannot open");
  return in;
}

void print_key_line(const evidence::export_report& r) {
  if (r.key_pinned) {
    std::printf("log key:      %s (pinned)\n", r.key_id.c_str());
  } else {
    std::printf(
        "log key:      %s NOT PINNED: taken from the export itself, which anyone can "
        "re-sign; pass --log-key to check the hub's key\n",
        r.key_id.c_str());
  }
}

void print_timestamps_line(const evidence::export_report& r) {
  const std::string missing =
      r.checkpoints_without_token
          ? ", " + plural(r.checkpoints_without_token, "head", "heads") + " without a token"
          : "";
  if (r.timestamp_tokens == 0) {
    std::printf(
        "timestamps:   none: no signed head carries an RFC 3161 token (%s without a token)\n",
        plural(r.checkpoints_without_token, "head", "heads").c_str());
  } else if (r.timestamps_checked) {
    std::printf("timestamps:   %s verified against the TSA CA%s\n",
                plural(r.timestamp_tokens, "token", "tokens").c_str(), missing.c_str());
  } else {
    std::printf("timestamps:   %s present, NOT VERIFIED (no --tsa-ca given)%s\n",
                plural(r.timestamp_tokens, "token", "tokens").c_str(), missing.c_str());
  }
}

void print_coverage_line(const evidence::export_report& r) {
  if (r.checkpoints == 0) {
    std::printf("coverage:     WARNING: no signed tree head: none of the %llu entries is covered\n",
                static_cast<unsigned long long>(r.entries));
  } else if (r.uncovered_entries() == 0) {
    std::printf("coverage:     every entry is covered by the signed head of size %llu\n",
                static_cast<unsigned long long>(r.last_checkpoint_size));
  } else {
    std::printf(
        "coverage:     WARNING: entries %llu..%llu (%llu) come after the last signed head "
        "and are not covered by any\n",
        static_cast<unsigned long long>(r.last_checkpoint_size),
        static_cast<unsigned long long>(r.entries - 1),
        static_cast<unsigned long long>(r.uncovered_entries()));
  }
}

void print_report(const std::string& path, const evidence::export_report& r) {
  std::printf("export %s verifies\n", path.c_str());
  std::printf("origin:       %s (exported %s)\n", r.origin.c_str(),
              format_rfc3339(r.exported_at).c_str());
  std::printf("entries:      %llu, root %s\n", static_cast<unsigned long long>(r.entries),
              b64(r.root).c_str());
  if (r.checkpoints > 0) {
    std::printf("signed heads: %s, sizes %llu..%llu, latest at %s\n",
                plural(r.checkpoints, "head", "heads").c_str(),
                static_cast<unsigned long long>(r.first_checkpoint_size),
                static_cast<unsigned long long>(r.last_checkpoint_size),
                format_rfc3339(r.last_checkpoint_time).c_str());
  } else {
    std::printf("signed heads: none\n");
  }
  print_key_line(r);
  print_timestamps_line(r);
  print_coverage_line(r);
}

// What the proofs cannot show: entries that no signed head covers, and (when asked for) heads
// without a timestamp token.
result<void> check_completeness(const evidence::export_report& r, const parsed_args& args) {
  if (r.entries > 0 && r.uncovered_entries() > 0 && !args.flag("allow-uncovered")) {
    return make_error(errc::proof_invalid,
                      r.checkpoints == 0
                          ? "no signed tree head: none of the " + std::to_string(r.entries) +
                                " entries is covered"
                          : "entries " + std::to_string(r.last_checkpoint_size) + ".." +
                                std::to_string(r.entries - 1) +
                                " come after the last signed head and are not covered by any");
  }
  if (args.flag("require-timestamps") && r.checkpoints_without_token > 0) {
    return make_error(errc::timestamp_invalid,
                      plural(r.checkpoints_without_token, "signed head has", "signed heads have") +
                          " no timestamp token");
  }
  return ok();
}

}  // namespace

command_result run_verify(const parsed_args& args) {
  const std::string path = args.positionals().front();
  auto options = verify_options_of(args);
  if (!options)
    return fail(options.error());
  auto in = open_export(path);
  if (!in)
    return fail(in.error());
  auto r = evidence::verify_export(*in, *options);
  if (!r)
    return fail(r.error());
  if (auto complete = check_completeness(*r, args); !complete)
    return fail(complete.error());
  print_report(path, *r);
  return {};
}

command_result run_prove(const parsed_args& args) {
  auto index_text = args.required("index");
  if (!index_text)
    return usage_error(index_text.error().detail);
  auto index = parse_number("index", *index_text, 0, merkle::max_tree_size - 1);
  if (!index)
    return command_result::usage_error(index.error());
  std::optional<std::uint64_t> size;
  if (auto text = args.value("size")) {
    auto n = parse_number("size", *text, 1, merkle::max_tree_size);
    if (!n)
      return command_result::usage_error(n.error());
    size = *n;
  }
  auto options = verify_options_of(args);
  if (!options)
    return fail(options.error());
  options->progress = {};  // a proof is one answer; the export was verified quietly
  auto in = open_export(args.positionals().front());
  if (!in)
    return fail(in.error());
  auto proof = evidence::prove_export(*in, *index, size, *options);
  if (!proof)
    return fail(proof.error());
  const std::string json = evidence::proof_to_json(*proof);
  // Checked again from the printed form, so what the auditor takes away is what was verified.
  auto checked = evidence::verify_proof_json(json, proof->log_key);
  if (!checked)
    return fail(checked.error());
  std::printf("%s\n", json.c_str());
  std::fprintf(stderr, "entry %llu is included in the signed head of size %llu (key %s%s)\n",
               static_cast<unsigned long long>(proof->index),
               static_cast<unsigned long long>(proof->tree_size), proof->head.key_id.c_str(),
               proof->key_pinned ? ", pinned" : ", NOT pinned: pass --log-key");
  return {};
}

}  // namespace saphan::cli
