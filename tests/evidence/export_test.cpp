// Evidence exports: a real log in a SQLite store (append_entries, make_checkpoint, a real RFC 3161
// token), exported, verified, tampered with in every way an operator could, and proved from.
#include <catch2/catch.hpp>

#include <sstream>
#include <string>
#include <vector>

#include "crypto/encoding.hpp"
#include "evidence/export.hpp"
#include "evidence/log.hpp"
#include "tests/pki/pki_test_support.hpp"
#include "tsa/timestamp.hpp"

namespace {

using namespace saphan;
using namespace saphan::evidence;
using namespace saphan::merkle;
using saphan::pki::test::temp_dir;

constexpr const char* test_origin = "saphan/TH/GOV/SAPHAN/hub";
constexpr const char* test_kid = "log-test";

crypto::signing_key_pair seeded_key(char first) {
  std::string seed(32, '\0');
  for (int i = 0; i < 32; ++i)
    seed[static_cast<std::size_t>(i)] = static_cast<char>(first + i);
  return crypto::signing_key_from_seed(seed).value();
}

timestamp at_second(int s) {
  return parse_rfc3339("2026-11-21T09:30:00Z").value() + std::chrono::seconds(s);
}

// Entries with bytes that JSON must escape, so the export has to carry them exactly.
std::string entry_text(std::uint64_t i) {
  return "{\"kind\":\"exchange.decision\",\"n\":" + std::to_string(i) +
         ",\"note\":\"quote \\\" backslash \\\\ tab\\t\",\"raw\":\"\x01\n\xe0\xb8\x81\"}";
}

// A log of 14 entries with signed heads at 5, 9 and 12 (the last two entries are not covered);
// heads 5 and 9 carry real RFC 3161 tokens from a TSA under a test CA.
struct test_log {
  temp_dir dir;
  std::unique_ptr<store> db;
  log_identity identity{test_origin, crypto::signing_jwk{seeded_key(1), test_kid}};
  std::string ca_dir = dir / "ca";
  std::string tsa_prefix = dir / "tsa";

  test_log() {
    auto opened = open_store(dir / "store.db");
    SAPHAN_REQUIRE_OK(opened);
    db = std::move(*opened);
    SAPHAN_REQUIRE_OK(pki::create_ca(ca_dir, "Export Test TSA Root", 365));
    SAPHAN_REQUIRE_OK(pki::issue_tsa_certificate(ca_dir, "Export Test TSA", tsa_prefix, 30));
    append(5);
    head(0, true);
    append(4);
    head(1, true);
    append(3);
    head(2, false);
    append(2);
  }

  void append(std::uint64_t count) {
    auto size = db->log_size();
    SAPHAN_REQUIRE_OK(size);
    std::vector<log_append> batch;
    for (std::uint64_t i = 0; i < count; ++i) {
      log_append a;
      a.entry = entry_text(*size + i);
      a.terms.kind = "exchange.decision";
      a.terms.at = at_second(0);
      batch.push_back(std::move(a));
    }
    SAPHAN_REQUIRE_OK(append_entries(*db, batch));
  }

  void head(int second, bool stamp) {
    auto record = make_checkpoint(*db, identity, at_second(second));
    SAPHAN_REQUIRE_OK(record);
    if (!stamp)
      return;
    auto cp = checkpoint_from_json(record->checkpoint_json);
    SAPHAN_REQUIRE_OK(cp);
    auto signer = tsa::tsa_signer::create({tsa_prefix + ".crt", tsa_prefix + ".key", {}});
    SAPHAN_REQUIRE_OK(signer);
    auto request = tsa::make_request(timestamp_imprint(*cp));
    SAPHAN_REQUIRE_OK(request);
    auto response = signer->respond(*request, tsa::random_serials(), at_second(second));
    SAPHAN_REQUIRE_OK(response);
    auto token = tsa::extract_token(*response);
    SAPHAN_REQUIRE_OK(token);
    SAPHAN_REQUIRE_OK(db->set_checkpoint_timestamp(record->tree_size, *token));
  }

