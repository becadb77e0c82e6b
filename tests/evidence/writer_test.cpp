// The group-commit evidence writer over a real SQLite file: concurrent callers share commits,
// every caller gets its own index with no gaps, one bad entry fails alone, an effect that fails
// is undone and logged as its replacement, a full database fails whole batches and the writer
// recovers once there is room, and nothing is accepted after stop().
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

#include <sqlite3.h>

#include "evidence/log.hpp"
#include "evidence/writer.hpp"
#include "store/sqlite_store.hpp"

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

namespace {

// Statements on the file through a connection of its own, outside the store.
void exec_raw(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  sqlite3_busy_timeout(db, 5000);
  char* message = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message);
  const std::string text = message != nullptr ? message : "";
  sqlite3_free(message);
  sqlite3_close(db);
  INFO(text);
  REQUIRE(rc == SQLITE_OK);
}

std::int64_t page_count(const std::string& path) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "PRAGMA page_count", -1, &stmt, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(stmt) == SQLITE_ROW);
  const auto pages = sqlite3_column_int64(stmt, 0);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return pages;
}

member_id effect_member(int i) {
  return parse_member_id("TH/GOV/TEST/m" + std::to_string(i)).value();
}

}  // namespace

TEST_CASE("a full database fails whole batches, keeps nothing of them, and recovers with room",
          "[evidence][writer]") {
  temp_store files;
  const std::string path = (files.dir / "hub.db").string();
  files.open();  // created and migrated
  // Room the test gives back later, as an operator frees a disk: 50 pages of filler, and the
  // writer's connection capped 30 pages above what the file holds with it.
  exec_raw(path, "CREATE TABLE filler(b BLOB); INSERT INTO filler VALUES(zeroblob(200000));");
  sqlite_options capped;
  capped.path = path;
  capped.max_pages = page_count(path) + 30;
  auto writer_db = open_sqlite_store(capped);
  REQUIRE(writer_db);
  evidence::log_writer writer(std::move(*writer_db));

  // 2 KB entries from 8 threads, each with an effect that writes a member: batches of several
  // items meet the cap in the middle of an effect or of the append.
  constexpr int threads = 8, each = 40;
  std::vector<result<evidence::log_writer::appended>> outcomes(
      threads * each, make_error(errc::internal, "not run"));
  {
    std::vector<std::thread> callers;
    for (int t = 0; t < threads; ++t) {
      callers.emplace_back([&, t] {
        for (int k = 0; k < each; ++k) {
          const int i = t * each + k;
          evidence::log_writer::item item;
          item.record = entry(std::to_string(i) + "-" + std::string(2000, 'x'));
          item.effect = [i](store& db) -> result<void> {
            return db.add_member({effect_member(i), "Effect", {}, classification::internal});
          };
          item.on_failure = [](const error& e) { return entry("refused: " + e.detail); };
          outcomes[static_cast<std::size_t>(i)] = writer.append(std::move(item));
        }
      });
    }
    for (auto& c : callers)
      c.join();
  }
  std::set<std::uint64_t> written_indexes;
  std::set<int> kept, refused;
  for (int i = 0; i < threads * each; ++i) {
    const auto& outcome = outcomes[static_cast<std::size_t>(i)];
    if (outcome) {
      CHECK_FALSE(outcome->effect_error);  // a full store is never logged as an effect's refusal
      written_indexes.insert(outcome->index);
      kept.insert(i);
    } else {
      CHECK(outcome.error().code == errc::evidence_unavailable);
      refused.insert(i);
    }
  }
  REQUIRE_FALSE(kept.empty());
  REQUIRE_FALSE(refused.empty());
  CHECK(writer.snapshot().failed_batches > 0);
  // A last batch alone, larger than any room left: the writer says it cannot write.
  auto too_large = writer.append(entry(std::string(60000, 'y')));
  REQUIRE_FALSE(too_large);
  CHECK(too_large.error().code == errc::evidence_unavailable);
  const auto stats = writer.snapshot();
  CHECK_FALSE(stats.writable);
  CHECK_FALSE(stats.last_failure.empty());

  // What the store holds is exactly the accepted items: their entries, indexes 0..n-1 without a
  // gap, their effects; nothing of a refused item, entry or effect.
  auto reader = files.open();
  REQUIRE(*reader->log_size() == kept.size());
  CHECK(written_indexes.size() == kept.size());
  CHECK(*written_indexes.rbegin() == kept.size() - 1);
  auto rows = reader->read_log(0, 10000);
  REQUIRE(rows);
  for (const auto& row : *rows)
    CHECK(row.entry.find("refused") == std::string::npos);
  for (int i : kept)
    CHECK(reader->find_member(effect_member(i)));
  for (int i : refused)
    CHECK_FALSE(reader->find_member(effect_member(i)));

  // Room again: the writer's probe finds it within a few intervals and appends succeed.
  exec_raw(path, "DELETE FROM filler;");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!writer.snapshot().writable && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK(writer.snapshot().writable);
  auto after = writer.append(entry("after the room came back"));
  REQUIRE(after);
  CHECK(*after == kept.size());
}
