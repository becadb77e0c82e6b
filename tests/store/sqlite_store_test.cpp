#include <catch2/catch.hpp>

#include <openssl/evp.h>
#include <sqlite3.h>

#include <atomic>
#include <filesystem>
#include <random>
#include <stdexcept>
#include <thread>

#include "core/citizen_id.hpp"
#include "evidence/log.hpp"
#include "store/migrations.hpp"
#include "store/sqlite_store.hpp"
#include "store/store.hpp"
#include "store_backends.hpp"
#include "store_test_data.hpp"
#include "store_test_support.hpp"

using namespace saphan;
using namespace std::chrono_literals;

namespace {

namespace fs = std::filesystem;

using namespace store_test::data;
using store_test::backend;
using store_test::backend_location;
using store_test::name_of;
using store_test::temp_dir;

// As the hub opens its store: SQLite with the registry cache in front.
std::unique_ptr<store> open_at(const std::string& path) {
  auto s = open_store(path);
  if (!s)
    FAIL("open_store: " << s.error().detail);
  return std::move(*s);
}

// Checks indexes 0..n-1 without gaps, and that the stored tree's root equals the reference
// RFC 9162 root computed independently from the entries' own bytes.
void verify_log(store& s, const std::vector<log_row>& rows) {
  std::vector<crypto::sha256_digest> leaves;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    INFO("row " << i);
    REQUIRE(rows[i].index == i);
    leaves.push_back(merkle::leaf_hash(rows[i].entry));
  }
  auto root = evidence::root_at(s, rows.size());
  REQUIRE(root);
  CHECK(*root == merkle::root_from_leaves(leaves));
}

std::vector<log_row> read_all_evidence(store& s) {
  std::vector<log_row> all;
  while (true) {
    auto page = s.read_log(all.size(), 100);
    REQUIRE(page);
    if (page->empty())
      return all;
    all.insert(all.end(), page->begin(), page->end());
  }
}

std::string entry(int n) {
  return R"({"kind":"exchange.decision","n":)" + std::to_string(n) + "}";
}

result<std::uint64_t> append_one(store& s, int n) {
  log_terms terms;
  terms.kind = "exchange.decision";
  terms.request_id = "r" + std::to_string(n);
  return evidence::append_entries(s, {{entry(n), terms}});
}

// Raw SQLite access for what the store deliberately does not expose.
struct raw_db {
  sqlite3* db = nullptr;
  explicit raw_db(const std::string& path) {
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  }
  ~raw_db() { sqlite3_close(db); }
  void exec(const std::string& sql) {
    char* message = nullptr;
    int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message);
    std::string text = message != nullptr ? message : "";
    sqlite3_free(message);
    INFO(text);
    REQUIRE(rc == SQLITE_OK);
  }
  std::string text(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_step(stmt) == SQLITE_ROW);
    std::string out(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)));
    sqlite3_finalize(stmt);
    return out;
  }
  void insert(const std::string& sql, const std::vector<std::string>& values) {
    sqlite3_stmt* stmt = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK);
    for (std::size_t i = 0; i < values.size(); ++i) {
      REQUIRE(sqlite3_bind_text(stmt, static_cast<int>(i + 1), values[i].c_str(), -1,
                                SQLITE_TRANSIENT) == SQLITE_OK);
    }
    REQUIRE(sqlite3_step(stmt) == SQLITE_DONE);
    sqlite3_finalize(stmt);
  }
};