  crypto::ed25519_public_jwk public_key() const {
    return {identity.key.keys.public_key, identity.key.kid};
  }

  export_header header() const {
    auto pem = read_file(tsa_prefix + ".crt");
    REQUIRE(pem);
    return {test_origin, public_key(), {*pem}, at_second(60)};
  }

  std::string export_text(export_options options = {}) {
    std::ostringstream out;
    auto summary = write_export(*db, out, header(), options);
    SAPHAN_REQUIRE_OK(summary);
    return out.str();
  }

  verify_options pinned() const {
    verify_options options;
    options.log_key = public_key();
    options.tsa_ca_path = ca_dir + "/ca.crt";
    return options;
  }
};

result<export_report> verify_text(const std::string& text, const verify_options& options = {}) {
  std::istringstream in(text);
  return verify_export(in, options);
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  for (auto nl = text.find('\n'); nl != std::string::npos; nl = text.find('\n', start)) {
    lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  REQUIRE(start == text.size());  // every line ends with a newline
  return lines;
}

std::string join_lines(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines)
    out += l + "\n";
  return out;
}

std::size_t entry_line_at(const std::vector<std::string>& lines, std::uint64_t index) {
  const std::string prefix = "{\"index\":" + std::to_string(index) + ",";
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].rfind(prefix, 0) == 0)
      return i;
  }
  FAIL("no entry line " << index);
  return 0;
}

std::size_t head_line_at(const std::vector<std::string>& lines, std::uint64_t size) {
  const std::string needle = "\"tree_size\":" + std::to_string(size) + ",";
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].rfind("{\"checkpoint\":", 0) == 0 && lines[i].find(needle) != std::string::npos)
      return i;
  }
  FAIL("no checkpoint line of size " << size);
  return 0;
}

// Replaces the string value of `name` (the first occurrence) in a line.
std::string with_string(const std::string& line, const std::string& name,
                        const std::string& value) {
  auto start = line.find("\"" + name + "\":\"");
  REQUIRE(start != std::string::npos);
  start += name.size() + 4;
  auto end = line.find('"', start);
  return line.substr(0, start) + value + line.substr(end);
}

// One byte of the entry's text changes; the line stays well-formed.
void change_entry(std::string& line) {
  auto at = line.find("decision");
  REQUIRE(at != std::string::npos);
  line[at] = 'D';
}

std::string string_value(const std::string& line, const std::string& name) {
  auto start = line.find("\"" + name + "\":\"");
  REQUIRE(start != std::string::npos);
  start += name.size() + 4;
  return line.substr(start, line.find('"', start) - start);
}

// Expects the verification to fail with `code` and a detail containing every `needle`.
void expect_failure(const std::string& text, const verify_options& options, errc code,
                    const std::vector<std::string>& needles) {
  auto r = verify_text(text, options);
  REQUIRE_FALSE(r);
  INFO(r.error().detail);
  CHECK(r.error().code == code);
  for (const auto& n : needles)
    CHECK(r.error().detail.find(n) != std::string::npos);
}

std::string resigned_head_line(const test_log& log, std::uint64_t size, timestamp time) {
  auto root = root_at(*log.db, size);
  REQUIRE(root);
  auto cp =
      sign_checkpoint(test_origin, size, *root, time, test_kid, log.identity.key.keys.secret_key);
  REQUIRE(cp);
  return "{\"checkpoint\":" + checkpoint_to_json(*cp) + ",\"timestampToken\":null}";
}

}  // namespace

// ---- the happy path ----------------------------------------------------------------------------

