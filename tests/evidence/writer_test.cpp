// The group-commit evidence writer over a real SQLite file: concurrent callers share commits,
// every caller gets its own index with no gaps, one bad entry fails alone, an effect that fails
// is undone and logged as its replacement, and nothing is accepted after stop().
#include <catch2/catch.hpp>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "evidence/log.hpp"
#include "evidence/writer.hpp"

namespace {

using namespace saphan;
namespace fs = std::filesystem;

struct temp_store {
  fs::path dir;
  temp_store() {
    std::random_device rd;
    dir = fs::temp_directory_path() / ("saphan-writer-test-" + std::to_string(rd()));
    fs::create_directories(dir);
  }
  ~temp_store() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  std::unique_ptr<store> open() const {
    auto s = open_store((dir / "hub.db").string());
    REQUIRE(s);
    return std::move(*s);
  }
};

log_append entry(const std::string& text) {
  log_append e;
  e.entry = R"({"kind":"test","text":")" + text + R"("})";
  e.terms.kind = "test";
  e.terms.at = parse_rfc3339("2026-11-29T00:00:00Z").value();
  return e;
}

}  // namespace

TEST_CASE("concurrent appends share commits and get distinct indexes without gaps",
          "[evidence][writer]") {
  temp_store files;
  evidence::log_writer writer(files.open());
  constexpr int threads = 16, each = 25;
  std::vector<std::vector<std::uint64_t>> indexes(threads);
  std::atomic<int> failures{0};
  {
    std::vector<std::thread> callers;
    for (int t = 0; t < threads; ++t) {
      callers.emplace_back([&, t] {
        for (int i = 0; i < each; ++i) {
          auto index = writer.append(entry(std::to_string(t) + "-" + std::to_string(i)));
          if (index) {
            indexes[static_cast<std::size_t>(t)].push_back(*index);
          } else {
            ++failures;
          }
        }
      });
    }
    for (auto& c : callers)
      c.join();
  }
  CHECK(failures.load() == 0);
  std::set<std::uint64_t> all;
  for (const auto& list : indexes)
    all.insert(list.begin(), list.end());
  REQUIRE(all.size() == threads * each);
  CHECK(*all.begin() == 0);
  CHECK(*all.rbegin() == threads * each - 1);
  const auto stats = writer.snapshot();
  CHECK(stats.entries == threads * each);
  CHECK(stats.batches < stats.entries);  // group commit: some transactions held several entries
  CHECK(stats.failed_batches == 0);

  // What each caller was told is what the log holds at that index.
  writer.stop();
  auto reader = files.open();
  auto rows = reader->read_log(0, threads * each);
  REQUIRE(rows);
  REQUIRE(rows->size() == threads * each);
  for (int t = 0; t < threads; ++t) {
    for (int i = 0; i < each; ++i) {
      const auto index = indexes[static_cast<std::size_t>(t)][static_cast<std::size_t>(i)];
      CHECK((*rows)[index].entry == entry(std::to_string(t) + "-" + std::to_string(i)).entry);
    }
  }
}

TEST_CASE("an oversized entry fails alone, the entries around it are written",
          "[evidence][writer]") {
  temp_store files;
  evidence::log_writer writer(files.open());
  REQUIRE(writer.append(entry("before")));
  auto huge = entry(std::string(max_log_entry_bytes, 'x'));
  auto refused = writer.append(huge);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == errc::evidence_unavailable);
  auto after = writer.append(entry("after"));
  REQUIRE(after);
  CHECK(*after == 1);
  CHECK(writer.snapshot().failed_batches == 0);
}

TEST_CASE("a failed effect is undone and its replacement entry is logged", "[evidence][writer]") {
  temp_store files;
  evidence::log_writer writer(files.open());
  evidence::log_writer::item item;
  item.record = entry("would-be");
  item.effect = [](store& db) -> result<void> {
    member_record m{
        parse_member_id("TH/GOV/TEST/effect").value(), "Effect", {}, classification::internal};
    SAPHAN_TRY_VOID(db.add_member(m));  // written, then undone by the failure below
    return make_error(errc::conflict, "changed meanwhile");
  };
  item.on_failure = [](const error& e) { return entry("instead: " + e.detail); };
  auto written = writer.append(std::move(item));
  REQUIRE(written);
  REQUIRE(written->effect_error);
  CHECK(written->effect_error->code == errc::conflict);
  writer.stop();
  auto reader = files.open();
  CHECK_FALSE(reader->find_member(parse_member_id("TH/GOV/TEST/effect").value()));
  auto rows = reader->read_log(0, 10);
  REQUIRE(rows);
  REQUIRE(rows->size() == 1);
  CHECK(rows->front().entry == entry("instead: changed meanwhile").entry);
}

TEST_CASE("after stop the writer refuses appends", "[evidence][writer]") {
  temp_store files;
  evidence::log_writer writer(files.open());
  REQUIRE(writer.append(entry("one")));
  writer.stop();
  writer.stop();  // idempotent
  auto late = writer.append(entry("late"));
  REQUIRE_FALSE(late);
  CHECK(late.error().code == errc::evidence_unavailable);
}

TEST_CASE("submit completes each entry without blocking its caller", "[evidence][writer]") {
  temp_store files;
  evidence::log_writer writer(files.open());
  constexpr int count = 200;
  std::mutex mutex;
  std::condition_variable all_done;
  std::vector<std::uint64_t> indexes;
  int failures = 0;
  for (int i = 0; i < count; ++i) {
    writer.submit({entry("submitted-" + std::to_string(i)), {}, {}},
                  [&](result<evidence::log_writer::appended> written) {
                    std::lock_guard lock(mutex);
                    if (written) {
                      indexes.push_back(written->index);
                    } else {
                      ++failures;
                    }
                    all_done.notify_all();
                  });
  }
  {
    std::unique_lock lock(mutex);
    REQUIRE(all_done.wait_for(lock, std::chrono::seconds(30),
                              [&] { return indexes.size() + failures == count; }));
  }
  CHECK(failures == 0);
  CHECK(std::set<std::uint64_t>(indexes.begin(), indexes.end()).size() == count);
  CHECK(writer.snapshot().batches < count);  // submitted entries share commits too

  // Refused at once (oversized) and after stop: completed on the caller's thread.
  std::optional<errc> refused;
  writer.submit({entry(std::string(max_log_entry_bytes, 'x')), {}, {}},
                [&](result<evidence::log_writer::appended> r) {
                  refused = r ? errc::internal : r.error().code;
                });
  CHECK(refused == errc::evidence_unavailable);
  writer.stop();
  std::optional<errc> late;
  writer.submit({entry("late"), {}, {}}, [&](result<evidence::log_writer::appended> r) {
    late = r ? errc::internal : r.error().code;
  });
  CHECK(late == errc::evidence_unavailable);
}
