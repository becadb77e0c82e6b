// `saphan bench log`: measures the evidence log's write path as the hub uses it. T threads stand
// in for the hub's workers, each appending exchange entries (a decision, then its outcome) through
// log_writer::append, which returns only once the entry is durable; a checkpointer signs tree
// heads meanwhile. The store is a real hub directory, so `saphan audit export --hub-dir DIR` can
// export what the run leaves behind (e.g. a million entries for the verify benchmark).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "crypto/hash.hpp"
#include "crypto/keys.hpp"
#include "crypto/pseudonym.hpp"
#include "evidence/checkpointer.hpp"
#include "evidence/writer.hpp"
#include "hub/directory.hpp"
#include "hub/evidence_entries.hpp"

namespace saphan::cli {
namespace {

namespace fs = std::filesystem;
using steady = std::chrono::steady_clock;

constexpr std::uint64_t default_entries = 100000;
constexpr std::uint64_t max_entries = 10000000;  // latencies are kept: 8 bytes per entry
constexpr std::uint64_t default_threads = 8;
constexpr std::uint64_t max_threads = 1024;
constexpr std::uint64_t default_checkpoint_ms = 1000;
constexpr auto progress_interval = std::chrono::seconds(2);
constexpr const char* bench_origin = "saphan/bench/evidence-log";

constexpr const char* bench_usage = R"(usage: saphan bench <subcommand> [options]

Benchmarks of Saphan's parts, on this machine.

subcommands:
  log   the evidence log's durable write path: group commit and signed tree heads

Run `saphan bench <subcommand> --help` for its options.
)";

constexpr const char* log_usage =
    R"(--dir DIR [--entries N] [--threads T] [--checkpoint-every MS]

Creates a fresh hub directory in DIR (DIR/store.db, DIR/keys/: refused unless DIR is missing or
empty), then T threads append N exchange entries in all, as the hub writes them (a ~700-byte
decision entry, then its ~300-byte outcome, with their search terms), each append through the
group-commit writer and blocking until durable (SQLite WAL, synchronous=FULL); a checkpointer
signs a tree head every MS milliseconds while the log grows, and once more at the end.

Prints entries/s, the writer's batches and mean batch size, append latency (p50, p99, max), the
heads signed and the store's size on disk. Progress goes to stderr every 2 s. DIR is left behind:
`saphan audit export --hub-dir DIR --out FILE` exports it, `saphan audit verify FILE` checks it.

  --dir DIR               where to create the hub directory (required)
  --entries N             entries to append, 1..10000000 (default 100000)
  --threads T             appending threads, 1..1024 (default 8)
  --checkpoint-every MS   tree head interval, 10..60000 ms (default 1000)
)";

struct bench_options {
  std::string dir;
  std::uint64_t entries = default_entries;
  std::uint64_t threads = default_threads;
  std::chrono::milliseconds checkpoint_every{default_checkpoint_ms};
};

error usage_error(std::string detail) {
  return make_error(errc::invalid_argument, std::move(detail));
}

result<std::uint64_t> parse_count(const parsed_args& args, const std::string& name,
                                  std::uint64_t fallback, std::uint64_t low, std::uint64_t high) {
  auto text = args.value(name);
  if (!text)
    return fallback;
  const std::string rule =
      "--" + name + ": must be a whole number " + std::to_string(low) + ".." + std::to_string(high);
  if (text->empty() || text->size() > 12 ||
      text->find_first_not_of("0123456789") != std::string::npos) {
    return usage_error(rule);
  }
  const std::uint64_t n = std::stoull(*text);
  if (n < low || n > high)
    return usage_error(rule + ", got " + *text);
  return n;
}

result<bench_options> read_options(const parsed_args& args) {
  bench_options options;
  auto dir = SAPHAN_TRY(args.required("dir"));
  options.dir = dir;
  auto entries = SAPHAN_TRY(parse_count(args, "entries", default_entries, 1, max_entries));
  options.entries = entries;
  auto threads = SAPHAN_TRY(parse_count(args, "threads", default_threads, 1, max_threads));
  options.threads = threads;
  auto every = SAPHAN_TRY(parse_count(args, "checkpoint-every", default_checkpoint_ms, 10, 60000));
  options.checkpoint_every = std::chrono::milliseconds(every);
  return options;
}

