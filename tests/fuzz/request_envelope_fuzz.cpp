// parse_request_envelope (exchange/envelope.hpp): the consumer's signed request as the hub
// reads it from the network, with the hub's limits. Checks: a documented error code, or an
// envelope whose every field keeps its rule; serialize() parses back to the same envelope and
// serialises to the same bytes (envelope_checks.hpp).
#include <cstdint>

#include "tests/fuzz/envelope_checks.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  saphan::fuzz::check_request_envelope(saphan::fuzz::text_of(data, size),
                                       saphan::fuzz::hub_envelope_limits);
  return 0;
}
