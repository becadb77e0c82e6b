// `saphan audit`: export the evidence log for auditors, verify an export offline, prove one
// entry's inclusion from an export, and search the log of a hub directory.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <system_error>

#include "cli/args.hpp"
#include "cli/audit.hpp"
#include "cli/commands.hpp"
#include "core/citizen_id.hpp"
#include "core/files.hpp"
#include "crypto/encoding.hpp"
#include "crypto/hash.hpp"
#include "crypto/keys.hpp"
#include "crypto/pseudonym.hpp"
#include "evidence/checkpoint.hpp"
#include "evidence/export.hpp"
#include "hub/config.hpp"
#include "hub/directory.hpp"
#include "store/store.hpp"

namespace saphan::cli {

// Usage errors exit 2; everything else (files, data, an export that does not verify) exits 1,
// whatever its code.
command_result usage_error(std::string detail) {
  return command_result::usage_error(make_error(errc::invalid_argument, std::move(detail)));
}

command_result fail(error e) {
  return command_result::failure(std::move(e));
}

result<std::uint64_t> parse_number(const std::string& name, const std::string& text,
                                   std::uint64_t low, std::uint64_t high) {
  const std::string rule =
      "--" + name + ": must be a whole number " + std::to_string(low) + ".." + std::to_string(high);
  if (text.empty() || text.size() > 19 ||
      text.find_first_not_of("0123456789") != std::string::npos) {
    return make_error(errc::invalid_argument, rule);
  }
  const std::uint64_t n = std::stoull(text);
  if (n < low || n > high)
    return make_error(errc::invalid_argument, rule);
  return n;
}

std::string b64(const crypto::sha256_digest& d) {
  return crypto::base64url_encode(d.view());
}

void print_progress(const char* verb, std::uint64_t done, std::uint64_t total) {
  std::fprintf(stderr, "%s %llu/%llu entries\n", verb, static_cast<unsigned long long>(done),
               static_cast<unsigned long long>(total));
}

std::string plural(std::uint64_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

namespace {

namespace fs = std::filesystem;

constexpr std::size_t max_search_limit = 1000;

constexpr const char* audit_usage = R"(usage: saphan audit <subcommand> [options]

Evidence for auditors: the log as one self-contained file, checked without the hub.

subcommands:
  export   write the evidence log, its signed tree heads and timestamp tokens to a file
  verify   check an export offline: every entry, tree head, signature and timestamp
  prove    the inclusion proof of one entry, from an export
  search   find log entries in a hub directory (by time, member, dataset, status, subject)

Run `saphan audit <subcommand> --help` for its options. Exit codes: 0 success, 1 failure
(an export that does not verify, unreadable files), 2 usage errors.
)";

constexpr const char* export_usage =
    R"(--hub-dir DIR [--out FILE] [--to-size N]

Writes the evidence log of the hub in DIR as a saphan-evidence-export/1 file (JSON Lines: a
header with the log's origin, public log key and TSA certificate, then every entry from index 0
with each signed tree head after the entry that completes it, and its RFC 3161 token).

  --hub-dir DIR   the hub directory (DIR/store.db, DIR/keys/log-signing.jwk, DIR/pki/tsa.crt)
  --out FILE      write here (atomically: FILE appears only when complete); default stdout
  --to-size N     the first N entries; by default, up to the latest signed tree head, so that
                  every exported entry is covered by a signed (and usually timestamped) head
)";

constexpr const char* verify_usage =
    R"(FILE [--log-key JWK-FILE] [--tsa-ca PEM] [--require-timestamps]
                          [--allow-uncovered]

Checks an export in one pass: entry indexes without gaps, each tree head's size, root (recomputed
from the entries), origin, signature and time order, each timestamp token, and the entry count.
Every entry must be covered by a signed tree head: entries after the last head (or an export
without heads) could have been changed or dropped unseen, so they fail the check.
Prints a summary; on the first failure prints one line naming it and exits 1.

  --log-key JWK-FILE   the log's public key (DIR/keys/log-signing.pub.jwk) to pin; without it
                       the key in the export itself is used, which proves nothing about origin
  --tsa-ca PEM         CA certificate that anchors trust in timestamp tokens; without it the
                       tokens are counted but not verified
  --require-timestamps fail when a tree head has no timestamp token (heads wait for one while
                       the TSA is unreachable, so a fresh export may hold some)
  --allow-uncovered    report entries after the last signed head as a warning, not a failure
)";

constexpr const char* prove_usage =
    R"(FILE --index I [--size S] [--log-key JWK-FILE] [--tsa-ca PEM]

Verifies the export (as `audit verify`), then prints the inclusion proof of entry I in the tree
of the signed head of size S (default: the latest head) as one JSON object: index, treeSize,
leafHash, path, rootHash (base64url) and the checkpoint. The proof is checked against the
checkpoint's root and signature before it is printed.

  --index I            the entry to prove (0 <= I < S)
  --size S             a tree size that has a signed head in the export
  --log-key, --tsa-ca  as for `audit verify`
)";