// A benchmark must start from an empty log, and must never write into someone's hub.
result<void> require_fresh(const std::string& dir) {
  std::error_code ec;
  if (!fs::exists(dir, ec))
    return ok();
  if (!fs::is_directory(dir, ec))
    return make_error(errc::already_exists, dir + " is not a directory");
  if (!fs::is_empty(dir, ec) || ec) {
    return make_error(errc::already_exists, dir + " is not empty (give a new or empty directory)");
  }
  return ok();
}

// ---- entries like the hub's ------------------------------------------------------------------

// Builds the entries one exchange leaves in the log, with hub/evidence_entries.cpp itself, so the
// bytes, terms and sizes are the hub's own.
class exchange_entries {
 public:
  static result<exchange_entries> create(crypto::pseudonym_key pseudonym_key) {
    auto consumer = SAPHAN_TRY(parse_member_id("TH/GOV/JFO/legal-aid"));
    auto dataset = SAPHAN_TRY(parse_dataset_id("TH/GOV/DOPA/civil-registry/person@1.0"));
    return exchange_entries(std::move(consumer), std::move(dataset), std::move(pseudonym_key));
  }

  struct exchange {
    request_envelope request;
    std::string request_hash;
    std::string pseudonym;
    timestamp received_at{};
  };

  // A distinct request per call: `worker` and `sequence` keep ids unique across threads.
  exchange next(std::uint64_t worker, std::uint64_t sequence) const {
    exchange x;
    x.received_at = now_utc();
    auto& r = x.request;
    r.request_id = "bench-" + std::to_string(worker) + "-" + std::to_string(sequence) + "-" +
                   crypto::random_id().substr(0, 8);
    r.issued_at = x.received_at;
    r.consumer = consumer_;
    r.dataset = dataset_;
    r.purpose = "legal-aid-eligibility";
    r.basis = lawful_basis::consent;
    r.consent_id = "cns-" + crypto::random_id().substr(0, 16);
    r.subject = synthetic_citizen(worker, sequence);
    r.fields = {"firstNameTh", "lastNameTh", "birthDate", "address"};
    r.user_id = "officer-" + std::to_string(worker % 100);
    r.issue = "JFO-2026-" + std::to_string(sequence % 100000);
    x.request_hash = crypto::sha256(r.request_id + r.subject).to_hex();
    x.pseudonym = crypto::subject_pseudonym(key_, r.subject);
    return x;
  }

  log_append decision(const exchange& x) const {
    access_decision d;
    d.allowed = true;
    d.granted_fields = x.request.fields;
    d.purpose = x.request.purpose;
    return hub::decision_entry({x.received_at, &x.request, x.request_hash, x.pseudonym, &d});
  }

  log_append outcome(const exchange& x, std::uint64_t decision_index) const {
    hub::outcome_facts f;
    f.at = now_utc();
    f.request_id = x.request.request_id;
    f.consumer = to_string(x.request.consumer);
    f.dataset = to_string(x.request.dataset);
    f.provider = to_string(x.request.dataset.owner);
    f.subject_pseudonym = x.pseudonym;
    f.decision_index = static_cast<std::int64_t>(decision_index);
    f.ciphertext_hash = crypto::sha256(x.request.request_id).to_hex();
    f.provider_micros = 1800;
    f.total_micros = 4100;
    return hub::outcome_entry(f);
  }

 private:
  exchange_entries(member_id consumer, dataset_id dataset, crypto::pseudonym_key key)
      : consumer_(std::move(consumer)), dataset_(std::move(dataset)), key_(std::move(key)) {}

  // 13 digits, like a Thai citizen ID (the check digit does not matter here).
  static std::string synthetic_citizen(std::uint64_t worker, std::uint64_t sequence) {
    std::string digits =
        std::to_string(1000000000000ULL + (worker * 7919 + sequence) % 999999999999ULL);
    return digits.substr(0, 13);
  }

  member_id consumer_;
  dataset_id dataset_;
  crypto::pseudonym_key key_;
};

// ---- the load --------------------------------------------------------------------------------

struct worker_result {
  std::vector<std::uint32_t> latencies_us;
  std::uint64_t entry_bytes = 0;
  std::optional<error> failure;
};

