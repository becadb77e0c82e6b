// RFC 3161 replies and tokens (tsa/timestamp.hpp): read_reply, extract_token, check_reply and
// verify_token on DER from outside, against the seeds' TSA (tests/fuzz/data: its CA and its
// certificate; the keys are gone, README.md: Seeds).
//
// Input: byte 0 (bit 0: a nonce follows), the 32-byte digest the token should stamp, the 8-byte
// big-endian nonce when flagged, then the DER. Checks: errors carry their documented codes; a
// reply's status is one of RFC 3161's, its text short and printable, its failure names known;
// extract_token, check_reply and verify_token accept only granted replies that carry a token;
// a verified response and the token extract_token takes out of it verify alike and say the
// same; verification pinned to the TSA certificate agrees with verification by the CA alone.
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "crypto/hash.hpp"
#include "tests/fuzz/fuzz_support.hpp"
#include "tsa/timestamp.hpp"

using namespace saphan;

namespace {

const std::string data_dir = std::string(SAPHAN_SOURCE_DIR) + "/tests/fuzz/data/";
const tsa::trust_config by_ca{data_dir + "tsa-ca.pem", ""};
const tsa::trust_config pinned{data_dir + "tsa-ca.pem", data_dir + "tsa.pem"};

bool same(const tsa::verified_timestamp& a, const tsa::verified_timestamp& b) {
  return a.time == b.time && a.serial_hex == b.serial_hex && a.policy_oid == b.policy_oid;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1 + crypto::sha256_digest::size)
    return 0;
  const bool has_nonce = (data[0] & 1) != 0;
  crypto::sha256_digest digest;
  for (std::size_t i = 0; i < digest.size; ++i)
    digest.bytes[i] = data[1 + i];
  std::size_t at = 1 + digest.size;
  std::optional<std::uint64_t> nonce;
  if (has_nonce) {
    if (size < at + 8)
      return 0;
    std::uint64_t n = 0;
    for (std::size_t i = 0; i < 8; ++i)
      n = n << 8 | data[at + i];
    nonce = n;
    at += 8;
  }
  const auto der = fuzz::text_of(data + at, size - at);

  auto reply = tsa::read_reply(der);
  bool granted_with_token = false;
  if (reply) {
    FUZZ_CHECK(static_cast<int>(reply->status) >= 0 && static_cast<int>(reply->status) <= 5);
    FUZZ_CHECK(reply->text.size() <= 200);
    for (char c : reply->text)
      FUZZ_CHECK(c >= 0x20 && c < 0x7f);
    static const std::set<std::string> failure_names = {
        "badAlg",           "badRequest",          "badDataFormat",       "timeNotAvailable",
        "unacceptedPolicy", "unacceptedExtension", "addInfoNotAvailable", "systemFailure"};
    for (const auto& f : reply->failures)
      FUZZ_CHECK(failure_names.count(f) == 1);
    granted_with_token =
        reply->has_token && (reply->status == tsa::reply_status::granted ||
                             reply->status == tsa::reply_status::granted_with_mods);
  } else {
    FUZZ_CHECK_ERROR(reply, errc::payload_too_large, errc::timestamp_invalid);
  }

  auto token = tsa::extract_token(der);
  FUZZ_CHECK(token.has_value() == granted_with_token);
  if (!token)
    FUZZ_CHECK_ERROR(token, errc::payload_too_large, errc::timestamp_invalid);

  auto checked = tsa::check_reply(der, digest, nonce);
  if (checked)
    FUZZ_CHECK(granted_with_token);
  else
    FUZZ_CHECK_ERROR(checked, errc::payload_too_large, errc::timestamp_invalid);

  auto verified = tsa::verify_token(der, digest, by_ca, nonce);
  if (!verified) {
    FUZZ_CHECK_ERROR(verified, errc::payload_too_large, errc::timestamp_invalid);
    return 0;
  }
  // A response verifies only when granted, and then its imprint and nonce are the ones asked.
  if (reply) {
    FUZZ_CHECK(granted_with_token);
    FUZZ_CHECK(checked.has_value());
    auto bare = tsa::verify_token(*token, digest, by_ca, nonce);
    FUZZ_CHECK_MSG(bare.has_value(), bare ? std::string() : bare.error().detail);
    FUZZ_CHECK(same(*bare, *verified));
  }
  FUZZ_CHECK(!verified->serial_hex.empty() && !verified->policy_oid.empty());
  auto pinned_result = tsa::verify_token(der, digest, pinned, nonce);
  FUZZ_CHECK_MSG(pinned_result.has_value(),
                 pinned_result ? std::string() : pinned_result.error().detail);
  FUZZ_CHECK(same(*pinned_result, *verified));
  return 0;
}