TEST_CASE("export writes the header then entries with each checkpoint after its entry",
          "[evidence][export]") {
  test_log log;
  auto lines = split_lines(log.export_text());
  REQUIRE(lines.size() == 1 + 14 + 3);
  CHECK(lines[0].rfind("{\"format\":\"saphan-evidence-export/1\",\"origin\":\"" +
                           std::string(test_origin) + "\",\"logKey\":{\"kty\":\"OKP\"",
                       0) == 0);
  CHECK(lines[0].find("\"treeSize\":14}") != std::string::npos);
  CHECK(lines[0].find("-----BEGIN CERTIFICATE-----") != std::string::npos);
  CHECK(lines[0].find("\"d\":") == std::string::npos);  // never the secret half
  CHECK(head_line_at(lines, 5) == entry_line_at(lines, 4) + 1);
  CHECK(head_line_at(lines, 9) == entry_line_at(lines, 8) + 1);
  CHECK(head_line_at(lines, 12) == entry_line_at(lines, 11) + 1);
  CHECK(entry_line_at(lines, 13) == lines.size() - 1);
  // The stored checkpoint JSON travels unchanged.
  auto stored = log.db->find_checkpoint(9);
  REQUIRE(stored);
  CHECK(lines[head_line_at(lines, 9)].find(stored->checkpoint_json) != std::string::npos);
  CHECK(lines[head_line_at(lines, 12)].find("\"timestampToken\":null") != std::string::npos);
}

TEST_CASE("a faithful export verifies with the pinned key and the TSA CA", "[evidence][export]") {
  test_log log;
  auto r = verify_text(log.export_text(), log.pinned());
  SAPHAN_REQUIRE_OK(r);
  CHECK(r->origin == test_origin);
  CHECK(r->key_id == test_kid);
  CHECK(r->key_pinned);
  CHECK(r->entries == 14);
  CHECK(r->root == root_at(*log.db, 14).value());
  CHECK(r->checkpoints == 3);
  CHECK(r->first_checkpoint_size == 5);
  CHECK(r->last_checkpoint_size == 12);
  CHECK(r->last_checkpoint_time == at_second(2));
  CHECK(r->uncovered_entries() == 2);
  CHECK(r->timestamps_checked);
  CHECK(r->timestamp_tokens == 2);
  CHECK(r->checkpoints_without_token == 1);
  CHECK(r->tsa_certificates == 1);
  CHECK(r->exported_at == at_second(60));
}

TEST_CASE("verification without a pinned key or a CA says what it did not check",
          "[evidence][export]") {
  test_log log;
  auto r = verify_text(log.export_text());
  SAPHAN_REQUIRE_OK(r);
  CHECK_FALSE(r->key_pinned);
  CHECK(r->log_key == log.identity.key.keys.public_key);
  CHECK_FALSE(r->timestamps_checked);
  CHECK(r->timestamp_tokens == 2);
}

TEST_CASE("export to-size cuts at an earlier checkpoint and refuses sizes beyond the log",
          "[evidence][export]") {
  test_log log;
  export_options options;
  options.to_size = 9;
  auto text = log.export_text(options);
  CHECK(split_lines(text).size() == 1 + 9 + 2);
  auto r = verify_text(text, log.pinned());
  SAPHAN_REQUIRE_OK(r);
  CHECK(r->entries == 9);
  CHECK(r->last_checkpoint_size == 9);
  CHECK(r->uncovered_entries() == 0);
  CHECK(r->root == root_at(*log.db, 9).value());

  std::ostringstream out;
  options.to_size = 15;
  CHECK(write_export(*log.db, out, log.header(), options).code() == errc::invalid_argument);
  options.to_size = 0;
  CHECK(write_export(*log.db, out, log.header(), options).code() == errc::invalid_argument);
}

