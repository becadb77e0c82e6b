#include <catch2/catch.hpp>

#include "core/error.hpp"

using namespace saphan;

TEST_CASE("error codes round-trip through their stable strings", "[core][error]") {
  errc parsed{};
  REQUIRE(parse_errc("consent_revoked", parsed));
  CHECK(parsed == errc::consent_revoked);
  CHECK(to_string(errc::consent_revoked) == "consent_revoked");
  CHECK(http_status(errc::rate_limited) == 429);
  CHECK_FALSE(parse_errc("no_such_code", parsed));
}
