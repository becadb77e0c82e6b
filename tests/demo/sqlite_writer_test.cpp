#include "connectors/sqlite/sqlite_writer.hpp"

#include <catch2/catch.hpp>

#include <filesystem>

#include "connectors/sqlite/sqlite_adapter.hpp"
#include "core/files.hpp"
#include "core/json.hpp"
#include "crypto/keys.hpp"

namespace {

namespace fs = std::filesystem;
using saphan::connector::record_rows;
using saphan::connector::write_records;
using saphan::connector::write_tables;

struct temp_dir {
  fs::path path = fs::temp_directory_path() / ("saphan-writer-" + saphan::crypto::random_id());
  temp_dir() { fs::create_directories(path); }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::size_t entries() const {
    return static_cast<std::size_t>(
        std::distance(fs::directory_iterator(path), fs::directory_iterator()));
  }
};

// Reads back through the connector's real SQLite adapter, as a provider would.
std::optional<std::string> fetch(const fs::path& db, const std::string& table,
                                 const std::string& subject) {
  auto config =
      saphan::parse_json(R"({"type":"sqlite","path":")" + db.string() + R"(","table":")" + table +
                         R"(","keyColumn":"citizen_id","recordColumn":"record"})");
  REQUIRE(config);
  auto adapter =
      saphan::connector::make_sqlite_adapter(*config, "adapter", db.parent_path().string());
  INFO((adapter ? "" : adapter.error().detail));
  REQUIRE(adapter);
  auto record = (*adapter)->fetch(subject);
  REQUIRE(record);
  return *record;
}

const record_rows two_rows{{"1101700203451", R"({"citizenId":"1101700203451"})"},
                           {"3100600012345", R"({"citizenId":"3100600012345","x":"ไทย"})"}};

}  // namespace

TEST_CASE("written records can be read by the SQLite adapter", "[demo][sqlite_writer]") {
  temp_dir dir;
  const auto db = dir.path / "dopa.db";
  REQUIRE(write_records(db.string(), "person", "citizen_id", "record", two_rows));
  CHECK(fetch(db, "person", "3100600012345") == two_rows[1].second);
  CHECK(fetch(db, "person", "1101700203451") == two_rows[0].second);
  CHECK_FALSE(fetch(db, "person", "0000000000000").has_value());
  CHECK(dir.entries() == 1);  // no temp file left behind
}

TEST_CASE("several tables go into one file, and a rewrite replaces it", "[demo][sqlite_writer]") {
  temp_dir dir;
  const auto db = dir.path / "dopa.db";
  REQUIRE(
      write_tables(db.string(), {{"person", "citizen_id", "record", two_rows},
                                 {"house_registration", "citizen_id", "record", {two_rows[0]}}}));
  CHECK(fetch(db, "house_registration", "1101700203451").has_value());
  CHECK_FALSE(fetch(db, "house_registration", "3100600012345").has_value());

  REQUIRE(write_records(db.string(), "person", "citizen_id", "record", {two_rows[1]}));
  CHECK_FALSE(fetch(db, "person", "1101700203451").has_value());
  CHECK(fetch(db, "person", "3100600012345").has_value());
}

TEST_CASE("identifiers must be plain SQL names", "[demo][sqlite_writer]") {
  temp_dir dir;
  const auto db = (dir.path / "x.db").string();
  const std::string longest = "a" + std::string(63, 'b');
  CHECK(write_records(db, longest, "k", "r", two_rows));
  for (const std::string& bad :
       {longest + "c", std::string("1person"), std::string(""),
        std::string("person\"; DROP TABLE x; --"), std::string("per son")}) {
    auto as_table = write_records(db, bad, "k", "r", two_rows);
    REQUIRE_FALSE(as_table);
    CHECK(as_table.code() == saphan::errc::invalid_argument);
    CHECK(write_records(db, "t", bad, "r", two_rows).code() == saphan::errc::invalid_argument);
    CHECK(write_records(db, "t", "k", bad, two_rows).code() == saphan::errc::invalid_argument);
  }
  CHECK(write_records(db, "t", "same", "same", two_rows).code() == saphan::errc::invalid_argument);
  CHECK(write_tables(db, {{"t", "k", "r", two_rows}, {"t", "k", "r", two_rows}}).code() ==
        saphan::errc::invalid_argument);
}

TEST_CASE("a failed write leaves the previous file untouched and no temp file",
          "[demo][sqlite_writer]") {
  temp_dir dir;
  const auto db = dir.path / "dopa.db";
  REQUIRE(write_records(db.string(), "person", "citizen_id", "record", two_rows));
  const auto before = saphan::read_file(db.string(), 1 << 24);
  REQUIRE(before);

  const record_rows duplicate{two_rows[0], two_rows[1], two_rows[0]};
  auto failed = write_records(db.string(), "person", "citizen_id", "record", duplicate);
  REQUIRE_FALSE(failed);
  CHECK(failed.code() == saphan::errc::invalid_argument);
  CHECK(saphan::read_file(db.string(), 1 << 24).value() == *before);
  CHECK(dir.entries() == 1);

  const auto fresh = dir.path / "fresh.db";
  REQUIRE_FALSE(write_records(fresh.string(), "person", "citizen_id", "record", duplicate));
  CHECK_FALSE(fs::exists(fresh));
  CHECK(dir.entries() == 1);
}

TEST_CASE("keys and records are bounded", "[demo][sqlite_writer]") {
  temp_dir dir;
  const auto db = (dir.path / "x.db").string();
  const std::string longest_key(saphan::connector::max_writer_key_bytes, '7');
  CHECK(write_records(db, "t", "k", "r", {{longest_key, "{}"}}));
  CHECK(write_records(db, "t", "k", "r", {{longest_key + "7", "{}"}}).code() ==
        saphan::errc::invalid_argument);
  CHECK(write_records(db, "t", "k", "r", {{"", "{}"}}).code() == saphan::errc::invalid_argument);
  const std::string biggest(saphan::connector::max_writer_record_bytes, 'x');
  CHECK(write_records(db, "t", "k", "r", {{"a", biggest}}));
  CHECK(write_records(db, "t", "k", "r", {{"a", biggest + "x"}}).code() ==
        saphan::errc::invalid_argument);
  CHECK(write_records(db, "t", "k", "r", {}));  // an empty table is fine
  CHECK(write_records((dir.path / "missing" / "x.db").string(), "t", "k", "r", two_rows).code() ==
        saphan::errc::io_error);
}