// One thread's share: exchanges in order, decision then outcome, each append waiting until
// durable, as a hub worker does. Stops at the first failure (the hub would refuse the exchange).
void run_worker(evidence::log_writer& writer, const exchange_entries& make, std::uint64_t worker,
                std::uint64_t count, const std::atomic<bool>& abort, worker_result& out) {
  out.latencies_us.reserve(count);
  std::uint64_t decision_index = 0;
  exchange_entries::exchange current;
  for (std::uint64_t i = 0; i < count && !abort.load(std::memory_order_relaxed); ++i) {
    if (i % 2 == 0)
      current = make.next(worker, i / 2);
    log_append record = i % 2 == 0 ? make.decision(current) : make.outcome(current, decision_index);
    out.entry_bytes += record.entry.size();
    const auto started = steady::now();
    auto index = writer.append(std::move(record));
    const auto waited =
        std::chrono::duration_cast<std::chrono::microseconds>(steady::now() - started);
    if (!index) {
      out.failure = index.error();
      return;
    }
    decision_index = *index;
    out.latencies_us.push_back(
        static_cast<std::uint32_t>(std::min<std::int64_t>(waited.count(), UINT32_MAX)));
  }
}

// Prints progress every 2 s until `done` is set.
class progress_reporter {
 public:
  progress_reporter(const evidence::log_writer& writer, std::uint64_t total)
      : writer_(writer), total_(total), started_(steady::now()) {
    thread_ = std::thread([this] { run(); });
  }
  ~progress_reporter() { finish(); }
  void finish() {
    {
      std::lock_guard lock(mutex_);
      done_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable())
      thread_.join();
  }

 private:
  void run() {
    std::unique_lock lock(mutex_);
    while (!wake_.wait_for(lock, progress_interval, [&] { return done_; })) {
      const auto written = writer_.snapshot().entries;
      const double seconds = std::chrono::duration<double>(steady::now() - started_).count();
      std::fprintf(stderr, "bench log: %llu/%llu entries durable, %.0f entries/s\n",
                   static_cast<unsigned long long>(written),
                   static_cast<unsigned long long>(total_), written / seconds);
    }
  }

  const evidence::log_writer& writer_;
  std::uint64_t total_;
  steady::time_point started_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool done_ = false;
  std::thread thread_;
};

struct run_totals {
  double seconds = 0;
  evidence::log_writer::stats writer;
  std::vector<std::uint32_t> latencies_us;
  std::uint64_t entry_bytes = 0;
  std::uint64_t heads = 0;
};

result<run_totals> run_load(const bench_options& options, const hub::hub_directory& dir,
                            const exchange_entries& make) {
  auto writer_db = SAPHAN_TRY(hub::open_hub_store_unaudited(dir));
  auto heads_db = SAPHAN_TRY(hub::open_hub_store_unaudited(dir));
  auto key = SAPHAN_TRY(hub::load_or_create_log_key(dir));

  std::atomic<std::uint64_t> heads{0};
  evidence::checkpointer checkpoints(std::move(heads_db), {bench_origin, key},
                                     options.checkpoint_every, [&heads] { heads.fetch_add(1); });
  evidence::log_writer writer(std::move(writer_db));
  checkpoints.start();

  std::vector<worker_result> results(options.threads);
  std::vector<std::thread> threads;
  std::atomic<bool> abort{false};
  const auto started = steady::now();
  {
    progress_reporter progress(writer, options.entries);
    for (std::uint64_t t = 0; t < options.threads; ++t) {
      const std::uint64_t share =
          options.entries / options.threads + (t < options.entries % options.threads ? 1 : 0);
      threads.emplace_back([&, t, share] {
        run_worker(writer, make, t, share, abort, results[t]);
        if (results[t].failure)
          abort.store(true);
      });
    }
    for (auto& t : threads)
      t.join();
  }
  run_totals totals;
  totals.seconds = std::chrono::duration<double>(steady::now() - started).count();
  totals.writer = writer.snapshot();
  writer.stop();
  checkpoints.stop();  // signs the last head, covering every entry
  totals.heads = heads.load();
  for (auto& r : results) {
    if (r.failure)
      return make_error(r.failure->code, "append failed: " + r.failure->detail);
    totals.entry_bytes += r.entry_bytes;
    totals.latencies_us.insert(totals.latencies_us.end(), r.latencies_us.begin(),
                               r.latencies_us.end());
  }
  return totals;
}

// ---- the report ------------------------------------------------------------------------------

