// The hub directory: what `saphan admin init` makes, and how the hub and the commands open it.
#include <catch2/catch.hpp>

#include "tests/support/signing_ca.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "core/files.hpp"
#include "core/json.hpp"
#include "crypto/pseudonym.hpp"
#include "hub/directory.hpp"
#include "hub/exchange.hpp"
#include "tests/store/pg_test_server.hpp"

using namespace saphan;

namespace {

struct temp_dir {
  std::filesystem::path path;
  temp_dir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "saphan-hub-dir-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }
  ~temp_dir() { std::filesystem::remove_all(path); }
};

mode_t mode_of(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 0777;
}

member_record jfo() {
  return member_record{
      parse_member_id("TH/GOV/JFO/legal-aid").value(), "JFO", {"justice"}, classification::secret};
}

}  // namespace

TEST_CASE("init makes a hub directory with private keys, once", "[hub][directory]") {
  temp_dir tmp;
  const hub::hub_directory dir{(tmp.path / "nested" / "hub").string()};
  REQUIRE(hub::init_hub_directory(dir));
  for (const auto& file : {dir.store_path(), dir.hub_signing_key(), dir.hub_public_key(),
                           dir.pseudonym_key(), dir.log_signing_key(), dir.log_public_key()}) {
    INFO(file);
    CHECK(std::filesystem::is_regular_file(file));
  }
  CHECK(mode_of(dir.keys_dir()) == 0700);
  CHECK(mode_of(dir.hub_signing_key()) == 0600);
  CHECK(mode_of(dir.log_signing_key()) == 0600);
  CHECK(mode_of(dir.pseudonym_key()) == 0600);
  CHECK(crypto::read_pseudonym_key_file(dir.pseudonym_key()));

  auto again = hub::init_hub_directory(dir);
  REQUIRE_FALSE(again);
  CHECK(again.error().code == errc::already_exists);
}

TEST_CASE("the hub's identity holds the keys of its directory and the CA's certificate",
          "[hub][directory]") {
  temp_dir tmp;
  const hub::hub_directory dir{(tmp.path / "hub").string()};
  REQUIRE(hub::init_hub_directory(dir));
  const auto hub_id = parse_member_id("TH/GOV/SAPHAN/hub").value();
  // Until the CA has certified the hub's signing key, the hub cannot sign as itself.
  auto uncertified = hub::load_hub_identity(dir, hub_id);
  REQUIRE_FALSE(uncertified);
  CHECK(uncertified.error().detail.find("saphan ca issue --signing-key") != std::string::npos);
  test::signing_ca ca;
  const auto key = crypto::read_ed25519_public_key_file(dir.hub_public_key()).value();
  REQUIRE(pki::issue_signing_certificate(ca.dir(), hub_id, key.key.view(),
                                         dir.hub_signing_certificate(), 30));
  auto identity = hub::load_hub_identity(dir, hub_id);
  REQUIRE(identity);
  CHECK(identity->id == hub_id);
  CHECK(identity->pseudonym.view() ==
        crypto::read_pseudonym_key_file(dir.pseudonym_key()).value().view());
  CHECK(identity->signer->current()->key.keys.public_key ==
        crypto::read_ed25519_public_key_file(dir.hub_public_key()).value().key);
}

TEST_CASE("an administration store logs every change, and needs a hub directory",
          "[hub][directory]") {
  temp_dir tmp;
  const hub::hub_directory dir{(tmp.path / "hub").string()};
  auto missing = hub::open_hub_store(dir);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == errc::not_found);

  REQUIRE(hub::init_hub_directory(dir));
  auto db = hub::open_hub_store(dir, "tester");
  REQUIRE(db);
  REQUIRE((*db)->add_member(jfo()));
  auto rows = (*db)->read_log(0, 10);
  REQUIRE(rows);
  REQUIRE(rows->size() == 1);
  auto entry = parse_json(rows->front().entry);
  REQUIRE(entry);
  CHECK(std::string((*entry)["kind"].GetString()) == "member.added");
  CHECK(std::string((*entry)["actor"].GetString()) == "tester");
}

TEST_CASE("a hub directory with a broken pseudonym key is refused by the key's name",
          "[hub][directory]") {
  temp_dir tmp;
  const hub::hub_directory dir{(tmp.path / "hub").string()};
  REQUIRE(hub::init_hub_directory(dir));
  REQUIRE(write_file_atomic(dir.pseudonym_key(), "c2hvcnQ", 0600));
  auto db = hub::open_hub_store(dir);
  REQUIRE_FALSE(db);
  CHECK(db.error().code == errc::invalid_argument);
  CHECK(db.error().detail == dir.pseudonym_key() + ": need 32 base64url bytes");
  auto identity = hub::load_hub_identity(dir, parse_member_id("TH/GOV/SAPHAN/hub").value());
  REQUIRE_FALSE(identity);
  CHECK(identity.error().detail == dir.pseudonym_key() + ": need 32 base64url bytes");
}

TEST_CASE("a hub directory whose hub.json names a PostgreSQL store keeps everything there",
          "[hub][directory][pg]") {
  temp_dir tmp;
  store_test::pg_database db;
  const hub::hub_directory dir{(tmp.path / "hub").string()};
  std::filesystem::create_directories(dir.root);
  REQUIRE(write_file_atomic(dir.config_path(), R"({"store": ")" + db.url + R"("})", 0600));
  CHECK(*dir.store_location() == db.url);
  // Before init, the directory is not a hub (no keys), whatever the database holds.
  CHECK(hub::open_hub_store(dir).code() == errc::not_found);
  REQUIRE(hub::init_hub_directory(dir));
  CHECK_FALSE(std::filesystem::exists(dir.store_path()));  // no SQLite file made
  {
    auto admin = hub::open_hub_store(dir, "tester");
    REQUIRE(admin);
    REQUIRE((*admin)->add_member(jfo()));
  }
  // Another connection, as another command would open it, reads the member and its entry.
  auto direct = open_store(db.url);
  REQUIRE(direct);
  CHECK((*direct)->find_member(jfo().id));
  CHECK(*(*direct)->log_size() == 1);
  // The hub's own --config overrides hub.json.
  hub::hub_directory elsewhere = dir;
  elsewhere.store = (tmp.path / "other.db").string();
  CHECK(*elsewhere.store_location() == elsewhere.store);
}

TEST_CASE("init refuses a PostgreSQL database that already holds a hub, and leaves no keys",
          "[hub][directory][pg]") {
  temp_dir tmp;
  store_test::pg_database db;
  hub::hub_directory first{(tmp.path / "first").string()};
  first.store = db.url;
  REQUIRE(hub::init_hub_directory(first));
  {
    auto admin = hub::open_hub_store(first, "tester");
    REQUIRE(admin);
    REQUIRE((*admin)->add_member(jfo()));
  }
  // A second hub directory on the same database would make keys that do not match its log.
  hub::hub_directory second{(tmp.path / "second").string()};
  second.store = db.url;
  auto refused = hub::init_hub_directory(second);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == errc::already_exists);
  CHECK_FALSE(std::filesystem::exists(second.hub_signing_key()));
  CHECK_FALSE(std::filesystem::exists(second.log_signing_key()));
  auto direct = open_store(db.url);
  REQUIRE(direct);
  CHECK(*(*direct)->log_size() == 1);
}
