// The hub's configuration file: the log API's settings (log.readConnections, log.searchScanLimit),
// their defaults, and both sides of their bounds.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "hub/config.hpp"

using namespace saphan;

namespace {

// A hub.json with the required members and `extra` members after them, in a fresh folder.
struct config_file {
  std::filesystem::path dir;
  explicit config_file(const std::string& extra) {
    std::random_device rd;
    dir = std::filesystem::temp_directory_path() / ("saphan-hub-config-" + std::to_string(rd()));
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "hub.json")
        << R"({"member": "TH/GOV/SAPHAN/hub", "listen": "127.0.0.1:8443",
      "tls": {"certificate": "hub.crt", "key": "hub.key", "ca": "ca.crt"})"
        << extra << "}";
  }
  ~config_file() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  result<hub::hub_config> load() const { return hub::load_hub_config((dir / "hub.json").string()); }
};

}  // namespace

TEST_CASE("the log API's settings have defaults and take values within their bounds",
          "[hub][config]") {
  auto defaults = config_file("").load();
  REQUIRE(defaults);
  CHECK(defaults->log_api.read_connections == 2);
  CHECK(defaults->log_api.search_scan_limit == 100000);

  auto low = config_file(R"(, "log": {"readConnections": 1, "searchScanLimit": 1000})").load();
  REQUIRE(low);
  CHECK(low->log_api.read_connections == 1);
  CHECK(low->log_api.search_scan_limit == 1000);
  auto high =
      config_file(R"(, "log": {"readConnections": 64, "searchScanLimit": 1000000000})").load();
  REQUIRE(high);
  CHECK(high->log_api.read_connections == 64);
  CHECK(high->log_api.search_scan_limit == 1000000000);
  auto partial = config_file(R"(, "log": {"searchScanLimit": 5000})").load();
  REQUIRE(partial);
  CHECK(partial->log_api.read_connections == 2);
  CHECK(partial->log_api.search_scan_limit == 5000);
}

TEST_CASE("bad log API settings are refused, naming the field and its rule", "[hub][config]") {
  struct bad_case {
    const char* extra;
    const char* names;
  };
  for (const auto& c : {
           bad_case{R"(, "log": {"readConnections": 0})",
                    "log.readConnections: must be between 1 and 64"},
           bad_case{R"(, "log": {"readConnections": 65})",
                    "log.readConnections: must be between 1 and 64"},
           bad_case{R"(, "log": {"readConnections": "2"})",
                    "log.readConnections: must be an integer"},
           bad_case{R"(, "log": {"readConnections": 1.5})",
                    "log.readConnections: must be an integer"},
           bad_case{R"(, "log": {"searchScanLimit": 999})",
                    "log.searchScanLimit: must be between 1000 and 1000000000"},
           bad_case{R"(, "log": {"searchScanLimit": 1000000001})",
                    "log.searchScanLimit: must be between 1000 and 1000000000"},
           bad_case{R"(, "log": {"searchScanLimit": -1})",
                    "log.searchScanLimit: must be between 1000 and 1000000000"},
           bad_case{R"(, "log": 100000)", "config.log"},
       }) {
    INFO(c.extra);
    auto loaded = config_file(c.extra).load();
    REQUIRE_FALSE(loaded);
    CHECK(loaded.code() == errc::invalid_argument);
    CHECK_THAT(loaded.error().detail, Catch::Matchers::Contains(c.names));
  }
}

TEST_CASE("the store's location: a connection string as given, a file relative to hub.json",
          "[hub][config]") {
  auto defaults = config_file("").load();
  REQUIRE(defaults);
  CHECK(defaults->store.empty());
  const std::string url = "postgresql://saphan@db.example.go.th:5432/saphan?sslmode=verify-full";
  auto pg = config_file(R"(, "store": ")" + url + R"(")").load();
  REQUIRE(pg);
  CHECK(pg->store == url);
  config_file relative(R"(, "store": "data/hub.db")");
  auto file = relative.load();
  REQUIRE(file);
  CHECK(file->store == (relative.dir / "data" / "hub.db").string());
  CHECK(config_file(R"(, "store": "")").load().code() == errc::invalid_argument);
  CHECK(config_file(R"(, "store": 5)").load().code() == errc::invalid_argument);
}