double percentile_ms(std::vector<std::uint32_t>& values, double fraction) {
  if (values.empty())
    return 0;
  const auto at = static_cast<std::size_t>(fraction * static_cast<double>(values.size() - 1));
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(at), values.end());
  return values[at] / 1000.0;
}

std::uintmax_t file_size_or_zero(const std::string& path) {
  std::error_code ec;
  auto size = fs::file_size(path, ec);
  return ec ? 0 : size;
}

// The run is only worth reporting when every entry is in the log and under the last signed head.
result<std::uint64_t> check_log(const hub::hub_directory& dir, std::uint64_t expected) {
  auto db = SAPHAN_TRY(hub::open_hub_store_unaudited(dir));
  auto size = SAPHAN_TRY(db->log_size());
  auto head = SAPHAN_TRY(db->latest_checkpoint());
  if (size != expected || !head || head->tree_size != expected) {
    return make_error(errc::internal, "log holds " + std::to_string(size) +
                                          " entries, latest head " +
                                          std::to_string(head ? head->tree_size : 0) +
                                          ", expected " + std::to_string(expected));
  }
  return size;
}

void print_report(const bench_options& options, run_totals& t, const hub::hub_directory& dir) {
  const double mean_batch =
      t.writer.batches ? double(t.writer.entries) / double(t.writer.batches) : 0;
  const auto n = t.latencies_us.size();
  const auto max_us = n ? *std::max_element(t.latencies_us.begin(), t.latencies_us.end()) : 0u;
  const double p50 = percentile_ms(t.latencies_us, 0.50);
  const double p99 = percentile_ms(t.latencies_us, 0.99);
  const auto db_bytes = file_size_or_zero(dir.store_path());
  const auto wal_bytes = file_size_or_zero(dir.store_path() + "-wal");
  std::printf("saphan bench log: %llu entries, %llu threads, a tree head every %lld ms\n",
              static_cast<unsigned long long>(options.entries),
              static_cast<unsigned long long>(options.threads),
              static_cast<long long>(options.checkpoint_every.count()));
  std::printf("store:            %s\n", dir.store_path().c_str());
  std::printf("elapsed:          %.2f s\n", t.seconds);
  std::printf("entries/s:        %.0f\n", double(n) / t.seconds);
  std::printf("batches:          %llu (mean %.1f entries per batch, %llu failed)\n",
              static_cast<unsigned long long>(t.writer.batches), mean_batch,
              static_cast<unsigned long long>(t.writer.failed_batches));
  std::printf("append latency:   p50 %.3f ms, p99 %.3f ms, max %.3f ms\n", p50, p99,
              max_us / 1000.0);
  std::printf("entry size:       mean %.0f bytes\n", n ? double(t.entry_bytes) / double(n) : 0.0);
  std::printf("tree heads:       %llu signed, the last one of size %llu\n",
              static_cast<unsigned long long>(t.heads),
              static_cast<unsigned long long>(options.entries));
  std::printf("store size:       %llu bytes (%.1f MiB; %.0f bytes per entry)%s\n",
              static_cast<unsigned long long>(db_bytes + wal_bytes),
              double(db_bytes + wal_bytes) / (1024.0 * 1024.0),
              double(db_bytes + wal_bytes) / double(n), wal_bytes ? " including the WAL" : "");
}

result<void> run_log_bench(const parsed_args& args) {
  auto options = SAPHAN_TRY(read_options(args));
  SAPHAN_TRY_VOID(require_fresh(options.dir));
  hub::hub_directory dir{options.dir};
  SAPHAN_TRY_VOID(hub::init_hub_directory(dir));
  auto key = SAPHAN_TRY(crypto::read_pseudonym_key_file(dir.pseudonym_key()));
  auto make = SAPHAN_TRY(exchange_entries::create(std::move(key)));
  auto totals = SAPHAN_TRY(run_load(options, dir, make));
  auto checked = check_log(dir, options.entries);  // also the last connection: WAL folded in
  if (!checked)
    return std::move(checked).error();
  print_report(options, totals, dir);
  return ok();
}

const std::map<std::string, command_spec>& bench_commands() {
  static const std::map<std::string, command_spec> table = {
      {"log", {run_log_bench, {"dir", "entries", "threads", "checkpoint-every"}, log_usage}},
  };
  return table;
}

}  // namespace

int run_bench_command(const arguments& args) {
  return run_subcommand("bench", bench_commands(), bench_usage, args);
}

}  // namespace saphan::cli
