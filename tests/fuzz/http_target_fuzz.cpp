// parse_target (hub/log_api.hpp): a request target of the evidence log API split into its path
// and decoded query parameters, straight from the HTTP request line.
//
// Input: the target. Checks: errors are invalid_argument; an accepted target keeps the text
// before '?' as its path, holds at most 16 parameters with non-empty names, and names and
// values of at most 256 bytes; the parameters percent-encoded again (in another order, with
// empty pairs between) parse back to the same ones.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "hub/log_api.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace saphan;

namespace {

std::string encode(std::string_view text) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    const bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                       c == '-' || c == '.' || c == '_' || c == '~';
    if (plain) {
      out += static_cast<char>(c);
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 0xf];
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto target = fuzz::text_of(data, size);
  auto parsed = hub::parse_target(target);
  if (!parsed) {
    FUZZ_CHECK_ERROR(parsed, errc::invalid_argument);
    return 0;
  }
  const auto q = target.find('?');
  FUZZ_CHECK(parsed->path == target.substr(0, q));
  FUZZ_CHECK(parsed->params.size() <= 16);
  FUZZ_CHECK(q != std::string_view::npos || parsed->params.empty());
  for (const auto& [name, value] : parsed->params) {
    FUZZ_CHECK(!name.empty() && name.size() <= 256 && value.size() <= 256);
  }
  FUZZ_CHECK(hub::is_log_api_path(parsed->path) == (parsed->path.rfind("/v1/log/", 0) == 0 ||
                                                    parsed->path.rfind("/v1/citizen/", 0) == 0));

  // The same parameters, encoded afresh and in reverse order, with empty pairs around them.
  std::string again = parsed->path + "?&";
  for (auto it = parsed->params.rbegin(); it != parsed->params.rend(); ++it)
    again += encode(it->first) + "=" + encode(it->second) + "&&";
  auto reparsed = hub::parse_target(again);
  FUZZ_CHECK_MSG(reparsed.has_value(), reparsed ? again : reparsed.error().detail + ": " + again);
  FUZZ_CHECK_MSG(reparsed->path == parsed->path, again);
  FUZZ_CHECK_MSG(reparsed->params == parsed->params, again);
  return 0;
}