TEST_CASE("export refuses an empty log a bad header and entries that are not UTF-8",
          "[evidence][export]") {
  temp_dir dir;
  auto db = open_store(dir / "store.db");
  SAPHAN_REQUIRE_OK(db);
  export_header header{test_origin, {seeded_key(1).public_key, test_kid}, {}, at_second(0)};
  std::ostringstream out;
  CHECK(write_export(**db, out, header).code() == errc::not_found);

  SAPHAN_REQUIRE_OK(append_entries(**db, {log_append{"ok", {}}, log_append{"bad \xff\xfe", {}}}));
  auto failed = write_export(**db, out, header);
  REQUIRE_FALSE(failed);
  CHECK(failed.error().code == errc::invalid_argument);
  CHECK(failed.error().detail.find("log entry 1") != std::string::npos);

  // An entry cut inside a UTF-8 sequence is refused without a byte read past it (RapidJSON's
  // validating writer alone took the missing bytes from beyond the view: "ab" plus the lead byte
  // of "é" came out as "abé").
  const std::string text = "ab\xc3\xa9";
  CHECK(entry_line(7, std::string_view(text).substr(0, 3)).code() == errc::invalid_argument);
  CHECK(entry_line(7, std::string(300, 'a') + "\xf0").code() == errc::invalid_argument);
  CHECK(entry_line(7, text));

  auto no_kid = header;
  no_kid.log_key.kid.clear();
  CHECK(write_export(**db, out, no_kid).code() == errc::invalid_argument);
  auto bad_origin = header;
  bad_origin.origin = "two\nlines";
  CHECK(write_export(**db, out, bad_origin).code() == errc::invalid_argument);
}

TEST_CASE("export and verification page through many entries and checkpoints",
          "[evidence][export]") {
  temp_dir dir;
  auto opened = open_store(dir / "store.db");
  SAPHAN_REQUIRE_OK(opened);
  store& db = **opened;
  log_identity identity{test_origin, crypto::signing_jwk{seeded_key(1), test_kid}};
  // 1005 heads cross the checkpoint page (1000) and 10050 entries the entry page (10000). One
  // transaction keeps it to one commit.
  SAPHAN_REQUIRE_OK(db.transaction([&](store&) -> result<void> {
    compact_tree tree;
    for (int batch = 0; batch < 1005; ++batch) {
      std::vector<log_append> entries;
      for (int i = 0; i < 10; ++i)
        entries.push_back({entry_text(tree.size() + i), {}});
      auto first = append_entries(db, entries, &tree);
      if (!first)
        return std::move(first).error();
      auto head = make_checkpoint(db, identity, at_second(batch));
      if (!head)
        return std::move(head).error();
    }
    return ok();
  }));
  std::ostringstream out;
  std::vector<std::uint64_t> exported;
  export_options options;
  options.progress_every = 2500;
  options.progress = [&](std::uint64_t done, std::uint64_t total) {
    CHECK(total == 10050);
    exported.push_back(done);
  };
  auto summary = write_export(
      db, out, {test_origin, {identity.key.keys.public_key, test_kid}, {}, at_second(0)}, options);
  SAPHAN_REQUIRE_OK(summary);
  CHECK(summary->entries == 10050);
  CHECK(summary->checkpoints == 1005);
  CHECK(exported == std::vector<std::uint64_t>{2500, 5000, 7500, 10000, 10050});

  std::vector<std::uint64_t> verified;
  verify_options check;
  check.log_key = crypto::ed25519_public_jwk{identity.key.keys.public_key, test_kid};
  check.progress_every = 5000;
  check.progress = [&](std::uint64_t done, std::uint64_t) { verified.push_back(done); };
  auto r = verify_text(out.str(), check);
  SAPHAN_REQUIRE_OK(r);
  CHECK(r->entries == 10050);
  CHECK(r->checkpoints == 1005);
  CHECK(r->first_checkpoint_size == 10);
  CHECK(r->uncovered_entries() == 0);
  CHECK(verified == std::vector<std::uint64_t>{5000, 10000, 10050});
}

