#include <catch2/catch.hpp>

#include <sqlite3.h>

#include <filesystem>
#include <random>
#include <thread>

#include "store/sqlite_store.hpp"
#include "store/wal_checkpoint.hpp"
#include "store_test_support.hpp"

using namespace saphan;

namespace {

namespace fs = std::filesystem;

using store_test::temp_dir;

std::unique_ptr<store> open_without_autocheckpoint(const std::string& path) {
  sqlite_options options;
  options.path = path;
  options.wal_autocheckpoint_pages = 0;
  auto s = open_sqlite_store(options);
  if (!s)
    FAIL("open_sqlite_store: " << s.error().detail);
  return std::move(*s);
}

// A store whose own commits stay in the WAL, and a checkpointer that has copied the tables
// into the file (so that the file alone can be read).
struct wal_fixture {
  temp_dir dir;
  std::string path = dir.file();
  std::unique_ptr<store> db = open_without_autocheckpoint(path);
  std::unique_ptr<wal_checkpointer> checkpointer = open_checkpointer(path);

  static std::unique_ptr<wal_checkpointer> open_checkpointer(const std::string& at) {
    auto opened = wal_checkpointer::open(at);
    if (!opened)
      FAIL("wal_checkpointer::open: " << opened.error().detail);
    if (!(*opened)->run_once())
      FAIL("first checkpoint failed");
    return std::move(*opened);
  }
};

// Members number first .. first + count - 1.
void add_members(store& s, int first, int count) {
  for (int i = first; i < first + count; ++i) {
    auto id = parse_member_id("TH/GOV/M" + std::to_string(i) + "/registry");
    REQUIRE(id);
    auto added = s.add_member(
        member_record{*id, "Member " + std::to_string(i), {"justice"}, classification::internal});
    INFO((added ? std::string() : added.error().detail));
    REQUIRE(added);
  }
}

long long count_members(sqlite3* db) {
  sqlite3_stmt* count = nullptr;
  long long n = -1;
  if (sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM members", -1, &count, nullptr) == SQLITE_OK &&
      sqlite3_step(count) == SQLITE_ROW) {
    n = sqlite3_column_int64(count, 0);
  }
  sqlite3_finalize(count);
  return n;
}

// How many members a copy of the database file alone (no -wal beside it) holds.
long long members_in_file_alone(const temp_dir& dir, const std::string& db_file) {
  const auto copy = dir.file("copy.db");
  fs::remove(copy + "-wal");
  fs::remove(copy + "-shm");
  fs::copy_file(db_file, copy, fs::copy_options::overwrite_existing);
  sqlite3* raw = nullptr;
  REQUIRE(sqlite3_open_v2(copy.c_str(), &raw, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK);
  const auto n = count_members(raw);
  sqlite3_close(raw);
  return n;
}

}  // namespace

TEST_CASE("a passive checkpoint copies the committed WAL pages into the database file",
          "[store][wal]") {
  wal_fixture f;
  add_members(*f.db, 0, 200);
  // With automatic checkpoints off, the commits are in the WAL only.
  CHECK(members_in_file_alone(f.dir, f.path) == 0);

  auto progress = f.checkpointer->run_once();
  REQUIRE(progress);
  CHECK(progress->log_frames > 0);
  CHECK(progress->copied_frames == progress->log_frames);
  CHECK(members_in_file_alone(f.dir, f.path) == 200);

  // The writer goes on; the next copy takes the new pages too.
  add_members(*f.db, 200, 1);
  auto again = f.checkpointer->run_once();
  REQUIRE(again);
  CHECK(again->copied_frames == again->log_frames);
  CHECK(members_in_file_alone(f.dir, f.path) == 201);
}

TEST_CASE("a passive checkpoint leaves pages that a reader still needs and does not wait",
          "[store][wal]") {
  wal_fixture f;
  add_members(*f.db, 0, 10);

  // A reader in the middle of a read transaction keeps seeing the database as it was then, so
  // the pages it reads from the WAL must not be overwritten in the file yet.
  sqlite3* reader = nullptr;
  REQUIRE(sqlite3_open(f.path.c_str(), &reader) == SQLITE_OK);
  REQUIRE(sqlite3_exec(reader, "BEGIN", nullptr, nullptr, nullptr) == SQLITE_OK);
  REQUIRE(count_members(reader) == 10);
  add_members(*f.db, 10, 10);

  auto progress = f.checkpointer->run_once();
  REQUIRE(progress);
  CHECK(progress->copied_frames < progress->log_frames);
  CHECK(members_in_file_alone(f.dir, f.path) < 20);
  CHECK(count_members(reader) == 10);  // its snapshot is intact

  REQUIRE(sqlite3_exec(reader, "COMMIT", nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(reader);

  // Nor does it wait for a writer: with another connection holding the write lock, it returns
  // (a blocking checkpoint would hang here until the test's time limit).
  sqlite3* writer = nullptr;
  REQUIRE(sqlite3_open(f.path.c_str(), &writer) == SQLITE_OK);
  REQUIRE(sqlite3_exec(writer, "BEGIN IMMEDIATE; UPDATE registry_version SET v = v + 1;", nullptr,
                       nullptr, nullptr) == SQLITE_OK);
  CHECK(f.checkpointer->run_once());
  REQUIRE(sqlite3_exec(writer, "ROLLBACK", nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(writer);
  auto after = f.checkpointer->run_once();
  REQUIRE(after);
  CHECK(after->copied_frames == after->log_frames);
  CHECK(members_in_file_alone(f.dir, f.path) == 20);
}

TEST_CASE("a connection's own checkpoints follow wal_autocheckpoint_pages", "[store][wal]") {
  temp_dir dir;
  const auto path = dir.file("hub.db");
  sqlite_options options;
  options.path = path;
  options.wal_autocheckpoint_pages = 1;  // every commit copies itself
  auto db = open_sqlite_store(options);
  REQUIRE(db);
  add_members(**db, 0, 3);
  CHECK(members_in_file_alone(dir, path) == 3);

  auto off = open_without_autocheckpoint(path);
  add_members(*off, 3, 3);
  CHECK(members_in_file_alone(dir, path) == 3);
}

TEST_CASE("checkpointing refuses a database that is not there, and bad settings", "[store][wal]") {
  temp_dir dir;
  auto missing = wal_checkpointer::open(dir.file("missing.db"));
  REQUIRE_FALSE(missing);
  CHECK(missing.code() == errc::storage_failure);
  CHECK_FALSE(fs::exists(dir.file("missing.db")));

  sqlite_options options;
  options.path = dir.file("hub.db");
  options.wal_autocheckpoint_pages = -1;
  CHECK(open_sqlite_store(options).code() == errc::invalid_argument);
}

TEST_CASE("a store opened from its location copies its WAL back by itself", "[store][wal]") {
  temp_dir dir;
  const auto path = dir.file();
  auto opened = open_store(path);
  REQUIRE(opened);
  add_members(**opened, 0, 50);
  // Far below the connection's own automatic checkpoint: only the store's background copy puts
  // these rows into the database file while the connection stays open.
  long long in_file = -1;
  for (int i = 0; i < 100 && in_file != 50; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    in_file = members_in_file_alone(dir, path);
  }
  CHECK(in_file == 50);
}
