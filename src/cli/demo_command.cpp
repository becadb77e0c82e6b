// `saphan demo`: make a demo hub with synthetic data, print its evidence trail, or run the
// walkthrough (tools/demo).
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <deque>
#include <filesystem>
#include <limits>
#include <map>
#include <optional>

#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "crypto/keys.hpp"
#include "demo/demo_init.hpp"
#include "demo/synthetic.hpp"
#include "demo/trail.hpp"
#include "evidence/checkpoint.hpp"
#include "evidence/log.hpp"
#include "hub/directory.hpp"
#include "store/store.hpp"

namespace saphan::cli {
namespace {

namespace fs = std::filesystem;

constexpr const char* demo_usage = R"(usage: saphan demo <command> [options]

Commands:
  init   --dir DIR [--config CONFIG_DIR] [--schemas SCHEMAS_DIR] [--persons N] [--seed S]
         [--base-port P] [--store postgresql://...]
         create a demo: CA and certificates, hub directory with members, datasets, policies
         and keys, synthetic provider data (N persons, default 10000, seed 2026) and one
         connector configuration per member (hub on P, default 8440; providers P+1..P+4;
         consumer APIs P+10 (JFO) and P+11 (RTP)). Refuses if DIR already holds a demo.
         --store: the hub's store is this empty PostgreSQL database (hub.json names it)
         instead of the SQLite file hub/store.db.
  trail  --dir DIR [--from N] [--limit N | --tail N]
         print the hub's evidence log, one line per entry, checking the hash chain
         (DIR is the demo directory or its hub/ directory; limit defaults to 1000;
         --tail checks the whole chain and prints only the last N entries)
  walkthrough [--dir DIR]
         run tools/demo against the demo in DIR (default .hub): consented query, denials,
         revocation and the evidence trail

--config and --schemas default to ./config and ./schemas, or those of the source tree.
)";

constexpr std::size_t max_trail_rows = 100000;

result<std::uint64_t> parse_number(const std::string& name, const std::string& text,
                                   std::uint64_t low, std::uint64_t high) {
  if (text.empty() || text.size() > 19 ||
      text.find_first_not_of("0123456789") != std::string::npos) {
    return make_error(errc::invalid_argument, "--" + name + ": must be a whole number");
  }
  const std::uint64_t n = std::stoull(text);
  if (n < low || n > high) {
    return make_error(
        errc::invalid_argument,
        "--" + name + ": must be between " + std::to_string(low) + " and " + std::to_string(high));
  }
  return n;
}

// A relative folder of the working directory if present, else the source tree's.
std::string default_dir(const char* name) {
  std::error_code ec;
  if (fs::is_directory(name, ec))
    return name;
  return std::string(SAPHAN_SOURCE_DIR) + "/" + name;
}

result<demo::demo_options> init_options(const parsed_args& args) {
  demo::demo_options options;
  auto dir = SAPHAN_TRY(args.required("dir"));
  options.dir = dir;
  options.config_dir = args.value("config").value_or(default_dir("config"));
  options.schemas_dir = args.value("schemas").value_or(default_dir("schemas"));
  options.source_dir = SAPHAN_SOURCE_DIR;
  if (auto text = args.value("persons")) {
    auto n = SAPHAN_TRY(parse_number("persons", *text, 1, demo::max_persons));
    options.persons = static_cast<std::size_t>(n);
  }
  if (auto text = args.value("seed")) {
    auto n = SAPHAN_TRY(parse_number("seed", *text, 0, std::numeric_limits<std::int64_t>::max()));
    options.seed = n;
  }
  if (auto text = args.value("base-port")) {
    auto n = SAPHAN_TRY(parse_number("base-port", *text, demo::min_base_port, demo::max_base_port));
    options.base_port = static_cast<std::uint16_t>(n);
  }
  options.store = args.value("store").value_or("");
  return options;
}

result<void> cmd_init(const parsed_args& args) {
  auto options = SAPHAN_TRY(init_options(args));
  std::printf("saphan demo init: %s\n", options.dir.c_str());
  return demo::init_demo(options, [](const std::string& line) {
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
  });
}

// The store of a demo directory or of a hub directory (the SQLite file, or the database its
// hub.json names); never creates one.
result<std::unique_ptr<store>> open_existing_store(const std::string& dir) {
  std::error_code ec;
  for (const auto& root : {dir + "/hub", dir}) {
    const hub::hub_directory hub_dir{root};
    if (fs::is_regular_file(hub_dir.config_path(), ec) ||
        fs::is_regular_file(hub_dir.store_path(), ec))
      return hub::open_hub_store_unaudited(hub_dir);
  }
  return make_error(errc::not_found, dir + " holds no hub (hub/hub.json or hub/store.db)");
}

struct trail_options {
  std::int64_t from = 0;
  std::size_t limit = 1000;
  std::optional<std::size_t> tail;  // print only the last N, after checking the whole chain
};

result<trail_options> parse_trail_options(const parsed_args& args) {
  trail_options options;
  if (auto text = args.value("from")) {
    auto n = SAPHAN_TRY(parse_number("from", *text, 0, std::numeric_limits<std::int64_t>::max()));
    options.from = static_cast<std::int64_t>(n);
  }
  if (auto text = args.value("limit")) {
    auto n = SAPHAN_TRY(parse_number("limit", *text, 1, max_trail_rows));
    options.limit = static_cast<std::size_t>(n);
  }
  if (auto text = args.value("tail")) {
    if (args.value("from") || args.value("limit")) {
      return make_error(errc::invalid_argument, "--tail: not with --from or --limit");
    }
    auto n = SAPHAN_TRY(parse_number("tail", *text, 1, max_trail_rows));
    options.tail = static_cast<std::size_t>(n);
    options.limit = std::numeric_limits<std::size_t>::max();
  }
  return options;
}

// The latest signed tree head, with its signature checked when the log key is at hand.
struct signed_head {
  evidence::checkpoint head;
  bool signature_checked = false;
};

result<std::optional<signed_head>> latest_head(store& db, const std::string& dir) {
  auto latest = SAPHAN_TRY(db.latest_checkpoint());
  if (!latest)
    return std::optional<signed_head>();
  auto head = SAPHAN_TRY(evidence::checkpoint_from_json(latest->checkpoint_json));
  signed_head out{std::move(head), false};
  std::error_code ec;
  for (const auto& key_file : {dir + "/hub/keys/log-signing.jwk", dir + "/keys/log-signing.jwk"}) {
    if (!fs::is_regular_file(key_file, ec))
      continue;
    auto key = SAPHAN_TRY(crypto::read_signing_key_file(key_file));
    SAPHAN_TRY_VOID(evidence::verify_checkpoint(out.head, key.keys.public_key));
    out.signature_checked = true;
    break;
  }
  return std::optional<signed_head>(std::move(out));
}

// Proves one entry into the head from stored nodes, hashing the entry's own bytes.
std::string proof_note(store& db, const log_row& row, const std::optional<signed_head>& head) {
  if (!head || row.index >= head->head.tree_size)
    return "not yet in a signed head";
  auto proof = evidence::prove_inclusion(db, row.index, head->head.tree_size);
  if (!proof)
    return "NO PROOF: " + proof.error().detail;
  auto checked = merkle::verify_inclusion(merkle::leaf_hash(row.entry), row.index,
                                          head->head.tree_size, proof->path, head->head.root_hash);
  if (!checked)
    return "PROOF FAILS: " + checked.error().detail;
  return "proved in head " + std::to_string(head->head.tree_size);
}

result<void> cmd_trail(const parsed_args& args) {
  auto dir = SAPHAN_TRY(args.required("dir"));
  auto options = SAPHAN_TRY(parse_trail_options(args));
  auto db = SAPHAN_TRY(open_existing_store(dir));
  auto head = SAPHAN_TRY(latest_head(*db, dir));

  std::deque<std::string> held;  // --tail: the last lines, printed at the end
  std::size_t read = 0;
  std::size_t failed = 0;
  auto next = static_cast<std::uint64_t>(options.from);
  while (read < options.limit) {
    const std::size_t page = std::min<std::size_t>(options.limit - read, 1000);
    auto rows = SAPHAN_TRY(db->read_log(next, page));
    if (rows.empty())
      break;
    for (const auto& row : rows) {
      auto note = proof_note(*db, row, head);
      if (note.rfind("proved", 0) != 0 && note.rfind("not yet", 0) != 0)
        ++failed;
      auto text = demo::format_trail_line(demo::summarise_entry(row), note);
      if (!options.tail) {
        std::printf("%s\n", text.c_str());
        continue;
      }
      held.push_back(std::move(text));
      if (held.size() > options.tail)
        held.pop_front();
    }
    next = rows.back().index + 1;
    read += rows.size();
  }
  for (const auto& line : held)
    std::printf("%s\n", line.c_str());
  if (head) {
    std::printf("signed tree head: size %llu, root %s, %s, signature %s\n",
                static_cast<unsigned long long>(head->head.tree_size),
                head->head.root_hash.to_hex().c_str(), format_rfc3339(head->head.timestamp).c_str(),
                head->signature_checked ? "verified with the log key" : "NOT CHECKED (no log key)");
  } else {
    std::printf("no signed tree head yet\n");
  }
  std::printf("%zu entries read, %s\n", read,
              failed == 0 ? "every entry in a signed head is proved" : "INCLUSION PROOFS FAIL");
  if (failed != 0) {
    return make_error(errc::proof_invalid, std::to_string(failed) + " entries do not prove");
  }
  return ok();
}

// Replaces this process with `bash tools/demo <this binary> <dir>`.
result<void> cmd_walkthrough(const parsed_args& args) {
  const std::string script = std::string(SAPHAN_SOURCE_DIR) + "/tools/demo";
  const std::string dir = args.value("dir").value_or(".hub");
  std::error_code ec;
  const std::string self = fs::read_symlink("/proc/self/exe", ec).string();
  if (ec)
    return make_error(errc::io_error, "/proc/self/exe: " + ec.message());
  std::fflush(stdout);
  execl("/bin/bash", "bash", script.c_str(), self.c_str(), dir.c_str(),
        static_cast<char*>(nullptr));
  return make_error(errc::io_error, script + ": " + std::strerror(errno));
}

// The group's usage describes every command, so `demo <command> --help` prints it.
const std::map<std::string, command_spec>& demo_commands() {
  static const std::map<std::string, command_spec> table = {
      {"init",
       {cmd_init, {"dir", "config", "schemas", "persons", "seed", "base-port", "store"}, nullptr}},
      {"trail", {cmd_trail, {"dir", "from", "limit", "tail"}, nullptr}},
      {"walkthrough", {cmd_walkthrough, {"dir"}, nullptr}},
  };
  return table;
}

}  // namespace

int run_demo_command(const arguments& args) {
  return run_subcommand("demo", demo_commands(), demo_usage, args);
}

}  // namespace saphan::cli