TEST_CASE("progress is reported at each step and once at the end", "[evidence][export]") {
  test_log log;
  std::vector<std::uint64_t> exported;
  export_options options;
  options.progress_every = 7;
  options.progress = [&](std::uint64_t done, std::uint64_t) { exported.push_back(done); };
  const auto text = log.export_text(options);
  CHECK(exported == std::vector<std::uint64_t>{7, 14});  // 14 is a step: not reported twice
  std::vector<std::uint64_t> verified;
  auto check = log.pinned();
  check.progress_every = 4;
  check.progress = [&](std::uint64_t done, std::uint64_t total) {
    CHECK(total == 14);
    verified.push_back(done);
  };
  SAPHAN_REQUIRE_OK(verify_text(text, check));
  CHECK(verified == std::vector<std::uint64_t>{4, 8, 12, 14});

  // Work shorter than one step reports no progress at all.
  std::vector<std::uint64_t> none;
  check.progress_every = 100;
  check.progress = [&](std::uint64_t done, std::uint64_t) { none.push_back(done); };
  SAPHAN_REQUIRE_OK(verify_text(text, check));
  options.progress_every = 100;
  options.progress = [&](std::uint64_t done, std::uint64_t) { none.push_back(done); };
  log.export_text(options);
  CHECK(none.empty());
}

// ---- tampering ---------------------------------------------------------------------------------

TEST_CASE("a changed entry is a root mismatch naming the range since the last good checkpoint",
          "[evidence][export]") {
  test_log log;
  auto lines = split_lines(log.export_text());
  change_entry(lines[entry_line_at(lines, 6)]);
  expect_failure(join_lines(lines), log.pinned(), errc::root_mismatch,
                 {"checkpoint of size 9", "entries 5..8",
                  "line " + std::to_string(head_line_at(lines, 9) + 1)});
  // Before the first checkpoint the range starts at 0.
  lines = split_lines(log.export_text());
  change_entry(lines[entry_line_at(lines, 2)]);
  expect_failure(join_lines(lines), log.pinned(), errc::root_mismatch,
                 {"checkpoint of size 5", "entries 0..4"});
}

TEST_CASE("a deleted entry line is named by its index", "[evidence][export]") {
  test_log log;
  auto lines = split_lines(log.export_text());
  const auto at = entry_line_at(lines, 3);
  lines.erase(lines.begin() + static_cast<std::ptrdiff_t>(at));
  expect_failure(
      join_lines(lines), log.pinned(), errc::proof_invalid,
      {"line " + std::to_string(at + 1), "expected entry 3, found entry 4", "entry 3 missing"});
}

TEST_CASE("swapped or repeated entry lines are named", "[evidence][export]") {
  test_log log;
  auto lines = split_lines(log.export_text());
  std::swap(lines[entry_line_at(lines, 2)], lines[entry_line_at(lines, 3)]);
  expect_failure(join_lines(lines), log.pinned(), errc::proof_invalid,
                 {"expected entry 2, found entry 3"});

  lines = split_lines(log.export_text());
  const auto at = entry_line_at(lines, 7);
  lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(at) + 1, lines[at]);
  expect_failure(join_lines(lines), log.pinned(), errc::proof_invalid,
                 {"expected entry 8, found entry 7 again"});
}