constexpr const char* search_usage =
    R"(--hub-dir DIR [criteria] [--limit N] [--before INDEX]

Prints matching log entries, newest first, one JSON object per line: {"index":I,"entry":"..."}.
Every criterion given must hold.

  --since T          received at or after T (RFC 3339)
  --until T          received before T (RFC 3339)
  --member M         consumer or provider member id
  --dataset D        versioned dataset id
  --status S         "allow", "ok" or an error code
  --kind K           entry kind, e.g. exchange.decision
  --subject ID       a citizen ID; searched as its keyed pseudonym (DIR/keys/pseudonym.key)
  --limit N          at most N entries, 1..1000 (default 100)
  --before INDEX     only entries below INDEX (to page further back)
)";

// ---- export ----------------------------------------------------------------------------------

bool exists(const std::string& path) {
  std::error_code ec;
  return fs::exists(path, ec);
}

// The TSA certificate the hub is configured with (hub.json "tsa"), else DIR/pki/tsa.crt.
std::string tsa_certificate_path(const hub::hub_directory& dir) {
  auto config = hub::load_hub_config(dir.root + "/hub.json");
  if (config && config->tsa && !config->tsa->certificate.empty())
    return config->tsa->certificate;
  return dir.root + "/pki/tsa.crt";
}

// The origin the log's heads carry; before the first head, the one the hub will sign with.
result<std::string> log_origin(store& db, const hub::hub_directory& dir) {
  auto latest = SAPHAN_TRY(db.latest_checkpoint());
  if (latest) {
    auto cp = evidence::checkpoint_from_json(latest->checkpoint_json);
    if (!cp)
      return make_error(errc::storage_failure, "latest checkpoint: " + cp.error().detail);
    return cp->origin;
  }
  auto config = hub::load_hub_config(dir.root + "/hub.json");
  if (!config) {
    return make_error(config.error().code,
                      "no signed tree head yet, and the origin cannot come from hub.json: " +
                          config.error().detail);
  }
  return "saphan/" + to_string(config->member);
}

// The public half of the log key: from the signing key when this account can read it, else
// from the public file beside it (both are written together).
result<crypto::ed25519_public_jwk> log_public_key(const hub::hub_directory& dir) {
  if (exists(dir.log_signing_key())) {
    auto key = crypto::read_signing_key_file(dir.log_signing_key());
    if (key)
      return crypto::ed25519_public_jwk{key->keys.public_key, key->kid};
    if (!exists(dir.log_public_key()))
      return std::move(key).error();
  }
  if (exists(dir.log_public_key()))
    return crypto::read_ed25519_public_key_file(dir.log_public_key());
  return make_error(
      errc::not_found,
      dir.log_signing_key() + ": no log key yet (the hub creates it when it first runs)");
}

result<evidence::export_header> export_header_of(store& db, const hub::hub_directory& dir) {
  evidence::export_header header;
  auto origin = SAPHAN_TRY(log_origin(db, dir));
  header.origin = std::move(origin);
  auto key = SAPHAN_TRY(log_public_key(dir));
  header.log_key = std::move(key);
  if (exists(tsa_certificate_path(dir))) {
    auto pem =
        SAPHAN_TRY(read_file(tsa_certificate_path(dir), evidence::max_tsa_certificate_bytes));
    header.tsa_certificates.push_back(std::move(pem));
  }
  header.exported_at = now_utc();
  return header;
}

result<evidence::export_summary> write_to_file(store& db, const std::string& path,
                                               const evidence::export_header& header,
                                               const evidence::export_options& options) {
  // Written beside the target and renamed into place, so a failed export leaves no half file.
  const std::string temp = path + ".partial";
  std::ofstream out(temp, std::ios::binary | std::ios::trunc);
  if (!out)
    return make_error(errc::io_error, temp + ": cannot create");
  auto summary = evidence::write_export(db, out, header, options);
  out.close();
  std::error_code ec;
  if (summary && !out)
    summary = make_error(errc::io_error, temp + ": writing failed");
  if (summary)
    fs::rename(temp, path, ec);
  if (summary && ec)
    summary = make_error(errc::io_error, path + ": " + ec.message());
  if (!summary)
    fs::remove(temp, ec);
  return summary;
}

