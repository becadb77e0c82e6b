#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <string>
#include <vector>

#include "connector/consumer_auth.hpp"

using namespace saphan;
using namespace saphan::connector;
using Catch::Matchers::Contains;

namespace {

const std::string token = "kR3v8wQ2-Zt_9pLx4NcY7bHa1mUe6sJd0fGiOqTrWyE";  // 43 characters

}  // namespace

TEST_CASE("api token: the file holds one token of 32..512 b64token characters", "[connector]") {
  for (const auto& ok : std::vector<std::string>{
           token, token + "\n", token + "\r\n", std::string(32, 'a'), std::string(512, 'a'),
           "abc+/~.-_" + std::string(23, 'z'), std::string(30, 'a') + "=="}) {
    INFO(ok);
    CHECK(api_token::parse(ok));
  }
  struct bad_case {
    std::string text;
    std::string says;
  };
  for (const auto& [text, says] :
       std::vector<bad_case>{{"", "empty"},
                             {"\n", "empty"},
                             {"\r\n", "empty"},
                             {std::string(31, 'a'), "at least 32"},
                             {std::string(31, 'a') + "\n", "at least 32"},
                             {std::string(513, 'a'), "longer than 512"},
                             {token + "\n\n", "one line"},
                             {token + "\nsecond", "one line"},
                             {" " + token, "one line"},
                             {token + " ", "one line"},
                             {std::string(16, 'a') + "\t" + std::string(16, 'a'), "one line"},
                             {std::string(16, 'a') + "=" + std::string(16, 'a'), "one line"},
                             {std::string(32, '='), "one line"},
                             {std::string(31, 'a') + "\xc3\xa9", "one line"}}) {
    INFO(text);
    auto refused = api_token::parse(text);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == errc::invalid_argument);
    CHECK_THAT(refused.error().detail, Contains(says));
    if (text.size() >= 32)
      CHECK_THAT(refused.error().detail, !Contains(text.substr(0, 32)));
  }
}

TEST_CASE("api token: only \"Bearer <the token>\" passes", "[connector]") {
  auto parsed = api_token::parse(token + "\n");
  REQUIRE(parsed);
  const auto& t = *parsed;
  CHECK(t.check("Bearer " + token));
  CHECK(t.check("bearer " + token));
  CHECK(t.check("BeArEr " + token));

  const std::string required = "Authorization: a bearer token is required";
  const std::string wrong = "Authorization: the bearer token is not this connector's";
  auto other = token;
  other[10] = other[10] == 'x' ? 'y' : 'x';
  struct refusal {
    std::string authorization;
    std::string detail;
  };
  for (const auto& [authorization, detail] :
       std::vector<refusal>{{"", required},
                            {"Bearer", required},
                            {"Bearer ", required},
                            {token, required},
                            {"Basic " + token, required},
                            {"Bearertoken " + token, required},
                            {"Bearer " + other, wrong},
                            {"Bearer " + token + "\n", wrong},
                            {"Bearer " + token.substr(0, 42), wrong},
                            {"Bearer " + token + token, wrong},
                            {"Bearer  " + token, wrong},
                            {"Bearer " + token + " ", wrong}}) {
    INFO(authorization);
    auto refused = t.check(authorization);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == errc::unauthenticated);
    CHECK(refused.error().detail == detail);
  }
  // The same token from a file without its line end checks the same.
  auto again = api_token::parse(token);
  REQUIRE(again);
  CHECK(again->check("Bearer " + token));
}

TEST_CASE("api token: the bearer token of an Authorization value", "[connector]") {
  CHECK(bearer_token_of("Bearer abc") == std::optional<std::string_view>("abc"));
  CHECK(bearer_token_of("bearer abc") == std::optional<std::string_view>("abc"));
  CHECK(bearer_token_of("Bearer  abc") == std::optional<std::string_view>(" abc"));
  for (std::string_view none : {"", "Bearer", "Bearer ", "Basic abc", "abc", "Bearerabc"}) {
    INFO(none);
    CHECK_FALSE(bearer_token_of(none));
  }
}

TEST_CASE("api token: the file is its owner's alone", "[connector]") {
  CHECK(check_token_file_mode(S_IFREG | 0600));
  CHECK(check_token_file_mode(S_IFREG | 0400));
  CHECK(check_token_file_mode(S_IFREG | 0700));
  for (mode_t mode : {0640, 0604, 0644, 0660, 0606, 0610, 0601, 0777}) {
    INFO(mode);
    auto refused = check_token_file_mode(S_IFREG | mode);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == errc::invalid_argument);
    CHECK_THAT(refused.error().detail, Contains("chmod 600"));
  }
  CHECK_THAT(check_token_file_mode(S_IFREG | 0644).error().detail, Contains("0644"));
}

TEST_CASE("api token: the challenge of a refusal (RFC 6750)", "[connector]") {
  CHECK(bearer_challenge(false) == R"(Bearer realm="saphan-consumer")");
  CHECK(bearer_challenge(true) == R"(Bearer realm="saphan-consumer", error="invalid_token")");
}