TEST_CASE("a changed checkpoint root size time or signature is named", "[evidence][export]") {
  test_log log;
  const auto original = split_lines(log.export_text());
  const auto at = head_line_at(original, 9);

  auto lines = original;
  lines[at] = with_string(lines[at], "root_hash", crypto::base64url_encode(std::string(32, 'r')));
  expect_failure(join_lines(lines), log.pinned(), errc::root_mismatch,
                 {"checkpoint of size 9", "root_hash"});

  lines = original;
  lines[at].replace(lines[at].find("\"tree_size\":9"), 13, "\"tree_size\":8");
  expect_failure(join_lines(lines), log.pinned(), errc::proof_invalid,
                 {"checkpoint of size 8", "appears after 9 entries"});

  lines = original;
  lines[at] = with_string(lines[at], "timestamp", "2026-11-21T09:30:01.5Z");
  expect_failure(join_lines(lines), log.pinned(), errc::invalid_timestamp,
                 {"checkpoint", "canonical"});
  lines[at] = with_string(original[at], "timestamp", "2026-11-21T09:30:01.500000Z");
  expect_failure(join_lines(lines), log.pinned(), errc::bad_signature, {"checkpoint of size 9"});

  lines = original;
  auto signature = string_value(lines[at], "signature");
  signature[0] = signature[0] == 'A' ? 'B' : 'A';
  lines[at] = with_string(lines[at], "signature", signature);
  expect_failure(join_lines(lines), log.pinned(), errc::bad_signature,
                 {"line " + std::to_string(at + 1), "checkpoint of size 9", "signature"});
}

TEST_CASE("checkpoint times never go back and sizes strictly increase", "[evidence][export]") {
  test_log log;
  auto lines = split_lines(log.export_text());
  // Properly signed, but older than the head of size 9.
  lines[head_line_at(lines, 12)] = resigned_head_line(log, 12, at_second(0));
  expect_failure(join_lines(lines), log.pinned(), errc::proof_invalid,
                 {"checkpoint of size 12", "goes back"});

  lines = split_lines(log.export_text());
  const auto at = head_line_at(lines, 9);
  lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(at) + 1, lines[at]);
  expect_failure(join_lines(lines), log.pinned(), errc::proof_invalid,
                 {"checkpoint of size 9", "strictly increase"});
}

TEST_CASE("a changed timestamp token byte fails with the TSA CA", "[evidence][export]") {
  test_log log;
  auto lines = split_lines(log.export_text());
  const auto at = head_line_at(lines, 5);
  auto token = crypto::base64url_decode(string_value(lines[at], "timestampToken"));
  REQUIRE(token);
  token->back() = static_cast<char>(token->back() ^ 0x01);
  lines[at] = with_string(lines[at], "timestampToken", crypto::base64url_encode(*token));
  expect_failure(join_lines(lines), log.pinned(), errc::timestamp_invalid,
                 {"checkpoint of size 5", "timestampToken"});
  // Without a CA the token is only counted, and the report says it was not verified.
  auto unchecked = verify_text(join_lines(lines));
  SAPHAN_REQUIRE_OK(unchecked);
  CHECK_FALSE(unchecked->timestamps_checked);
  // A token moved to another checkpoint does not match its imprint.
  lines = split_lines(log.export_text());
  auto& head12 = lines[head_line_at(lines, 12)];
  head12.replace(head12.find("null"), 4, "\"x\"");
  head12 = with_string(head12, "timestampToken",
                       string_value(lines[head_line_at(lines, 9)], "timestampToken"));
  expect_failure(join_lines(lines), log.pinned(), errc::timestamp_invalid,
                 {"checkpoint of size 12"});
}

TEST_CASE("a replaced header log key fails against the pinned key", "[evidence][export]") {
  test_log log;
  auto lines = split_lines(log.export_text());
  const auto other = crypto::to_base64url(seeded_key(7).public_key);
  lines[0] = with_string(lines[0], "x", other);
  expect_failure(join_lines(lines), log.pinned(), errc::bad_signature,
                 {"line 1 (header)", "not the pinned log key"});
  // Unpinned, the checkpoints themselves then fail against the substituted key.
  expect_failure(join_lines(lines), {}, errc::bad_signature, {"checkpoint of size 5"});
}

