// The log's readers: read-only connections beside the writers, and the scan budget that stops a
// search before it reads the whole log.
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "core/time.hpp"
#include "evidence/log.hpp"
#include "store/sqlite_store.hpp"
#include "store/store.hpp"
#include "store_backends.hpp"
#include "store_test_support.hpp"

using namespace saphan;

namespace {

using store_test::backend_location;
using store_test::name_of;
using store_test::temp_dir;

std::unique_ptr<store> open_at(const std::string& path,
                               store_access access = store_access::read_write) {
  auto s = open_store(path, access);
  if (!s)
    FAIL("open_store: " << s.error().detail);
  return std::move(*s);
}

const timestamp t0 = *parse_rfc3339("2026-11-21T10:00:00Z");

// `count` exchange entries, a second apart: decisions and outcomes of one consumer, each about
// its own subject, and one refusal in every 1000.
void fill_log(store& s, int count) {
  std::vector<log_append> entries;
  for (int i = 0; i < count; ++i) {
    log_terms t;
    t.at = t0 + std::chrono::seconds(i);
    t.kind = i % 1000 == 999 ? "access.refused"
                             : (i % 2 == 0 ? "exchange.decision" : "exchange.outcome");
    t.request_id = "r" + std::to_string(i / 2);
    t.consumer = "TH/GOV/JFO/legal-aid";
    t.provider = "TH/GOV/DOPA/civil-registry";
    t.dataset = "TH/GOV/DOPA/civil-registry/person@1.0";
    t.status = i % 1000 == 999 ? "unauthenticated" : (i % 2 == 0 ? "allow" : "ok");
    t.subject = "s" + std::to_string(i);
    entries.push_back({R"({"n":)" + std::to_string(i) + "}", t});
  }
  REQUIRE(evidence::append_entries(s, entries));
}

member_record jfo() {
  return member_record{
      *parse_member_id("TH/GOV/JFO/legal-aid"), "Justice Fund Office", {}, classification::secret};
}

// A search that matches nothing and so reads every entry: nothing before the first entry.
log_filter worst_case(std::uint64_t scan_limit) {
  log_filter f;
  f.until = t0;
  f.scan_limit = scan_limit;
  return f;
}

}  // namespace

TEST_CASE("a read-only store reads what the writers commit and refuses every write", "[store]") {
  const auto backend = SAPHAN_EACH_BACKEND;
  INFO(name_of(backend));
  backend_location where(backend, true);
  auto writer = where.open();
  auto reader = where.open(store_access::read_only);
  REQUIRE(*reader->schema_version() == *writer->schema_version());
  CHECK(*reader->log_size() == 0);
  fill_log(*writer, 10);
  REQUIRE(writer->add_member(jfo()));
  CHECK(*reader->log_size() == 10);
  CHECK(reader->read_log(0, 100)->size() == 10);
  CHECK(reader->find_member(jfo().id));

  auto refused = [](const result<void>& r, const std::string& call) {
    REQUIRE_FALSE(r);
    CHECK(r.code() == errc::internal);
    CHECK_THAT(r.error().detail,
               Catch::Matchers::Contains("read-only") && Catch::Matchers::Contains(call));
  };
  refused(reader->add_member(jfo()), "add_member");
  refused(reader->update_member(jfo()), "update_member");
  refused(reader->append_log(10, {{"{}", {}}}, {}), "append_log");
  refused(reader->add_checkpoint({10, "{}", std::nullopt, t0}), "add_checkpoint");
  refused(reader->set_checkpoint_timestamp(10, "token"), "set_checkpoint_timestamp");
  refused(reader->transaction([](store&) { return ok(); }), "transaction");
  refused(reader->check_writable(), "check_writable");
  CHECK(*reader->log_size() == 10);
  CHECK(reader->latest_checkpoint()->has_value() == false);
}

