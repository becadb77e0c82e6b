// parse_provider_response (exchange/envelope.hpp): the provider's answer as the hub reads it
// (hub/exchange.cpp's limits). Checks: a documented error code, or an answer whose
// serialisation parses back to the same answer and serialises to the same bytes.
#include <cstdint>
#include <string>

#include "tests/fuzz/envelope_checks.hpp"

using namespace saphan;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const json_limits limits{1 << 20, 8};
  auto p = parse_provider_response(fuzz::text_of(data, size), limits);
  if (!p) {
    FUZZ_CHECK_ERROR(p, errc::malformed_body, errc::payload_too_large);
    return 0;
  }
  const std::string bytes = serialize(*p);
  auto again = parse_provider_response(bytes, limits);
  FUZZ_CHECK_MSG(again.has_value(), again ? std::string() : again.error().detail + "\n" + bytes);
  FUZZ_CHECK(again->request_id == p->request_id);
  FUZZ_CHECK(again->request_hash == p->request_hash);
  FUZZ_CHECK(again->ciphertext == p->ciphertext);
  FUZZ_CHECK_MSG(serialize(*again) == bytes, bytes);
  return 0;
}
