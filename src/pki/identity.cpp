// Reading identities out of certificates: the member URI, fingerprints, validity.
#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include <chrono>
#include <ctime>

#include "pki/openssl_util.hpp"
#include "pki/pki.hpp"

namespace saphan::pki {
namespace {

using detail::general_names_ptr;

// A certificate with more names than this is not one we issued; refuse rather than scan it.
constexpr int max_scanned_alt_names = 64;

error unauthenticated(std::string detail) {
  return make_error(errc::unauthenticated, std::move(detail));
}

// The value of a URI entry, or an empty view when the entry is not a URI.
std::string_view uri_of(const GENERAL_NAME* name) {
  int type = 0;
  auto* value = static_cast<const ASN1_STRING*>(GENERAL_NAME_get0_value(name, &type));
  if (type != GEN_URI || value == nullptr)
    return {};
  return {reinterpret_cast<const char*>(ASN1_STRING_get0_data(value)),
          static_cast<std::size_t>(ASN1_STRING_length(value))};
}

// The single member URI among the SAN entries. Two member URIs would let one certificate speak
// for two members, so that is refused, not resolved by picking one.
result<std::string_view> find_member_uri(const GENERAL_NAMES* names) {
  int count = sk_GENERAL_NAME_num(names);
  if (count > max_scanned_alt_names) {
    return unauthenticated("certificate: more than " + std::to_string(max_scanned_alt_names) +
                           " subjectAltName entries");
  }
  std::string_view found;
  for (int i = 0; i < count; ++i) {
    auto uri = uri_of(sk_GENERAL_NAME_value(names, i));
    if (uri.substr(0, member_uri_prefix.size()) != member_uri_prefix)
      continue;
    if (!found.empty()) {
      return unauthenticated("certificate: several subjectAltName member URIs");
    }
    found = uri;
  }
  if (found.empty()) {
    return unauthenticated("certificate: no subjectAltName URI starting with " +
                           std::string(member_uri_prefix));
  }
  return found;
}

result<timestamp> to_timestamp(const ASN1_TIME* time, std::string_view what) {
  std::tm tm{};
  if (time == nullptr || ASN1_TIME_to_tm(time, &tm) != 1) {
    return detail::openssl_failure(errc::invalid_argument,
                                   "certificate: unreadable " + std::string(what));
  }
  using namespace std::chrono;
  auto date = year{tm.tm_year + 1900} / month{static_cast<unsigned>(tm.tm_mon + 1)} /
              day{static_cast<unsigned>(tm.tm_mday)};
  auto instant = sys_days{date} + hours{tm.tm_hour} + minutes{tm.tm_min} + seconds{tm.tm_sec};
  return timestamp{duration_cast<microseconds>(instant.time_since_epoch())};
}

}  // namespace

std::string member_uri(const member_id& member) {
  return std::string(member_uri_prefix) + to_string(member);
}

result<member_id> parse_member_uri(std::string_view uri) {
  if (uri.substr(0, member_uri_prefix.size()) != member_uri_prefix) {
    return unauthenticated("member URI: must start with " + std::string(member_uri_prefix));
  }
  return parse_member_id(uri.substr(member_uri_prefix.size()));
}

result<member_id> member_from_certificate(X509* certificate) {
  if (certificate == nullptr)
    return unauthenticated("no certificate");
  // A duplicated extension makes X509_get_ext_d2i return null (critical == -2): refused too.
  int critical = 0;
  general_names_ptr names(static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(certificate, NID_subject_alt_name, &critical, nullptr)));
  if (!names) {
    ERR_clear_error();
    return unauthenticated("certificate: no (single, readable) subjectAltName extension");
  }
  auto uri = SAPHAN_TRY(find_member_uri(names.get()));
  // The URI is attacker-chosen bytes: an embedded NUL would truncate it for C-string readers.
  if (uri.find('\0') != std::string_view::npos) {
    return unauthenticated("certificate: member URI contains a NUL byte");
  }
  auto member = parse_member_uri(uri);
  if (!member) {
    return unauthenticated("certificate: member URI: " + std::move(member).error().detail);
  }
  return member;
}

result<std::string> certificate_fingerprint(X509* certificate) {
  if (certificate == nullptr)
    return make_error(errc::invalid_argument, "no certificate");
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (X509_digest(certificate, EVP_sha256(), digest, &length) != 1 || length != 32) {
    return detail::openssl_failure(errc::internal, "computing the certificate fingerprint");
  }
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * length);
  for (unsigned int i = 0; i < length; ++i) {
    out.push_back(hex[digest[i] >> 4]);
    out.push_back(hex[digest[i] & 0x0f]);
  }
  return out;
}

result<certificate_info> inspect_certificate_pem(std::string_view pem) {
  auto certificate = SAPHAN_TRY(detail::parse_certificate_pem(pem, "certificate"));
  X509* cert = certificate.get();
  auto member = SAPHAN_TRY(member_from_certificate(cert));
  auto fingerprint = SAPHAN_TRY(certificate_fingerprint(cert));
  auto not_before = SAPHAN_TRY(to_timestamp(X509_get0_notBefore(cert), "notBefore"));
  auto not_after = SAPHAN_TRY(to_timestamp(X509_get0_notAfter(cert), "notAfter"));
  return certificate_info{std::move(member), std::move(fingerprint), not_before, not_after};
}

}  // namespace saphan::pki
