// parse_forwarded_request (exchange/envelope.hpp): what the provider connector reads from the
// hub, then the consumer's envelope inside it, as provider.cpp does. Checks: a documented error
// code, or a message whose grant keeps its rules and whose serialisation parses back to the same
// message and the same bytes; the embedded envelope is checked as request_envelope_fuzz does.
#include <cstdint>
#include <string>

#include "tests/fuzz/envelope_checks.hpp"

using namespace saphan;

namespace {

bool same_forwarded(const forwarded_request& a, const forwarded_request& b) {
  return a.request == b.request && a.consumer_signature == b.consumer_signature &&
         a.grant.request_id == b.grant.request_id && a.grant.request_hash == b.grant.request_hash &&
         a.grant.fields == b.grant.fields &&
         a.grant.pseudonymise_subject == b.grant.pseudonymise_subject &&
         a.grant.purpose == b.grant.purpose && a.grant.log_index == b.grant.log_index &&
         a.grant.granted_at == b.grant.granted_at;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto f = parse_forwarded_request(fuzz::text_of(data, size));
  if (!f) {
    FUZZ_CHECK_ERROR(f, errc::malformed_body, errc::payload_too_large);
    return 0;
  }
  fuzz::check_fields(f->grant.fields);
  const std::string bytes = serialize(*f);
  auto again = parse_forwarded_request(bytes);
  FUZZ_CHECK_MSG(again.has_value(), again ? std::string() : again.error().detail + "\n" + bytes);
  FUZZ_CHECK_MSG(same_forwarded(*f, *again), bytes);
  FUZZ_CHECK_MSG(serialize(*again) == bytes, bytes);

  fuzz::check_request_envelope(f->request, {});
  return 0;
}
