#include <catch2/catch.hpp>

#include <filesystem>

#include "core/files.hpp"
#include "directory/member.hpp"

using namespace saphan;

namespace {

result<member_record> parse_member(const std::string& text) {
  auto doc = parse_json(text);
  REQUIRE(doc);
  return member_from_json(*doc);
}

std::string member_with_groups(std::size_t count) {
  std::string groups;
  for (std::size_t i = 0; i < count; ++i) {
    groups += (i ? ",\"g" : "\"g") + std::to_string(i) + "\"";
  }
  return R"({"id":"TH/GOV/JFO/legal-aid","name":"JFO","groups":[)" + groups + "]}";
}

}  // namespace

TEST_CASE("a member file parses with its groups and clearance", "[directory][member]") {
  auto m = parse_member(R"({"id": "TH/GOV/DOPA/civil-registry",
    "name": "Department of Provincial Administration", "groups": ["registry", "id-check"],
    "clearance": "confidential"})");
  REQUIRE(m);
  CHECK(to_string(m->id) == "TH/GOV/DOPA/civil-registry");
  CHECK(m->name == "Department of Provincial Administration");
  CHECK(m->groups == std::vector<std::string>{"registry", "id-check"});
  CHECK(m->clearance == classification::confidential);
}

TEST_CASE("groups default to none and clearance to open", "[directory][member]") {
  auto m = parse_member(R"({"id": "TH/GOV/JFO/legal-aid", "name": "Justice Fund Office"})");
  REQUIRE(m);
  CHECK(m->groups.empty());
  CHECK(m->clearance == classification::open);
}

TEST_CASE("a member round-trips through its JSON form", "[directory][member]") {
  member_record m{*parse_member_id("TH/GOV/RTP/criminal-records"),
                  "Royal Thai Police (ตำรวจ)",
                  {"justice", "police"},
                  classification::top_secret};
  rapidjson::Document doc;
  member_to_json(m, doc, doc.GetAllocator());
  auto text = write_json(doc);
  auto back = parse_member(text);
  REQUIRE(back);
  CHECK(*back == m);
  CHECK(text.find(R"("clearance":"top_secret")") != std::string::npos);
}

TEST_CASE("a bad member id in a member file is invalid_member_id naming id",
          "[directory][member]") {
  for (const char* id : {"TH/GOV/JFO", "th/GOV/JFO/legal-aid", "TH/G/JFO/legal-aid",
                         "TH/GOV/JFO/legal aid", "TH/GOV/JFO/legal-aid/extra"}) {
    INFO(id);
    auto m = parse_member(std::string(R"({"id":")") + id + R"(","name":"x"})");
    REQUIRE_FALSE(m);
    CHECK(m.code() == errc::invalid_member_id);
    CHECK(m.error().detail.rfind("id: ", 0) == 0);
  }
  auto missing = parse_member(R"({"name":"x"})");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().detail == "id: is required");
}

TEST_CASE("a bad clearance is rejected naming clearance", "[directory][member]") {
  for (const char* level : {"Secret", "restricted", ""}) {
    INFO(level);
    auto m = parse_member(std::string(R"({"id":"TH/GOV/JFO/legal-aid","name":"x","clearance":")") +
                          level + "\"}");
    REQUIRE_FALSE(m);
    CHECK(m.code() == errc::invalid_argument);
    CHECK(m.error().detail.rfind("clearance: ", 0) == 0);
  }
  auto wrong_type = parse_member(R"({"id":"TH/GOV/JFO/legal-aid","name":"x","clearance":3})");
  REQUIRE_FALSE(wrong_type);
  CHECK(wrong_type.error().detail == "clearance: must be a string");
}

TEST_CASE("the member name is required, non-empty and bounded", "[directory][member]") {
  auto missing = parse_member(R"({"id":"TH/GOV/JFO/legal-aid"})");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().detail == "name: is required");
  auto empty = parse_member(R"({"id":"TH/GOV/JFO/legal-aid","name":""})");
  REQUIRE_FALSE(empty);
  CHECK(empty.error().detail == "name: must not be empty");
  auto with_name = [](std::size_t n) {
    return parse_member(R"({"id":"TH/GOV/JFO/legal-aid","name":")" + std::string(n, 'a') + "\"}");
  };
  CHECK(with_name(512));
  auto too_long = with_name(513);
  REQUIRE_FALSE(too_long);
  CHECK(too_long.error().detail.rfind("name: at most 512", 0) == 0);
}

TEST_CASE("member groups are named, unique and bounded", "[directory][member]") {
  CHECK(parse_member(member_with_groups(64)));
  auto too_many = parse_member(member_with_groups(65));
  REQUIRE_FALSE(too_many);
  CHECK(too_many.error().detail.rfind("groups: at most 64", 0) == 0);

  auto bad = parse_member(R"({"id":"TH/GOV/JFO/legal-aid","name":"x","groups":["ok","Justice"]})");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().detail.rfind("groups[1]: ", 0) == 0);
  auto dup = parse_member(R"({"id":"TH/GOV/JFO/legal-aid","name":"x","groups":["a","a"]})");
  REQUIRE_FALSE(dup);
  CHECK(dup.error().detail == "groups[1]: duplicate group");
  auto not_list = parse_member(R"({"id":"TH/GOV/JFO/legal-aid","name":"x","groups":"a"})");
  REQUIRE_FALSE(not_list);
  CHECK(not_list.error().detail.rfind("groups: ", 0) == 0);
}

TEST_CASE("group names are 1 to 64 of a-z 0-9 -", "[directory][member]") {
  CHECK(is_group_name("justice"));
  CHECK(is_group_name("labour-2"));
  CHECK(is_group_name(std::string(64, 'a')));
  CHECK_FALSE(is_group_name(std::string(65, 'a')));
  CHECK_FALSE(is_group_name(""));
  CHECK_FALSE(is_group_name("Justice"));
  CHECK_FALSE(is_group_name("a_b"));
  CHECK_FALSE(is_group_name("group:a"));
}

TEST_CASE("a member document must be an object", "[directory][member]") {
  auto m = parse_member(R"(["TH/GOV/JFO/legal-aid"])");
  REQUIRE_FALSE(m);
  CHECK(m.code() == errc::invalid_argument);
}

TEST_CASE("key uses round-trip through their strings", "[directory][member]") {
  for (auto use : {key_use::signing, key_use::encryption, key_use::tls}) {
    auto parsed = parse_key_use(to_string(use));
    REQUIRE(parsed);
    CHECK(*parsed == use);
  }
  CHECK(to_string(key_use::encryption) == "encryption");
  auto bad = parse_key_use("sign");
  REQUIRE_FALSE(bad);
  CHECK(bad.code() == errc::invalid_argument);
}

TEST_CASE("every member file under config/members parses", "[directory][member]") {
  std::filesystem::path dir = std::string(SAPHAN_SOURCE_DIR) + "/config/members";
  std::size_t count = 0;
  for (const auto& file : std::filesystem::directory_iterator(dir)) {
    if (file.path().extension() != ".json")
      continue;
    INFO(file.path().string());
    auto text = read_file(file.path().string());
    REQUIRE(text);
    auto m = parse_member(*text);
    CHECK(m);
    ++count;
  }
  CHECK(count > 0);
}
