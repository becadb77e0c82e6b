#include <catch2/catch.hpp>

#include "law/classification.hpp"

using namespace saphan;

TEST_CASE("classification levels round-trip and are ordered by harm", "[catalog][classification]") {
  const std::vector<std::pair<classification, std::string_view>> levels = {
      {classification::open, "open"},
      {classification::internal, "internal"},
      {classification::confidential, "confidential"},
      {classification::secret, "secret"},
      {classification::top_secret, "top_secret"}};
  for (const auto& [level, name] : levels) {
    CHECK(to_string(level) == name);
    auto parsed = parse_classification(name);
    REQUIRE(parsed);
    CHECK(*parsed == level);
  }
  CHECK(classification::open < classification::internal);
  CHECK(classification::secret < classification::top_secret);
}

TEST_CASE("unknown classification strings are rejected", "[catalog][classification]") {
  for (const char* text : {"", "Open", "top-secret", "restricted", "secret "}) {
    INFO(text);
    auto parsed = parse_classification(text);
    REQUIRE_FALSE(parsed);
    CHECK(parsed.code() == errc::invalid_argument);
    CHECK(parsed.error().detail.rfind("classification: ", 0) == 0);
  }
}