TEST_CASE("the connection under a read-only store is read-only itself", "[store]") {
  temp_dir dir;
  (void)open_at(dir.file());
  // Without the store's own refusal in front: SQLite refuses, and nothing changes.
  sqlite_options options{dir.file()};
  options.read_only = true;
  auto raw = open_sqlite_store(options);
  REQUIRE(raw);
  auto added = (*raw)->add_member(jfo());
  REQUIRE_FALSE(added);
  CHECK(added.code() == errc::storage_failure);
  CHECK_THAT(added.error().detail, Catch::Matchers::Contains("readonly"));
  CHECK((*raw)->list_members()->empty());
}

TEST_CASE("a read-only store is refused where it cannot read this program's log", "[store]") {
  temp_dir dir;
  auto missing = open_store(dir.file("none.db"), store_access::read_only);
  REQUIRE_FALSE(missing);
  CHECK(missing.code() == errc::storage_failure);
  CHECK_FALSE(std::filesystem::exists(dir.file("none.db")));  // and not created
  CHECK(open_store(":memory:", store_access::read_only).code() == errc::invalid_argument);
}

TEST_CASE(
    "a search stops at its scan budget, answers search_too_broad, and the connection reads on",
    "[store][evidence]") {
  const auto backend = SAPHAN_EACH_BACKEND;
  INFO(name_of(backend));
  backend_location where(backend, true);
  auto writer = where.open();
  fill_log(*writer, 5000);
  auto reader = where.open(store_access::read_only);
  for (auto* s : {writer.get(), reader.get()}) {
    // Over the budget: a search that matches nothing reads all 5000 entries, and a member's as
    // consumer and as provider both.
    auto broad = s->search_log(worst_case(1000));
    REQUIRE_FALSE(broad);
    CHECK(broad.code() == errc::search_too_broad);
    CHECK_THAT(broad.error().detail,
               Catch::Matchers::Contains("1000") && Catch::Matchers::Contains("narrow"));
    auto by_member = worst_case(1000);
    by_member.member = "TH/GOV/JFO/legal-aid";
    CHECK(s->search_log(by_member).code() == errc::search_too_broad);

    // The same search under a budget above the log's size, and without one, finds its nothing.
    CHECK(s->search_log(worst_case(20000))->empty());
    auto unbounded = worst_case(1);
    unbounded.scan_limit.reset();
    CHECK(s->search_log(unbounded)->empty());

    // Narrow searches under the same small budget: by index, or a page found early.
    log_filter narrow;
    narrow.scan_limit = 1000;
    narrow.subject = "s4321";
    auto one = s->search_log(narrow);
    REQUIRE(one);
    REQUIRE(one->size() == 1);
    CHECK(one->front().index == 4321);
    narrow = {};
    narrow.scan_limit = 1000;
    narrow.status = "unauthenticated";  // by its index (schema version 6)
    auto refusals = s->search_log(narrow);
    REQUIRE(refusals);
    CHECK(refusals->size() == 5);
    narrow = {};
    narrow.scan_limit = 1000;
    narrow.limit = 500;  // a page found in the first 500 visited
    CHECK(s->search_log(narrow)->size() == 500);
    // And the connection is as it was: it reads, and the writer appends.
    CHECK(*s->log_size() == 5000);
  }
  fill_log(*writer, 1);
  CHECK(*reader->log_size() == 5001);
}

TEST_CASE("the scan budget counts the rows a search reads, within the factor its comment gives",
          "[store][evidence]") {
  temp_dir dir;
  auto s = open_at(dir.file());
  fill_log(*s, 3000);
  // The whole log is 3000 rows: a budget of 3000 or more lets the search read it all, one of
  // 1500 (half) does not. Both sides of the limit.
  CHECK(s->search_log(worst_case(3000)));
  CHECK(s->search_log(worst_case(3600)));
  CHECK(s->search_log(worst_case(1500)).code() == errc::search_too_broad);
  // A kind walks its index and looks each row up: its 1500 decisions are read within a budget
  // of 2000, not within one of 700.
  auto decisions = worst_case(1500);
  decisions.kind = "exchange.decision";
  decisions.scan_limit = 2000;
  CHECK(s->search_log(decisions));
  decisions.scan_limit = 700;
  CHECK(s->search_log(decisions).code() == errc::search_too_broad);
}
