#include <catch2/catch.hpp>

#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "store/sqlite_store.hpp"
#include "store/write_turns.hpp"
#include "store_test_support.hpp"

using namespace saphan;

namespace {

using std::chrono::milliseconds;
using store_test::temp_dir;
using steady = std::chrono::steady_clock;

std::unique_ptr<store> open_store(const std::string& path, int busy_timeout_ms) {
  sqlite_options options;
  options.path = path;
  options.busy_timeout_ms = busy_timeout_ms;
  auto s = open_sqlite_store(options);
  if (!s)
    FAIL("open_sqlite_store: " << s.error().detail);
  return std::move(*s);
}

// No Catch2 assertion here: the busy writer calls it from its own thread.
result<void> add_member(store& s, const std::string& name) {
  auto id = parse_member_id("TH/GOV/" + name + "/registry");
  if (!id)
    return std::move(id).error();
  return s.add_member(member_record{*id, name, {"justice"}, classification::internal});
}

// Spins until `count` reaches `target`, for at most 10 s; false if it did not.
bool wait_for_count(const std::atomic<int>& count, int target) {
  const auto give_up = steady::now() + std::chrono::seconds(10);
  while (count < target && steady::now() < give_up)
    std::this_thread::yield();
  return count >= target;
}

// A plain SQLite connection to the file, outside the store: as another process would hold it.
struct raw_connection {
  sqlite3* db = nullptr;
  explicit raw_connection(const std::string& path) {
    REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK);
  }
  ~raw_connection() { sqlite3_close(db); }
  raw_connection(const raw_connection&) = delete;
  raw_connection& operator=(const raw_connection&) = delete;
  int run(const char* sql) { return sqlite3_exec(db, sql, nullptr, nullptr, nullptr); }
};

// A store, and a plain connection holding the write lock of the same file.
struct held_lock {
  temp_dir dir;
  std::unique_ptr<store> waiter;
  raw_connection holder;
  explicit held_lock(int waiter_busy_timeout_ms)
      : waiter(open_store(dir.file(), waiter_busy_timeout_ms)), holder(dir.file()) {
    REQUIRE(holder.run("BEGIN IMMEDIATE") == SQLITE_OK);
  }
};

}  // namespace

// The group commit's pattern: one connection opens its next write transaction microseconds after
// each commit. With SQLite's own busy handler (sleeps of 1 to 100 ms) a second connection almost
// never finds the lock free and fails after its busy timeout; taking turns, it gets the next one.
TEST_CASE("a connection that writes now and then gets its turn between back-to-back transactions",
          "[store][turns]") {
  temp_dir dir;
  const auto path = dir.file();
  auto busy = open_store(path, 5000);
  auto occasional = open_store(path, 5000);

  std::atomic<bool> stop{false};
  std::atomic<int> busy_commits{0};
  std::thread writer([&] {
    const auto give_up = steady::now() + std::chrono::seconds(20);
    for (int i = 0; !stop && steady::now() < give_up; ++i) {
      auto done =
          busy->transaction([&](store&) { return add_member(*busy, "BUSY" + std::to_string(i)); });
      if (done)
        ++busy_commits;
    }
  });
  // Let the busy connection get going before the occasional one needs the lock.
  CHECK(wait_for_count(busy_commits, 20));

  int succeeded = 0;
  for (int i = 0; i < 5; ++i) {
    const int before = busy_commits;
    const auto started = steady::now();
    auto added = add_member(*occasional, "OCC" + std::to_string(i));
    const auto waited = steady::now() - started;
    INFO((added ? std::string() : added.error().detail));
    CHECK(added);
    // Its turn comes after a transaction or two of the busy one, far within the busy timeout.
    CHECK(waited < milliseconds(1000));
    succeeded += added ? 1 : 0;
    // The other connection goes on committing between the occasional writes.
    CHECK(wait_for_count(busy_commits, before + 5));
  }
  stop = true;
  writer.join();
  CHECK(succeeded == 5);
  CHECK(occasional->find_member(*parse_member_id("TH/GOV/OCC4/registry")));
}