TEST_CASE("truncated exports fail", "[evidence][export]") {
  test_log log;
  const auto text = log.export_text();
  // Cut inside the last line.
  expect_failure(text.substr(0, text.size() - 10), log.pinned(), errc::proof_invalid,
                 {"line 18", "truncated"});
  // Cut at a line boundary: the header's treeSize catches it.
  auto lines = split_lines(text);
  lines.pop_back();
  expect_failure(join_lines(lines), log.pinned(), errc::proof_invalid,
                 {"ends after 13 entries", "treeSize 14"});
  expect_failure("", log.pinned(), errc::proof_invalid, {"empty export"});
  expect_failure(lines[0] + "\n", log.pinned(), errc::proof_invalid, {"ends after 0 entries"});
}

TEST_CASE("every line is parsed strictly", "[evidence][export]") {
  test_log log;
  const auto original = split_lines(log.export_text());
  auto with_line = [&](std::size_t at, const std::string& replacement) {
    auto lines = original;
    lines[at] = replacement;
    return join_lines(lines);
  };
  const auto entry = entry_line_at(original, 1);
  const auto head = head_line_at(original, 5);
  const auto e = original[entry];
  expect_failure(with_line(entry, e.substr(0, e.size() - 1) + ",\"extra\":1}"), {},
                 errc::malformed_json,
                 {"line " + std::to_string(entry + 1), "unknown member 'extra'"});
  expect_failure(with_line(entry, e.substr(0, e.size() - 1) + ",\"index\":1}"), {},
                 errc::malformed_json, {"repeated"});
  expect_failure(with_line(entry, "{\"index\":1}"), {}, errc::malformed_json, {"'entry' missing"});
  expect_failure(with_line(entry, "{\"index\":\"1\",\"entry\":\"x\"}"), {}, errc::malformed_json,
                 {"index"});
  expect_failure(with_line(entry, "{\"index\":1,\"entry\":\"x\"} trailing"), {},
                 errc::malformed_json, {"line " + std::to_string(entry + 1)});
  expect_failure(with_line(entry, ""), {}, errc::malformed_json, {"empty line"});
  expect_failure(with_line(entry, "[1,2]"), {}, errc::malformed_json, {"object"});
  expect_failure(with_line(entry, "{\"index\":1,\"entry\":\"" +
                                      std::string(max_export_entry_bytes + 1, 'x') + "\"}"),
                 {}, errc::payload_too_large, {"entry"});
  expect_failure(with_line(entry, std::string(max_export_line_bytes + 1, ' ')), {},
                 errc::payload_too_large, {"line " + std::to_string(entry + 1)});
  expect_failure(with_line(entry, "{\"index\":1,\"entry\":\"bad \xff\"}"), {}, errc::malformed_json,
                 {"line " + std::to_string(entry + 1)});
  expect_failure(with_line(head, original[head].substr(0, original[head].size() - 1) + ",\"x\":1}"),
                 {}, errc::malformed_json, {"unknown member"});
  expect_failure(with_line(head, with_string(original[head], "timestampToken", "not base64!")), {},
                 errc::malformed_json, {"timestampToken"});
  expect_failure(with_line(head, with_string(original[head], "origin", "saphan/other")), {},
                 errc::proof_invalid, {"origin 'saphan/other'"});
  expect_failure(with_line(head, with_string(original[head], "key_id", "log-other")), {},
                 errc::proof_invalid, {"log-other"});
  expect_failure(with_line(0, with_string(original[0], "format", "saphan-evidence-export/2")), {},
                 errc::proof_invalid, {"header", "format"});
  expect_failure(with_line(0, original[0].substr(0, original[0].size() - 1) + ",\"more\":1}"), {},
                 errc::malformed_json, {"header", "more"});
  auto size_text = original[0];
  size_text.replace(size_text.find("\"treeSize\":14"), 13, "\"treeSize\":13");
  expect_failure(with_line(0, size_text), {}, errc::proof_invalid, {"entry 13", "treeSize 13"});
}

// ---- proofs ------------------------------------------------------------------------------------

