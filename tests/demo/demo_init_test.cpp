#include "demo/demo_init.hpp"
#include "demo/synthetic.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <tuple>

#include "pki/member_signature.hpp"
#include "pki/trust.hpp"

#include <filesystem>

#include "connector/config.hpp"
#include "connector/consumer_auth.hpp"
#include "core/files.hpp"
#include "crypto/keys.hpp"
#include "hub/config.hpp"
#include "store/store.hpp"

namespace {

namespace fs = std::filesystem;
using saphan::demo::demo_options;
using saphan::demo::init_demo;

struct temp_dir {
  fs::path path = fs::temp_directory_path() / ("saphan-demo-" + saphan::crypto::random_id());
  temp_dir() { fs::create_directories(path); }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

demo_options small_demo(const fs::path& dir) {
  demo_options options;
  options.dir = dir.string();
  options.config_dir = std::string(SAPHAN_SOURCE_DIR) + "/config";
  options.schemas_dir = std::string(SAPHAN_SOURCE_DIR) + "/schemas";
  options.persons = 40;
  options.seed = 9;
  options.base_port = 18440;
  return options;
}

const saphan::demo::progress_fn quiet = [](const std::string&) {};

}  // namespace

TEST_CASE("demo init builds a complete demo directory", "[demo][demo_init]") {
  temp_dir tmp;
  const auto dir = tmp.path / "demo";
  std::vector<std::string> progress;
  auto made =
      init_demo(small_demo(dir), [&](const std::string& line) { progress.push_back(line); });
  INFO((made ? "" : made.error().detail));
  REQUIRE(made);
  CHECK(progress.size() > 10);
  CHECK_FALSE(fs::exists(tmp.path / "demo.tmp"));

  for (const char* file : {"demo.env",
                           "pki/ca.crt",
                           "pki/hub.crt",
                           "pki/hub.key",
                           "pki/dopa.crt",
                           "pki/jfo.key",
                           "hub/store.db",
                           "hub/hub.json",
                           "hub/keys/hub-signing.jwk",
                           "hub/keys/hub-signing.pub.jwk",
                           "hub/keys/pseudonym.key",
                           "data/dopa.db",
                           "data/dbd.db",
                           "data/doe.db",
                           "data/rtp.db",
                           "logs",
                           "members/jfo/keys/signing.jwk",
                           "members/jfo/keys/signing.crt",
                           "hub/keys/hub-signing.crt",
                           "pki/ca.crl",
                           "members/dopa/keys/pseudonym.key"}) {
    INFO(file);
    CHECK(fs::exists(dir / file));
  }
  CHECK_FALSE(fs::exists(dir / "data/jfo.db"));  // JFO is a consumer only
  CHECK_FALSE(fs::exists(dir / ".saphan-demo-incomplete"));

  auto env = saphan::read_file((dir / "demo.env").string());
  REQUIRE(env);
  CHECK(env->find("SAPHAN_DEMO_BASE_PORT=18440\n") != std::string::npos);
  CHECK(env->find("SAPHAN_DEMO_JFO_API=http://127.0.0.1:18450\n") != std::string::npos);
  CHECK(env->find("SAPHAN_DEMO_SUBJECT=") != std::string::npos);

  auto signing =
      saphan::crypto::read_signing_key_file((dir / "members/dopa/keys/signing.jwk").string());
  REQUIRE(signing);
  CHECK(signing->kid == "dopa-sig-1");
  // No long-lived encryption key: the consumer connector makes a reply key per request.
  CHECK_FALSE(fs::exists(dir / "members/jfo/keys/encryption.jwk"));
  // Each member's signing key and the hub's are certified by the demo CA, for that member.
  auto trust = saphan::pki::trust_store::load(
      {(dir / "pki/ca.crt").string(), (dir / "pki/ca.crl").string()});
  REQUIRE(trust);
  for (const auto& [key, certificate, member] :
       {std::tuple{"members/dopa/keys/signing.jwk", "members/dopa/keys/signing.crt",
                   "TH/GOV/DOPA/civil-registry"},
        std::tuple{"hub/keys/hub-signing.jwk", "hub/keys/hub-signing.crt", "TH/GOV/SAPHAN/hub"}}) {
    auto signer =
        saphan::pki::member_signer::load((dir / key).string(), (dir / certificate).string());
    REQUIRE(signer);
    CHECK(trust.value()->verify_signer(signer->certificate_der, *saphan::parse_member_id(member),
                                       saphan::now_utc()));
  }

  auto hub = saphan::hub::load_hub_config((dir / "hub/hub.json").string());
  REQUIRE(hub);
  CHECK(hub->listen_port == 18440);
  CHECK(hub->providers.size() == 4);
  // The consumers' connectors listen for consent notifications at base+15 (JFO) and base+16.
  REQUIRE(hub->notify.size() == 2);
  CHECK(hub->notify.at(*saphan::parse_member_id("TH/GOV/JFO/legal-aid")).port == 18455);
  CHECK(hub->notify.at(*saphan::parse_member_id("TH/GOV/RTP/criminal-records")).port == 18456);

  auto jfo =
      saphan::connector::read_connector_config((dir / "members/jfo/connector.json").string());
  REQUIRE(jfo);
  REQUIRE(jfo->consumer);
  CHECK(jfo->consumer->listen.port == 18450);
  REQUIRE(jfo->consumer->notifications);
  CHECK(jfo->consumer->notifications->listen.port == 18455);
  CHECK_FALSE(jfo->provider);
  // Each consumer API wants a bearer token: a random one per member, in a file of its owner's.
  CHECK(jfo->consumer->token_file == (dir / "members/jfo/keys/consumer-api.token").string());
  auto jfo_token = saphan::read_file(jfo->consumer->token_file);
  REQUIRE(jfo_token);
  CHECK(jfo_token->size() == 44);  // 32 random bytes in base64url, and a line end
  CHECK(saphan::connector::api_token::parse(*jfo_token));
  CHECK((fs::status(jfo->consumer->token_file).permissions() & fs::perms::all) ==
        (fs::perms::owner_read | fs::perms::owner_write));
  CHECK(saphan::connector::read_api_token_file(jfo->consumer->token_file));
  CHECK(env->find("SAPHAN_DEMO_JFO_TOKEN_FILE=members/jfo/keys/consumer-api.token\n") !=
        std::string::npos);
  auto rtp =
      saphan::connector::read_connector_config((dir / "members/rtp/connector.json").string());
  REQUIRE(rtp);
  REQUIRE(rtp->consumer);
  REQUIRE(rtp->provider);
  CHECK(rtp->consumer->listen.port == 18451);
  auto rtp_token = saphan::read_file(rtp->consumer->token_file);
  REQUIRE(rtp_token);
  CHECK(*rtp_token != *jfo_token);
  CHECK(rtp->provider->listen.port == 18444);
  auto dopa =
      saphan::connector::read_connector_config((dir / "members/dopa/connector.json").string());
  REQUIRE(dopa);
  REQUIRE(dopa->provider);
  CHECK(dopa->provider->datasets.size() == 2);
  CHECK(dopa->provider->listen.port == 18441);
  CHECK_FALSE(fs::exists(dir / "members/dopa/keys/consumer-api.token"));  // a provider only

  auto db = saphan::open_store((dir / "hub/store.db").string());
  REQUIRE(db);
  auto members = (*db)->list_members();
  REQUIRE(members);
  // Five agencies that exchange records, the audit office and the citizen portal's agency.
  CHECK(members->size() == 7);
  auto groups_of = [&](std::string_view id) {
    for (const auto& m : *members)
      if (saphan::to_string(m.id) == id)
        return m.groups;
    return std::vector<std::string>{};
  };
  CHECK(groups_of("TH/GOV/OAG/audit") == std::vector<std::string>{"auditor"});
  CHECK(groups_of("TH/GOV/DGA/citizen-portal") == std::vector<std::string>{"citizen-portal"});
  auto datasets = (*db)->list_datasets();
  REQUIRE(datasets);
  CHECK(datasets->size() == 5);
  for (const auto& m : *members) {
    auto keys = (*db)->list_keys(m.id);
    REQUIRE(keys);
    // Its signing key and its TLS certificate (answers are encrypted to per-request keys).
    REQUIRE(keys->size() == 2);
    CHECK(std::count_if(keys->begin(), keys->end(), [](const saphan::member_key& k) {
            return k.use == saphan::key_use::signing;
          }) == 1);
    CHECK(std::count_if(keys->begin(), keys->end(), [](const saphan::member_key& k) {
            return k.use == saphan::key_use::tls && k.key_id.size() == 64;
          }) == 1);
  }
}

TEST_CASE("demo init refuses a directory that holds a demo or other files", "[demo][demo_init]") {
  temp_dir tmp;
  const auto dir = tmp.path / "demo";
  REQUIRE(init_demo(small_demo(dir), quiet));
  auto again = init_demo(small_demo(dir), quiet);
  REQUIRE_FALSE(again);
  CHECK(again.code() == saphan::errc::already_exists);

  const auto other = tmp.path / "other";
  fs::create_directories(other);
  REQUIRE(saphan::write_file_atomic((other / "keep.txt").string(), "mine"));
  auto busy = init_demo(small_demo(other), quiet);
  REQUIRE_FALSE(busy);
  CHECK(busy.code() == saphan::errc::already_exists);
  CHECK(fs::exists(other / "keep.txt"));

  // An empty directory is fine to fill.
  const auto empty = tmp.path / "empty";
  fs::create_directories(empty);
  CHECK(init_demo(small_demo(empty), quiet));
}

TEST_CASE("a failed demo init leaves nothing behind", "[demo][demo_init]") {
  temp_dir tmp;
  const auto dir = tmp.path / "demo";
  auto options = small_demo(dir);
  // Datasets whose schemas cannot be found fail after the staging area could have been made.
  options.schemas_dir = (tmp.path / "no-schemas").string();
  REQUIRE_FALSE(init_demo(options, quiet));
  CHECK_FALSE(fs::exists(dir));
  CHECK_FALSE(fs::exists(tmp.path / "demo.tmp"));

  // A config with a dataset the demo has no data for fails while building: staging removed.
  const auto config = tmp.path / "config";
  fs::create_directories(config / "datasets");
  fs::copy(std::string(SAPHAN_SOURCE_DIR) + "/config/members", config / "members");
  auto text =
      saphan::read_file(std::string(SAPHAN_SOURCE_DIR) + "/config/datasets/dopa-person.json");
  REQUIRE(text);
  auto renamed = *text;
  renamed.replace(renamed.find("/person@1.0"), 11, "/unknown@1.0");
  REQUIRE(saphan::write_file_atomic((config / "datasets/unknown.json").string(), renamed));
  options = small_demo(dir);
  options.config_dir = config.string();
  auto failed = init_demo(options, quiet);
  REQUIRE_FALSE(failed);
  CHECK(failed.code() == saphan::errc::invalid_argument);
  CHECK_FALSE(fs::exists(dir));
  CHECK_FALSE(fs::exists(tmp.path / "demo.tmp"));

  // A leftover staging directory of an interrupted run is cleared; anyone else's is kept.
  fs::create_directories(tmp.path / "demo.tmp");
  REQUIRE(saphan::write_file_atomic((tmp.path / "demo.tmp/theirs.txt").string(), "x"));
  auto blocked = init_demo(small_demo(dir), quiet);
  REQUIRE_FALSE(blocked);
  CHECK(blocked.code() == saphan::errc::already_exists);
  CHECK(fs::exists(tmp.path / "demo.tmp/theirs.txt"));
  REQUIRE(saphan::write_file_atomic((tmp.path / "demo.tmp/.saphan-demo-incomplete").string(), "x"));
  CHECK(init_demo(small_demo(dir), quiet));
  CHECK_FALSE(fs::exists(tmp.path / "demo.tmp"));
}

TEST_CASE("demo options are checked at their limits", "[demo][demo_init]") {
  auto options = small_demo("/tmp/unused");
  CHECK(saphan::demo::validate_demo_options(options));
  options.base_port = saphan::demo::min_base_port;
  CHECK(saphan::demo::validate_demo_options(options));
  options.base_port = saphan::demo::min_base_port - 1;
  CHECK(saphan::demo::validate_demo_options(options).code() == saphan::errc::invalid_argument);
  options.base_port = saphan::demo::max_base_port;
  CHECK(saphan::demo::validate_demo_options(options));
  options.base_port = saphan::demo::max_base_port + 1;
  CHECK(saphan::demo::validate_demo_options(options).code() == saphan::errc::invalid_argument);
  options = small_demo("/tmp/unused");
  options.persons = 0;
  CHECK(saphan::demo::validate_demo_options(options).code() == saphan::errc::invalid_argument);
  options.persons = saphan::demo::max_persons + 1;
  CHECK(saphan::demo::validate_demo_options(options).code() == saphan::errc::invalid_argument);
  options.persons = saphan::demo::max_persons;
  CHECK(saphan::demo::validate_demo_options(options));
  options.dir.clear();
  CHECK(saphan::demo::validate_demo_options(options).code() == saphan::errc::invalid_argument);
  // --store takes only a PostgreSQL URL: the SQLite file is the default, in the demo's folder.
  options = small_demo("/tmp/unused");
  options.store = "store.db";
  CHECK(saphan::demo::validate_demo_options(options).code() == saphan::errc::invalid_argument);
  options.store = "postgresql://saphan@/demo?host=/tmp";
  CHECK(saphan::demo::validate_demo_options(options));
}

TEST_CASE("demo naming helpers", "[demo][demo_init]") {
  auto id = saphan::parse_member_id("TH/GOV/DOPA/civil-registry");
  REQUIRE(id);
  CHECK(saphan::demo::member_slug(*id) == "dopa");
  CHECK(saphan::demo::to_snake_case("citizenId") == "citizen_id");
  CHECK(saphan::demo::to_snake_case("house-registration") == "house_registration");
  CHECK(saphan::demo::to_snake_case("workerId") == "worker_id");
  REQUIRE(saphan::demo::find_demo_role("RTP"));
  CHECK(saphan::demo::find_demo_role("RTP")->provider_offset == 4);
  CHECK(saphan::demo::find_demo_role("RTP")->consumer_offset == 11);
  CHECK(saphan::demo::find_demo_role("RTP")->notify_offset == 16);
  CHECK(saphan::demo::find_demo_role("JFO")->notify_offset == 15);
  CHECK(saphan::demo::find_demo_role("JFO")->provider_offset == 0);
  CHECK_FALSE(saphan::demo::find_demo_role("XYZ"));
}