command_result run_export(const parsed_args& args) {
  auto root = args.required("hub-dir");
  if (!root)
    return usage_error(root.error().detail);
  evidence::export_options options;
  if (auto text = args.value("to-size")) {
    auto n = parse_number("to-size", *text, 1, merkle::max_tree_size);
    if (!n)
      return command_result::usage_error(n.error());
    options.to_size = *n;
  }
  hub::hub_directory dir{*root};
  auto db = hub::open_hub_store(dir);
  if (!db)
    return fail(db.error());
  if (!options.to_size) {
    auto latest = (*db)->latest_checkpoint();
    if (!latest)
      return fail(latest.error());
    if (!*latest) {
      return fail(make_error(errc::not_found,
                             "the log has no signed tree head yet (the running hub signs one every "
                             "second; --to-size exports entries without one)"));
    }
    options.to_size = (*latest)->tree_size;
  }
  auto header = export_header_of(**db, dir);
  if (!header)
    return fail(header.error());
  options.progress_every = progress_every;
  options.progress = [](std::uint64_t done, std::uint64_t total) {
    print_progress("exported", done, total);
  };
  auto out = args.value("out");
  auto summary = out ? write_to_file(**db, *out, *header, options)
                     : evidence::write_export(**db, std::cout, *header, options);
  if (!summary)
    return fail(summary.error());
  std::fprintf(stderr, "exported %s and %s (%llu timestamped) of %s%s%s\n",
               plural(summary->entries, "entry", "entries").c_str(),
               plural(summary->checkpoints, "signed tree head", "signed tree heads").c_str(),
               static_cast<unsigned long long>(summary->timestamp_tokens), header->origin.c_str(),
               out ? " to " : "", out ? out->c_str() : "");
  return {};
}

// ---- search ----------------------------------------------------------------------------------

// The same keyed pseudonym the hub stores for the citizen.
result<std::string> subject_pseudonym(const hub::hub_directory& dir, const std::string& citizen) {
  SAPHAN_TRY_VOID(validate_thai_id(citizen));
  auto key = SAPHAN_TRY(crypto::read_pseudonym_key_file(dir.pseudonym_key()));
  return crypto::subject_pseudonym(key, citizen);
}

result<std::optional<timestamp>> time_option(const parsed_args& args, const std::string& name) {
  auto text = args.value(name);
  if (!text)
    return std::optional<timestamp>();
  auto t = parse_rfc3339(*text);
  if (!t)
    return make_error(t.error().code, "--" + name + ": " + t.error().detail);
  return std::optional<timestamp>(*t);
}

// Everything that comes from the command line alone (usage errors when wrong).
result<log_filter> search_filter(const parsed_args& args) {
  log_filter f;
  auto since = SAPHAN_TRY(time_option(args, "since"));
  f.since = since;
  auto until = SAPHAN_TRY(time_option(args, "until"));
  f.until = until;
  f.member = args.value("member");
  f.dataset = args.value("dataset");
  f.status = args.value("status");
  f.kind = args.value("kind");
  auto limit =
      SAPHAN_TRY(parse_number("limit", args.value("limit").value_or("100"), 1, max_search_limit));
  f.limit = static_cast<std::size_t>(limit);
  if (auto before = args.value("before")) {
    auto n = SAPHAN_TRY(parse_number("before", *before, 1, merkle::max_tree_size));
    f.before_index = n;
  }
  if (auto subject = args.value("subject")) {
    auto valid = validate_thai_id(*subject);
    if (!valid)
      return make_error(valid.error().code, "--subject: " + valid.error().detail);
  }
  return f;
}

command_result print_rows(const std::vector<log_row>& rows, std::size_t limit) {
  for (const auto& row : rows) {
    auto line = evidence::entry_line(row.index, row.entry);
    if (!line)
      return fail(line.error());
    std::printf("%s\n", line->c_str());
  }
  if (rows.size() == limit && !rows.empty()) {
    std::fprintf(stderr, "showing the newest %zu matches; older ones may exist (--before %llu)\n",
                 rows.size(), static_cast<unsigned long long>(rows.back().index));
  }
  return {};
}

command_result run_search(const parsed_args& args) {
  auto root = args.required("hub-dir");
  if (!root)
    return usage_error(root.error().detail);
  auto filter = search_filter(args);
  if (!filter)
    return command_result::usage_error(filter.error());
  hub::hub_directory dir{*root};
  auto db = hub::open_hub_store(dir);
  if (!db)
    return fail(db.error());
  if (auto subject = args.value("subject")) {
    auto pseudonym = subject_pseudonym(dir, *subject);
    if (!pseudonym)
      return fail(pseudonym.error());
    filter->subject = std::move(*pseudonym);
  }
  auto rows = (*db)->search_log(*filter);
  if (!rows)
    return fail(rows.error());
  return print_rows(*rows, filter->limit);
}

// ---- dispatch --------------------------------------------------------------------------------

const std::map<std::string, command_spec>& subcommands() {
  static const std::map<std::string, command_spec> table = {
      {"export", {run_export, {"hub-dir", "out", "to-size"}, export_usage}},
      {"verify",
       {run_verify,
        {"log-key", "tsa-ca"},
        verify_usage,
        {"require-timestamps", "allow-uncovered"},
        "FILE"}},
      {"prove", {run_prove, {"index", "size", "log-key", "tsa-ca"}, prove_usage, {}, "FILE"}},
      {"search",
       {run_search,
        {"hub-dir", "since", "until", "member", "dataset", "status", "kind", "subject", "limit",
         "before"},
        search_usage}},
  };
  return table;
}

}  // namespace

int run_audit_command(const arguments& args) {
  return run_subcommand("audit", subcommands(), audit_usage, args);
}

}  // namespace saphan::cli
