// parse_hub_response (exchange/envelope.hpp): the hub's answer with its exchange evidence as
// the consumer connector reads it, then the provider's answer inside it (connector/consumer.cpp's
// limits). Checks: a documented error code, or an answer whose evidence keeps its rules and whose
// serialisation parses back to the same answer and the same bytes; the embedded provider answer
// is checked likewise.
#include <cstdint>
#include <string>

#include "tests/fuzz/envelope_checks.hpp"

using namespace saphan;

namespace {

constexpr json_limits consumer_limits{4u << 20, 8};

bool same_hub_response(const hub_response& a, const hub_response& b) {
  return a.request_id == b.request_id && a.provider_body == b.provider_body &&
         a.provider_signature == b.provider_signature &&
         a.evidence.decision_index == b.evidence.decision_index &&
         a.evidence.outcome_index == b.evidence.outcome_index &&
         a.evidence.request_hash == b.evidence.request_hash &&
         a.evidence.ciphertext_hash == b.evidence.ciphertext_hash &&
         a.evidence.granted_fields == b.evidence.granted_fields &&
         a.evidence.pseudonymised == b.evidence.pseudonymised;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto h = parse_hub_response(fuzz::text_of(data, size), consumer_limits);
  if (!h) {
    FUZZ_CHECK_ERROR(h, errc::malformed_body, errc::payload_too_large);
    return 0;
  }
  fuzz::check_fields(h->evidence.granted_fields);
  const std::string bytes = serialize(*h);
  auto again = parse_hub_response(bytes, consumer_limits);
  FUZZ_CHECK_MSG(again.has_value(), again ? std::string() : again.error().detail + "\n" + bytes);
  FUZZ_CHECK_MSG(same_hub_response(*h, *again), bytes);
  FUZZ_CHECK_MSG(serialize(*again) == bytes, bytes);

  auto inner = parse_provider_response(h->provider_body, consumer_limits);
  if (!inner) {
    FUZZ_CHECK_ERROR(inner, errc::malformed_body, errc::payload_too_large);
  } else {
    FUZZ_CHECK(parse_provider_response(serialize(*inner), consumer_limits).has_value());
  }
  return 0;
}