TEST_CASE("prove builds inclusion proofs that verify and match the store", "[evidence][export]") {
  test_log log;
  const auto text = log.export_text();
  struct want {
    std::uint64_t index;
    std::optional<std::uint64_t> size;
  };
  for (const auto& w : std::vector<want>{
           {0, 5}, {4, 5}, {0, 9}, {6, 9}, {8, 9}, {0, {}}, {5, {}}, {11, {}}, {3, 12}}) {
    INFO("index " << w.index);
    std::istringstream in(text);
    auto proof = prove_export(in, w.index, w.size, log.pinned());
    SAPHAN_REQUIRE_OK(proof);
    const std::uint64_t size = w.size.value_or(12);
    CHECK(proof->tree_size == size);
    CHECK(proof->head.tree_size == size);
    CHECK(proof->key_pinned);
    auto expected = prove_inclusion(*log.db, w.index, size);
    REQUIRE(expected);
    CHECK(proof->leaf_hash == expected->leaf_hash);
    CHECK(proof->leaf_hash == leaf_hash(entry_text(w.index)));
    CHECK(proof->path == expected->path);
    const auto json = proof_to_json(*proof);
    CHECK(json.rfind("{\"index\":" + std::to_string(w.index) +
                         ",\"treeSize\":" + std::to_string(size) + ",\"leafHash\":\"",
                     0) == 0);
    SAPHAN_REQUIRE_OK(verify_proof_json(json, log.identity.key.keys.public_key));
  }
}

TEST_CASE("prove refuses indexes at or beyond the size and sizes without a checkpoint",
          "[evidence][export]") {
  test_log log;
  const auto text = log.export_text();
  auto prove = [&](std::uint64_t index, std::optional<std::uint64_t> size) {
    std::istringstream in(text);
    return prove_export(in, index, size, log.pinned());
  };
  CHECK(prove(9, 9).code() == errc::invalid_argument);
  CHECK(prove(12, std::nullopt).code() == errc::invalid_argument);
  CHECK(prove(13, std::nullopt).code() == errc::invalid_argument);
  CHECK(prove(2, 7).code() == errc::not_found);
  CHECK(prove(2, 14).code() == errc::not_found);  // entries exist, but no signed head of 14
  // A tampered export proves nothing.
  auto lines = split_lines(text);
  change_entry(lines[entry_line_at(lines, 1)]);
  std::istringstream tampered(join_lines(lines));
  CHECK(prove_export(tampered, 1, 5, log.pinned()).code() == errc::root_mismatch);
}

TEST_CASE("a proof document fails when any part of it is changed", "[evidence][export]") {
  test_log log;
  std::istringstream in(log.export_text());
  auto proof = prove_export(in, 6, 9, log.pinned());
  SAPHAN_REQUIRE_OK(proof);
  const auto json = proof_to_json(*proof);
  const auto& key = log.identity.key.keys.public_key;
  SAPHAN_REQUIRE_OK(verify_proof_json(json, key));

  auto other_index = json;
  other_index.replace(0, std::string("{\"index\":6").size(), "{\"index\":7");
  CHECK(verify_proof_json(other_index, key).code() == errc::root_mismatch);
  auto other_leaf =
      with_string(json, "leafHash", crypto::base64url_encode(leaf_hash("forged").view()));
  CHECK(verify_proof_json(other_leaf, key).code() == errc::root_mismatch);
  auto other_root = with_string(json, "rootHash", crypto::base64url_encode(std::string(32, 'r')));
  CHECK(verify_proof_json(other_root, key).code() == errc::root_mismatch);
  CHECK(verify_proof_json(json, seeded_key(7).public_key).code() == errc::bad_signature);
  auto first_hash = json.find("\"path\":[\"") + 9;
  auto short_path = json.substr(0, first_hash - 1) + json.substr(json.find("\",", first_hash) + 2);
  CHECK_FALSE(verify_proof_json(short_path, key));
  CHECK(verify_proof_json(json.substr(0, json.size() - 1), key).code() == errc::malformed_json);
}