TEST_CASE("a connection waiting for the lock gives up at its busy timeout, not before",
          "[store][turns]") {
  held_lock f(300);
  const auto started = steady::now();
  auto refused = add_member(*f.waiter, "WAITER");
  const auto waited = steady::now() - started;
  CHECK(refused.code() == errc::storage_failure);
  CHECK(waited >= milliseconds(300));
  CHECK(waited < milliseconds(5000));

  REQUIRE(f.holder.run("ROLLBACK") == SQLITE_OK);
  CHECK(add_member(*f.waiter, "WAITER"));
}

// The holder is not one of this process's stores (another process, say): its commit is not
// announced, and the waiter still takes the lock once it is free.
TEST_CASE("a connection waiting on a lock held outside the process gets it once it is released",
          "[store][turns]") {
  held_lock f(5000);
  int committed = -1;
  std::thread release([&] {
    std::this_thread::sleep_for(milliseconds(200));
    committed = f.holder.run("COMMIT");
  });
  const auto started = steady::now();
  auto added = add_member(*f.waiter, "WAITER");
  const auto waited = steady::now() - started;
  release.join();
  CHECK(committed == SQLITE_OK);
  INFO((added ? std::string() : added.error().detail));
  CHECK(added);
  // Tried again every poll slice, not only at the end of the busy timeout.
  CHECK(waited < milliseconds(1000));
}

// write_turns on its own, with slices and graces long enough that only a wake-up ends a wait early.
TEST_CASE("a waiter wakes when the lock is released, not at the end of its slice", "[turns]") {
  write_turns turns(std::chrono::seconds(10), std::chrono::seconds(10));
  std::thread releaser([&] {
    std::this_thread::sleep_for(milliseconds(50));
    turns.released();
  });
  const auto started = steady::now();
  CHECK(turns.wait_for_release(steady::now() + std::chrono::seconds(20)));
  const auto waited = steady::now() - started;
  releaser.join();
  CHECK(waited < std::chrono::seconds(5));
}

TEST_CASE("a waiter gives up once its deadline has passed", "[turns]") {
  write_turns turns(std::chrono::seconds(10), std::chrono::seconds(10));
  CHECK_FALSE(turns.wait_for_release(steady::now() - milliseconds(1)));
  const auto started = steady::now();
  const auto deadline = started + milliseconds(100);
  int waits = 0;
  while (turns.wait_for_release(deadline) && waits < 1000)
    ++waits;
  const auto waited = steady::now() - started;
  CHECK(waits >= 1);
  CHECK(waited >= milliseconds(100));
  CHECK(waited < std::chrono::seconds(5));
}

// Woken, the waiter tries the lock again at once; the connection about to write goes on once it
// has (the waiter then either holds the lock, so that this one waits for its release, or had
// nothing to write). Without the wake-up both would sleep 10 s here.
TEST_CASE("a connection about to write wakes a waiter and holds back until it has woken",
          "[turns]") {
  write_turns turns(std::chrono::seconds(10), std::chrono::seconds(10));
  steady::duration waiter_slept{};
  std::thread waiter([&] {
    const auto started = steady::now();
    turns.wait_for_release(started + std::chrono::seconds(20));
    waiter_slept = steady::now() - started;
  });
  const auto give_up = steady::now() + std::chrono::seconds(10);
  while (turns.waiting() == 0 && steady::now() < give_up)
    std::this_thread::yield();
  REQUIRE(turns.waiting() == 1);
  const auto started = steady::now();
  turns.let_waiters_first();
  const auto held_back = steady::now() - started;
  waiter.join();
  CHECK(turns.waiting() == 0);
  CHECK(waiter_slept < std::chrono::seconds(5));
  CHECK(held_back < std::chrono::seconds(5));
}

TEST_CASE("with nobody waiting, a connection about to write does not hold back", "[turns]") {
  write_turns turns(std::chrono::seconds(10), std::chrono::seconds(10));
  const auto started = steady::now();
  turns.let_waiters_first();
  CHECK(steady::now() - started < std::chrono::seconds(5));
}