std::string member_json(const member_record& m) {
  rapidjson::Document doc;
  member_to_json(m, doc, doc.GetAllocator());
  return write_json(doc);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Opening and migrations

TEST_CASE("a new file store is at the latest schema in WAL mode", "[store]") {
  temp_dir dir;
  {
    auto s = open_at(dir.file());
    auto version = s->schema_version();
    REQUIRE(version);
    CHECK(*version == 8);
    CHECK(*version == sqlite::latest_schema_version());
  }
  raw_db raw(dir.file());
  CHECK(raw.text("PRAGMA journal_mode") == "wal");
  CHECK(raw.text("PRAGMA user_version") == "8");
}

TEST_CASE("an in-memory store works", "[store]") {
  auto s = open_at(":memory:");
  REQUIRE(s->add_member(dopa()));
  CHECK(s->find_member(dopa().id));
  CHECK(*s->schema_version() == 8);
}

TEST_CASE("opening refuses bad options and unusable files", "[store]") {
  temp_dir dir;
  CHECK(open_sqlite_store(sqlite_options{"", 5000}).code() == errc::invalid_argument);
  CHECK(open_sqlite_store(sqlite_options{dir.file(), -1}).code() == errc::invalid_argument);
  auto missing_dir = open_sqlite_store(sqlite_options{dir.file("no/such/dir/hub.db"), 5000});
  REQUIRE_FALSE(missing_dir);
  CHECK(missing_dir.code() == errc::storage_failure);
  {
    std::FILE* f = std::fopen(dir.file("garbage.db").c_str(), "wb");
    REQUIRE(f != nullptr);
    std::fputs("this is not an SQLite database, just some text that is long enough", f);
    REQUIRE(std::fclose(f) == 0);
  }
  auto garbage = open_sqlite_store(sqlite_options{dir.file("garbage.db"), 5000});
  REQUIRE_FALSE(garbage);
  CHECK(garbage.code() == errc::storage_failure);
}

TEST_CASE("a version-1 file is migrated and keeps its data", "[store][migration]") {
  temp_dir dir;
  const auto c = consent("c-old");
  {
    raw_db raw(dir.file());
    raw.exec(std::string(sqlite::migrations().at(0).sql));
    CHECK(raw.text("PRAGMA user_version") == "1");
    raw.insert("INSERT INTO members(id, doc) VALUES(?, ?)",
               {"TH/GOV/JFO/legal-aid", member_json(jfo())});
    raw.insert("INSERT INTO consents(id, subject, consumer, status, doc) VALUES(?, ?, ?, ?, ?)",
               {"c-old", c.subject, "TH/GOV/JFO/legal-aid", "requested", consent_to_json(c)});
    CHECK(raw.text("SELECT count(*) FROM sqlite_master WHERE name = 'evidence'") == "0");
  }
  auto s = open_at(dir.file());
  CHECK(*s->schema_version() == 8);
  auto m = s->find_member(jfo().id);
  REQUIRE(m);
  CHECK(*m == jfo());
  auto found = s->find_consent(consent_id{"c-old"});
  REQUIRE(found);
  CHECK(consent_to_json(*found) == consent_to_json(c));
  auto appended = append_one(*s, 0);
  REQUIRE(appended);
  CHECK(*appended == 0);
}

TEST_CASE("a version-4 file gets each consent's end of validity, and expiry finds it",
          "[store][migration][consents]") {
  temp_dir dir;
  const auto until = *parse_rfc3339("2026-12-31T00:00:00Z");
  auto active = *grant(consent("c-active"), *parse_rfc3339("2026-01-02T00:00:00Z"), "x");
  {
    raw_db raw(dir.file());
    for (std::size_t i = 0; i < 4; ++i)
      raw.exec(std::string(sqlite::migrations().at(i).sql));
    CHECK(raw.text("PRAGMA user_version") == "4");
    raw.insert("INSERT INTO members(id, doc) VALUES(?, ?)",
               {"TH/GOV/JFO/legal-aid", member_json(jfo())});
    raw.insert(
        "INSERT INTO consents(id, subject, consumer, status, doc) VALUES(?, ?, ?, ?, ?)",
        {"c-active", active.subject, "TH/GOV/JFO/legal-aid", "active", consent_to_json(active)});
  }
  auto s = open_at(dir.file());
  CHECK(*s->schema_version() == 8);
  CHECK(s->list_expiring_consents(until - std::chrono::seconds(1), 10)->empty());
  auto due = s->list_expiring_consents(until + std::chrono::seconds(1), 10);
  REQUIRE(due);
  REQUIRE(due->size() == 1);
  CHECK(consent_to_json(due->front()) == consent_to_json(active));
}

TEST_CASE("list_expiring_consents finds active consents whose validity has ended, oldest first",
          "[store][consents]") {
  const auto backend = SAPHAN_EACH_BACKEND;
  INFO(name_of(backend));
  backend_location where(backend);
  auto s = where.open();
  const auto granted_at = *parse_rfc3339("2026-01-02T00:00:00Z");
  auto ending = [&](const std::string& id, const char* until) {
    auto c = consent(id);
    c.valid_until = *parse_rfc3339(until);
    return *grant(c, granted_at, "x");
  };
  REQUIRE(s->add_consent(ending("c-late", "2026-06-01T00:00:00.000002Z")));
  REQUIRE(s->add_consent(ending("c-early", "2026-03-01T00:00:00Z")));
  REQUIRE(s->add_consent(ending("c-boundary", "2026-06-01T00:00:00.000001Z")));
  auto requested = consent("c-requested");
  requested.valid_until = *parse_rfc3339("2026-02-01T00:00:00Z");
  REQUIRE(s->add_consent(requested));  // not active: never "expiring"
  auto revoked = *revoke(ending("c-revoked", "2026-02-01T00:00:00Z"), granted_at, "subject");
  REQUIRE(s->add_consent(revoked));

  auto ids = [&](const char* by, std::size_t limit = 10) {
    auto due = s->list_expiring_consents(*parse_rfc3339(by), limit);
    REQUIRE(due);
    std::vector<std::string> out;
    for (const auto& c : *due)
      out.push_back(c.id.value);
    return out;
  };
  using list = std::vector<std::string>;
  CHECK(ids("2026-02-28T23:59:59Z").empty());
  CHECK(ids("2026-03-01T00:00:00Z") == list{"c-early"});  // validUntil is exclusive
  CHECK(ids("2026-06-01T00:00:00.000001Z") == list{"c-early", "c-boundary"});
  CHECK(ids("2027-01-01T00:00:00Z") == list{"c-early", "c-boundary", "c-late"});
  CHECK(ids("2027-01-01T00:00:00Z", 2) == list{"c-early", "c-boundary"});

  // Once expired (or revoked) it is no longer listed.
  auto early = *s->find_consent(consent_id{"c-early"});
  REQUIRE(s->update_consent(*expire(early, *parse_rfc3339("2026-03-01T00:00:00Z")),
                            consent_status::active));
  CHECK(ids("2027-01-01T00:00:00Z") == list{"c-boundary", "c-late"});
  // A changed validity window moves the consent in the index.
  auto late = *s->find_consent(consent_id{"c-late"});
  late.valid_until = *parse_rfc3339("2026-01-15T00:00:00Z");
  REQUIRE(s->update_consent(late, consent_status::active));
  CHECK(ids("2026-01-15T00:00:00Z") == list{"c-late"});
}

TEST_CASE("a version-2 hash chain is kept read-only beside the new Merkle log",
          "[store][migration]") {
  temp_dir dir;
  {
    raw_db raw(dir.file());
    raw.exec(std::string(sqlite::migrations().at(0).sql));
    raw.exec(std::string(sqlite::migrations().at(1).sql));
    raw.insert(
        "INSERT INTO evidence(idx, recorded_at, kind, entry, prev_hash, entry_hash) "
        "VALUES(0, '2026-01-01T00:00:00Z', 'exchange.decision', ?, x'00', x'00')",
        {entry(0)});
  }
  auto s = open_at(dir.file());
  CHECK(*s->schema_version() == 8);
  CHECK(*s->log_size() == 0);
  s.reset();
  raw_db raw(dir.file());
  CHECK(raw.text("SELECT entry FROM evidence_chain_v2 WHERE idx = 0") == entry(0));
}

TEST_CASE("a file newer than this program is refused", "[store][migration]") {
  temp_dir dir;
  {
    raw_db raw(dir.file());
    raw.exec("PRAGMA user_version = 99");
  }
  auto s = open_sqlite_store(sqlite_options{dir.file(), 5000});
  REQUIRE_FALSE(s);
  CHECK(s.code() == errc::storage_failure);
  CHECK_THAT(s.error().detail, Catch::Matchers::Contains("99"));
}

TEST_CASE("migrations are numbered 1..N without gaps", "[store][migration]") {
  const auto& list = sqlite::migrations();
  REQUIRE_FALSE(list.empty());
  for (std::size_t i = 0; i < list.size(); ++i) {
    CHECK(list[i].version == static_cast<int>(i + 1));
    CHECK_THAT(std::string(list[i].sql),
               Catch::Matchers::Contains("PRAGMA user_version = " + std::to_string(i + 1)));
  }
}

// ---------------------------------------------------------------------------------------------
// Directory

TEST_CASE("members round-trip, duplicates and unknown ids are refused", "[store][members]") {
  const auto backend = SAPHAN_EACH_BACKEND;
  INFO(name_of(backend));
  backend_location where(backend);
  auto s = where.open();
  REQUIRE(s->add_member(dopa()));
  REQUIRE(s->add_member(jfo()));
  auto found = s->find_member(dopa().id);
  REQUIRE(found);
  CHECK(*found == dopa());

  auto again = s->add_member(dopa());
  CHECK(again.code() == errc::already_exists);

  auto missing = s->find_member(*parse_member_id("TH/GOV/RTP/records"));
  CHECK(missing.code() == errc::unknown_member);

  auto changed = dopa();
  changed.name = "DOPA (renamed)";
  changed.groups = {"registry", "interior"};
  REQUIRE(s->update_member(changed));
  CHECK(*s->find_member(dopa().id) == changed);
  CHECK(s->update_member(member("TH/GOV/RTP/records", "Police")).code() == errc::unknown_member);

  auto all = s->list_members();
  REQUIRE(all);
  REQUIRE(all->size() == 2);
  CHECK((*all)[0] == changed);  // ordered by id
  CHECK((*all)[1] == jfo());

  auto bad = dopa();
  bad.id.member_class = "gov";
  CHECK(s->add_member(bad).code() == errc::invalid_member_id);
}

TEST_CASE("keys: unique per member, revocable, listed", "[store][keys]") {
  const auto backend = SAPHAN_EACH_BACKEND;
  INFO(name_of(backend));
  backend_location where(backend);
  auto s = where.open();
  CHECK(s->add_key(key(dopa(), "k1")).code() == errc::unknown_member);
  REQUIRE(s->add_member(dopa()));
  REQUIRE(s->add_member(jfo()));
  REQUIRE(s->add_key(key(dopa(), "k1")));
  REQUIRE(s->add_key(key(dopa(), "k2")));
  REQUIRE(s->add_key(key(jfo(), "k1")));  // the same kid under another member is fine
  CHECK(s->add_key(key(dopa(), "k1")).code() == errc::already_exists);
  CHECK(s->add_key(key(dopa(), "")).code() == errc::invalid_argument);

  REQUIRE(s->revoke_key(dopa().id, "k2"));
  CHECK(s->revoke_key(dopa().id, "k9").code() == errc::not_found);

  auto keys = s->list_keys(dopa().id);
  REQUIRE(keys);
  REQUIRE(keys->size() == 2);
  const auto expected = key(dopa(), "k1");
  CHECK((*keys)[0].member == expected.member);
  CHECK((*keys)[0].key_id == "k1");
  CHECK((*keys)[0].use == expected.use);
  CHECK((*keys)[0].public_key == expected.public_key);
  CHECK((*keys)[0].not_before == expected.not_before);
  CHECK((*keys)[0].not_after == expected.not_after);
  CHECK_FALSE((*keys)[0].revoked);
  CHECK((*keys)[1].key_id == "k2");
  CHECK((*keys)[1].revoked);

  auto none = s->list_keys(*parse_member_id("TH/GOV/RTP/records"));
  REQUIRE(none);
  CHECK(none->empty());
}

// ---------------------------------------------------------------------------------------------
// Catalog

TEST_CASE("datasets round-trip, owner must be registered, versions are distinct",
          "[store][datasets]") {
  const auto backend = SAPHAN_EACH_BACKEND;
  INFO(name_of(backend));
  backend_location where(backend);
  auto s = where.open();
  const auto v1 = dataset("1.0");
  CHECK(s->publish_dataset(v1).code() == errc::unknown_member);
  REQUIRE(s->add_member(dopa()));
  REQUIRE(s->publish_dataset(v1));
  CHECK(s->publish_dataset(v1).code() == errc::already_exists);
  REQUIRE(s->publish_dataset(dataset("1.1")));

  auto found = s->find_dataset(v1.id);
  REQUIRE(found);
  CHECK(*found == v1);
  auto other_version = v1.id;
  other_version.version = "2.0";
  CHECK(s->find_dataset(other_version).code() == errc::unknown_dataset);

  auto all = s->list_datasets();
  REQUIRE(all);
  REQUIRE(all->size() == 2);
  CHECK((*all)[0].id.version == "1.0");
  CHECK((*all)[1].id.version == "1.1");
}

TEST_CASE("a connection sees registry changes made through another connection", "[store][cache]") {
  const auto backend = SAPHAN_EACH_BACKEND;
  INFO(name_of(backend));
  backend_location where(backend, true);
  auto reader = where.open();
  auto writer = where.open();
  REQUIRE(writer->add_member(dopa()));
  const auto v1 = dataset("1.0");
  REQUIRE(writer->publish_dataset(v1));
  REQUIRE(reader->find_dataset(v1.id));  // now cached by the reader
  REQUIRE(reader->find_member(dopa().id));
  REQUIRE(writer->add_key(key(dopa(), "k1")));
  REQUIRE(reader->list_keys(dopa().id)->size() == 1);  // now cached by the reader too

  REQUIRE(writer->add_key(key(dopa(), "k2")));
  REQUIRE(writer->revoke_key(dopa().id, "k1"));
  auto keys = reader->list_keys(dopa().id);
  REQUIRE(keys);
  REQUIRE(keys->size() == 2);
  CHECK((*keys)[0].revoked);  // a revocation through another connection is seen at once
  CHECK((*keys)[1].key_id == "k2");

  auto policy = v1.policy;
  policy.grants[0].purposes[0].fields = {"citizenId"};
  REQUIRE(writer->update_policy(v1.id, policy));
  CHECK(reader->find_dataset(v1.id)->policy.grants[0].purposes[0].fields ==
        std::set<std::string>{"citizenId"});
  auto renamed = dopa();
  renamed.name = "Renamed";
  REQUIRE(writer->update_member(renamed));
  CHECK(reader->find_member(dopa().id)->name == "Renamed");

  // A change rolled back inside a transaction is never served afterwards.
  auto rolled_back = reader->transaction([&](store&) -> result<void> {
    auto other = policy;
    other.grants[0].purposes[0].fields = {"birthDate"};
    SAPHAN_TRY_VOID(reader->update_policy(v1.id, other));
    CHECK(reader->find_dataset(v1.id)->policy.grants[0].purposes[0].fields ==
          std::set<std::string>{"birthDate"});
    return make_error(errc::conflict, "undo");
  });
  CHECK_FALSE(rolled_back);
  CHECK(reader->find_dataset(v1.id)->policy.grants[0].purposes[0].fields ==
        std::set<std::string>{"citizenId"});
  CHECK(writer->find_dataset(v1.id)->policy.grants[0].purposes[0].fields ==
        std::set<std::string>{"citizenId"});
}

TEST_CASE("update_policy replaces the policy only when it is valid", "[store][datasets]") {
  const auto backend = SAPHAN_EACH_BACKEND;
  INFO(name_of(backend));
  backend_location where(backend);
  auto s = where.open();
  REQUIRE(s->add_member(dopa()));
  const auto v1 = dataset("1.0");
  REQUIRE(s->publish_dataset(v1));

  auto policy = v1.policy;
  policy.grants[0].purposes[0].fields = {"citizenId", "birthDate"};
  REQUIRE(s->update_policy(v1.id, policy));
  auto found = s->find_dataset(v1.id);
  REQUIRE(found);
  CHECK(found->policy.grants[0].purposes[0].fields ==
        std::set<std::string>{"birthDate", "citizenId"});

  auto bad = policy;
  bad.grants[0].purposes[0].fields.insert("noSuchField");
  CHECK(s->update_policy(v1.id, bad).code() == errc::invalid_policy);
  CHECK(s->find_dataset(v1.id)->policy.grants[0].purposes[0].fields.count("noSuchField") == 0);

  auto unknown = v1.id;
  unknown.name = "marriage";
  CHECK(s->update_policy(unknown, policy).code() == errc::unknown_dataset);
}

// ---------------------------------------------------------------------------------------------
// Consents

TEST_CASE("consents round-trip, duplicates and unknown ids are refused", "[store][consents]") {
  const auto backend = SAPHAN_EACH_BACKEND;
  INFO(name_of(backend));
  backend_location where(backend);
  auto s = where.open();
  const auto c = consent("c-1");
  REQUIRE(s->add_consent(c));
  CHECK(s->add_consent(c).code() == errc::already_exists);
  auto found = s->find_consent(c.id);
  REQUIRE(found);
  CHECK(consent_to_json(*found) == consent_to_json(c));
  CHECK(s->find_consent(consent_id{"c-404"}).code() == errc::consent_not_found);

  auto bad = consent("c-2");
  bad.subject = "1234567890123";
  CHECK(s->add_consent(bad).code() == errc::invalid_citizen_id);
  CHECK(s->find_consent(consent_id{"c-2"}).code() == errc::consent_not_found);
}

TEST_CASE("update_consent wins only from the expected status", "[store][consents]") {
  const auto backend = SAPHAN_EACH_BACKEND;
  INFO(name_of(backend));
  backend_location where(backend);
  auto s = where.open();
  const auto c = consent("c-1");
  REQUIRE(s->add_consent(c));
  const auto t = *parse_rfc3339("2026-01-02T00:00:00Z");
  auto granted = *grant(c, t, c.subject);
  auto rejected = *reject(c, t, c.subject);

  REQUIRE(s->update_consent(granted, consent_status::requested));
  // A second, concurrent transition computed from the same `requested` artefact loses.
  auto lost = s->update_consent(rejected, consent_status::requested);
  REQUIRE_FALSE(lost);
  CHECK(lost.code() == errc::conflict);
  CHECK_THAT(lost.error().detail, Catch::Matchers::Contains("active"));
  auto stored = s->find_consent(c.id);
  REQUIRE(stored);
  CHECK(stored->status == consent_status::active);
  CHECK(stored->events.size() == 2);

  auto used = *record_use(granted, *parse_rfc3339("2026-02-01T00:00:00Z"));
  REQUIRE(s->update_consent(used, consent_status::active));
  CHECK(s->find_consent(c.id)->uses == 1);

  // Without a change of status, a change of an indexed term still reaches its index.
  auto moved = used;
  moved.subject = complete_thai_id("310100012345");
  REQUIRE(s->update_consent(moved, consent_status::active));
  consent_filter by_subject;
  by_subject.subject = moved.subject;
  CHECK(s->list_consents(by_subject)->size() == 1);
  by_subject.subject = c.subject;
  CHECK(s->list_consents(by_subject)->empty());

  CHECK(s->update_consent(consent("c-404"), consent_status::requested).code() ==
        errc::consent_not_found);
}

TEST_CASE("list_consents filters by subject, consumer and status, with a limit",
          "[store][consents]") {
  const auto backend = SAPHAN_EACH_BACKEND;
  INFO(name_of(backend));
  backend_location where(backend);
  auto s = where.open();
  const auto other_consumer = member("TH/GOV/DSI/cases", "DSI");
  REQUIRE(s->add_consent(consent("c-1", "110370012345")));
  REQUIRE(s->add_consent(consent("c-2", "110370012345", other_consumer)));
  REQUIRE(s->add_consent(consent("c-3", "310100012345")));
  auto active = *grant(consent("c-4", "110370012345"), *parse_rfc3339("2026-01-02T00:00:00Z"), "x");
  REQUIRE(s->add_consent(active));

  auto ids = [&](const consent_filter& f) {
    auto listed = s->list_consents(f);
    REQUIRE(listed);
    std::vector<std::string> out;
    for (const auto& c : *listed)
      out.push_back(c.id.value);
    return out;
  };
  using list = std::vector<std::string>;
  consent_filter all;
  CHECK(ids(all) == list{"c-1", "c-2", "c-3", "c-4"});
  consent_filter by_subject;
  by_subject.subject = complete_thai_id("110370012345");
  CHECK(ids(by_subject) == list{"c-1", "c-2", "c-4"});
  consent_filter by_consumer;
  by_consumer.consumer = other_consumer.id;
  CHECK(ids(by_consumer) == list{"c-2"});
  consent_filter by_status;
  by_status.status = consent_status::active;
  CHECK(ids(by_status) == list{"c-4"});
  consent_filter combined = by_subject;
  combined.consumer = jfo().id;
  combined.status = consent_status::requested;
  CHECK(ids(combined) == list{"c-1"});
  consent_filter limited;
  limited.limit = 2;
  CHECK(ids(limited) == list{"c-1", "c-2"});
  limited.limit = 0;
  CHECK(ids(limited).empty());
}

// ---------------------------------------------------------------------------------------------
// Transactions

TEST_CASE("a transaction commits all of its writes", "[store][transaction]") {
  const auto backend = SAPHAN_EACH_BACKEND;
  INFO(name_of(backend));
  backend_location where(backend);
  auto s = where.open();
  auto done = s->transaction([&](store&) -> result<void> {
    SAPHAN_TRY_VOID(s->add_member(dopa()));
    SAPHAN_TRY_VOID(s->add_member(jfo()));
    return ok();
  });
  REQUIRE(done);
  CHECK(s->list_members()->size() == 2);
}

TEST_CASE("a transaction whose body fails leaves no trace", "[store][transaction]") {
  const auto backend = SAPHAN_EACH_BACKEND;
  INFO(name_of(backend));
  backend_location where(backend, true);
  auto s = where.open();
  auto failed = s->transaction([&](store&) -> result<void> {
    SAPHAN_TRY_VOID(s->add_member(dopa()));
    auto row = append_one(*s, 0);
    if (!row)
      return row.error();
    return make_error(errc::conflict, "changed my mind");
  });
  REQUIRE_FALSE(failed);
  CHECK(failed.code() == errc::conflict);
  CHECK(s->find_member(dopa().id).code() == errc::unknown_member);
  CHECK(s->read_log(0, 10)->empty());
  CHECK(*s->log_size() == 0);
  // The rolled-back index is reused: the log has no gap, and no node of the undone entry stays.
  auto next = append_one(*s, 1);
  REQUIRE(next);
  CHECK(*next == 0);
  verify_log(*s, read_all_evidence(*s));
}

TEST_CASE("a transaction whose body throws leaves no trace and rethrows", "[store][transaction]") {
  const auto backend = SAPHAN_EACH_BACKEND;
  INFO(name_of(backend));
  backend_location where(backend);
  auto s = where.open();
  CHECK_THROWS_AS(s->transaction([&](store&) -> result<void> {
    SAPHAN_TRY_VOID(s->add_member(dopa()));
    SAPHAN_TRY_VOID(s->add_member(jfo()));
    throw std::runtime_error("boom");
  }),
                  std::runtime_error);
  CHECK(s->list_members()->empty());
  // The store is usable afterwards: no transaction was left open.
  REQUIRE(s->add_member(dopa()));
  CHECK(s->transaction([&](store&) -> result<void> { return s->add_member(jfo()); }));
  CHECK(s->list_members()->size() == 2);
}

TEST_CASE("a nested transaction undoes only itself", "[store][transaction]") {
  const auto backend = SAPHAN_EACH_BACKEND;
  INFO(name_of(backend));
  backend_location where(backend);
  auto s = where.open();
  auto outer = s->transaction([&](store&) -> result<void> {
    SAPHAN_TRY_VOID(s->add_member(dopa()));
    auto inner = s->transaction([&](store&) -> result<void> {
      SAPHAN_TRY_VOID(s->add_member(jfo()));
      return make_error(errc::conflict, "inner fails");
    });
    CHECK(inner.code() == errc::conflict);
    return ok();
  });
  REQUIRE(outer);
  CHECK(s->find_member(dopa().id));
  CHECK(s->find_member(jfo().id).code() == errc::unknown_member);
}

TEST_CASE("a failing call inside a transaction does not end it", "[store][transaction]") {
  const auto backend = SAPHAN_EACH_BACKEND;
  INFO(name_of(backend));
  backend_location where(backend);
  auto s = where.open();
  auto outer = s->transaction([&](store&) -> result<void> {
    SAPHAN_TRY_VOID(s->add_member(jfo()));
    // publish_dataset runs its own atomic step (a savepoint here) and fails: owner unknown.
    CHECK(s->publish_dataset(dataset("1.0")).code() == errc::unknown_member);
    return s->add_member(dopa());
  });
  REQUIRE(outer);
  CHECK(s->list_members()->size() == 2);
}

// ---------------------------------------------------------------------------------------------
// Evidence

TEST_CASE("log entries are stored with their tree and read back in order", "[store][evidence]") {
  const auto backend = SAPHAN_EACH_BACKEND;
  INFO(name_of(backend));
  backend_location where(backend);
  auto s = where.open();
  for (int i = 0; i < 3; ++i) {
    auto index = append_one(*s, i);
    REQUIRE(index);
    CHECK(*index == static_cast<std::uint64_t>(i));
  }
  auto rows = s->read_log(0, 10);
  REQUIRE(rows);
  REQUIRE(rows->size() == 3);
  CHECK((*rows)[2].entry == entry(2));
  verify_log(*s, *rows);

  auto middle = s->read_log(1, 1);
  REQUIRE(middle);
  REQUIRE(middle->size() == 1);
  CHECK((*middle)[0].index == 1);
  CHECK(s->read_log(3, 10)->empty());
  CHECK(s->read_log(0, 0)->empty());
  auto leaf = s->read_log_nodes({{0, 1}});
  REQUIRE(leaf);
  CHECK(leaf->front() == merkle::leaf_hash(entry(1)));
  CHECK(s->read_log_nodes({{0, 3}}).code() == errc::not_found);
  CHECK(s->read_log_nodes({{1, 1}}).code() == errc::not_found);  // incomplete node (2,3)
}

TEST_CASE("log appends refuse oversized entries and a wrong first index", "[store][evidence]") {
  const auto backend = SAPHAN_EACH_BACKEND;
  INFO(name_of(backend));
  backend_location where(backend);
  auto s = where.open();
  std::string big(64 * 1024 + 1, 'x');
  CHECK(evidence::append_entries(*s, {{big, {}}}).code() == errc::payload_too_large);
  CHECK(evidence::append_entries(*s, {{"", {}}}).code() == errc::payload_too_large);
  CHECK(evidence::append_entries(*s, {}).code() == errc::invalid_argument);
  log_terms long_terms;
  long_terms.kind = std::string(257, 'k');
  CHECK(evidence::append_entries(*s, {{entry(0), long_terms}}).code() == errc::invalid_argument);
  CHECK(s->append_log(1, {{entry(0), {}}}, {}).code() == errc::conflict);
  CHECK(*s->log_size() == 0);
  REQUIRE(append_one(*s, 0));
  CHECK(*s->log_size() == 1);
}

TEST_CASE("log indexes have no gaps after many appends", "[store][evidence]") {
  const auto backend = SAPHAN_EACH_BACKEND;
  INFO(name_of(backend));
  backend_location where(backend, true);
  auto s = where.open();
  // Batched (as the hub's group commit does) and singly.
  for (int batch = 0; batch < 3; ++batch) {
    std::vector<log_append> entries;
    for (int i = 0; i < 100; ++i)
      entries.push_back({entry(batch * 100 + i), {}});
    REQUIRE(evidence::append_entries(*s, entries));
  }
  for (int i = 0; i < 20; ++i)
    REQUIRE(append_one(*s, 300 + i));
  auto all = read_all_evidence(*s);
  REQUIRE(all.size() == 320);
  verify_log(*s, all);
  auto capped = s->read_log(0, 1000000);
  REQUIRE(capped);
  CHECK(capped->size() == 320);
}

TEST_CASE("concurrent appends from two threads keep one gap-free log", "[store][evidence]") {
  const auto backend = SAPHAN_EACH_BACKEND;
  INFO(name_of(backend));
  backend_location where(backend);
  auto s = where.open();
  std::atomic<int> failures{0};
  auto worker = [&](int base) {
    for (int i = 0; i < 100; ++i) {
      if (!append_one(*s, base + i))
        ++failures;
    }
  };
  std::thread a(worker, 0);
  std::thread b(worker, 1000);
  a.join();
  b.join();
  CHECK(failures == 0);
  auto all = read_all_evidence(*s);
  CHECK(all.size() == 200);
  verify_log(*s, all);
}

TEST_CASE("two connections to one file keep one log", "[store][evidence]") {
  const auto backend = SAPHAN_EACH_BACKEND;
  INFO(name_of(backend));
  backend_location where(backend, true);
  auto first = where.open();
  auto second = where.open();
  merkle::compact_tree cache;  // a stale cache must be noticed and rebuilt
  for (int i = 0; i < 10; ++i) {
    if (i % 2 == 0) {
      REQUIRE(evidence::append_entries(*first, {{entry(i), {}}}, &cache));
    } else {
      REQUIRE(append_one(*second, i));
    }
  }
  auto all = read_all_evidence(*first);
  CHECK(all.size() == 10);
  verify_log(*first, all);
}

TEST_CASE("log search filters by every term, newest first, and pages", "[store][evidence]") {
  const auto backend = SAPHAN_EACH_BACKEND;
  INFO(name_of(backend));
  backend_location where(backend);
  auto s = where.open();
  const auto t0 = *parse_rfc3339("2026-11-21T10:00:00Z");
  std::vector<log_append> entries;
  for (int i = 0; i < 10; ++i) {
    log_terms t;
    t.at = t0 + std::chrono::seconds(i);
    t.kind = i % 2 == 0 ? "exchange.decision" : "exchange.outcome";
    t.request_id = "r" + std::to_string(i / 2);
    // The last entry's consumer is the provider of them all, found once in a member search.
    t.consumer = i < 6 ? "TH/GOV/JFO/legal-aid"
                       : (i < 9 ? "TH/GOV/RTP/criminal-records" : "TH/GOV/DOPA/civil-registry");
    t.provider = "TH/GOV/DOPA/civil-registry";
    t.dataset = "TH/GOV/DOPA/civil-registry/person@1.0";
    t.status = i == 4 ? "consent_required" : "ok";
    t.subject = i < 4 ? "aa" : "bb";
    entries.push_back({entry(i), t});
  }
  REQUIRE(evidence::append_entries(*s, entries));
  auto indexes = [&](const log_filter& f) {
    auto rows = s->search_log(f);
    REQUIRE(rows);
    std::vector<std::uint64_t> out;
    for (const auto& r : *rows)
      out.push_back(r.index);
    return out;
  };
  log_filter f;
  CHECK(indexes(f) == std::vector<std::uint64_t>{9, 8, 7, 6, 5, 4, 3, 2, 1, 0});
  f.subject = "aa";
  CHECK(indexes(f) == std::vector<std::uint64_t>{3, 2, 1, 0});
  f = {};
  f.member = "TH/GOV/RTP/criminal-records";
  CHECK(indexes(f) == std::vector<std::uint64_t>{8, 7, 6});
  f.member = "TH/GOV/DOPA/civil-registry";  // as provider, and as consumer of entry 9
  CHECK(indexes(f) == std::vector<std::uint64_t>{9, 8, 7, 6, 5, 4, 3, 2, 1, 0});
  f.limit = 3;
  f.before_index = 9;
  CHECK(indexes(f) == std::vector<std::uint64_t>{8, 7, 6});
  f.kind = "exchange.outcome";
  CHECK(indexes(f) == std::vector<std::uint64_t>{7, 5, 3});
  f = {};
  f.member = "TH/GOV/JFO/legal-aid";
  f.subject = "bb";
  CHECK(indexes(f) == std::vector<std::uint64_t>{5, 4});
  f = {};
  f.status = "consent_required";
  CHECK(indexes(f) == std::vector<std::uint64_t>{4});
  f = {};
  f.since = t0 + std::chrono::seconds(2);
  f.until = t0 + std::chrono::seconds(5);
  CHECK(indexes(f) == std::vector<std::uint64_t>{4, 3, 2});
  f = {};
  f.kind = "exchange.outcome";
  f.request_id = "r1";
  CHECK(indexes(f) == std::vector<std::uint64_t>{3});
  f = {};
  f.dataset = "TH/GOV/DOPA/civil-registry/person@2.0";
  CHECK(indexes(f).empty());
  f = {};
  f.limit = 3;
  CHECK(indexes(f) == std::vector<std::uint64_t>{9, 8, 7});
  f.before_index = 7;
  CHECK(indexes(f) == std::vector<std::uint64_t>{6, 5, 4});
  f.subject = "a' OR 1=1 --";  // bound, never spliced into SQL
  CHECK(indexes(f).empty());
}

TEST_CASE("checkpoints are stored once per size and take one timestamp", "[store][evidence]") {
  const auto backend = SAPHAN_EACH_BACKEND;
  INFO(name_of(backend));
  backend_location where(backend);
  auto s = where.open();
  CHECK_FALSE(*s->latest_checkpoint());
  const auto t0 = *parse_rfc3339("2026-11-21T10:00:00Z");
  REQUIRE(s->add_checkpoint({2, R"({"n":2})", std::nullopt, t0}));
  REQUIRE(s->add_checkpoint({5, R"({"n":5})", std::nullopt, t0}));
  CHECK(s->add_checkpoint({5, R"({"n":"other"})", std::nullopt, t0}).code() ==
        errc::already_exists);
  CHECK((*s->latest_checkpoint())->tree_size == 5);
  CHECK(s->find_checkpoint(2)->checkpoint_json == R"({"n":2})");
  CHECK(s->find_checkpoint(3).code() == errc::not_found);
  CHECK(s->read_checkpoints(3, 10)->size() == 1);
  CHECK(s->untimestamped_checkpoints(10)->size() == 2);
  REQUIRE(s->set_checkpoint_timestamp(2, std::string("\x30\x03"
                                                     "der",
                                                     5)));
  CHECK(s->set_checkpoint_timestamp(2, "again").code() == errc::conflict);
  CHECK(s->set_checkpoint_timestamp(9, "none").code() == errc::not_found);
  CHECK(s->set_checkpoint_timestamp(5, "").code() == errc::invalid_argument);
  auto waiting = s->untimestamped_checkpoints(10);
  REQUIRE(waiting->size() == 1);
  CHECK(waiting->front().tree_size == 5);
  CHECK(*s->find_checkpoint(2)->timestamp_token == std::string("\x30\x03"
                                                               "der",
                                                               5));
  CHECK(s->find_checkpoint(2)->created_at == t0);
}

// ---------------------------------------------------------------------------------------------
// Durability

TEST_CASE("reopening a file keeps everything", "[store]") {
  const auto backend = SAPHAN_EACH_BACKEND;
  INFO(name_of(backend));
  backend_location where(backend, true);
  const auto c = consent("c-1");
  {
    auto s = where.open();
    REQUIRE(s->add_member(dopa()));
    REQUIRE(s->add_member(jfo()));
    REQUIRE(s->add_key(key(dopa(), "k1")));
    REQUIRE(s->publish_dataset(dataset("1.0")));
    REQUIRE(s->add_consent(c));
    for (int i = 0; i < 5; ++i)
      REQUIRE(append_one(*s, i));
  }
  auto s = where.open();
  CHECK(*s->schema_version() == store_test::latest_schema_version(backend));
  CHECK(*s->find_member(dopa().id) == dopa());
  CHECK(s->list_members()->size() == 2);
  CHECK(s->list_keys(dopa().id)->size() == 1);
  CHECK(*s->find_dataset(dataset("1.0").id) == dataset("1.0"));
  CHECK(consent_to_json(*s->find_consent(c.id)) == consent_to_json(c));
  auto next = append_one(*s, 5);
  REQUIRE(next);
  CHECK(*next == 5);
  auto all = read_all_evidence(*s);
  CHECK(all.size() == 6);
  verify_log(*s, all);
}
