// Reading TimeStampResp messages and verifying tokens (OpenSSL TS_VERIFY_CTX).
#include <openssl/err.h>
#include <openssl/pem.h>

#include <array>
#include <chrono>
#include <ctime>

#include "core/files.hpp"
#include "pki/pki.hpp"
#include "tsa/timestamp.hpp"
#include "tsa/ts_handles.hpp"

namespace saphan::tsa {

using namespace detail;

namespace {

constexpr std::size_t max_status_text_bytes = 200;
constexpr int max_trusted_certificates = 16;

error invalid_token(std::string detail) {
  return make_error(errc::timestamp_invalid, std::move(detail));
}

result<void> check_size(std::string_view der) {
  if (der.size() > max_response_bytes) {
    return make_error(errc::payload_too_large, "time-stamp data: larger than " +
                                                   std::to_string(max_response_bytes) + " bytes");
  }
  return ok();
}

result<ts_resp_ptr> parse_response(std::string_view der) {
  SAPHAN_TRY_VOID(check_size(der));
  auto response = decode_der_exact<ts_resp_ptr>(der, d2i_TS_RESP);
  if (!response) {
    ERR_clear_error();
    return invalid_token("response: not exactly one DER TimeStampResp");
  }
  return response;
}

// ---- status --------------------------------------------------------------------------------

struct failure_name {
  int bit;
  const char* name;
};
constexpr std::array failure_names = {
    failure_name{TS_INFO_BAD_ALG, "badAlg"},
    failure_name{TS_INFO_BAD_REQUEST, "badRequest"},
    failure_name{TS_INFO_BAD_DATA_FORMAT, "badDataFormat"},
    failure_name{TS_INFO_TIME_NOT_AVAILABLE, "timeNotAvailable"},
    failure_name{TS_INFO_UNACCEPTED_POLICY, "unacceptedPolicy"},
    failure_name{TS_INFO_UNACCEPTED_EXTENSION, "unacceptedExtension"},
    failure_name{TS_INFO_ADD_INFO_NOT_AVAILABLE, "addInfoNotAvailable"},
    failure_name{TS_INFO_SYSTEM_FAILURE, "systemFailure"},
};

// Status text comes from the TSA: keep it short and printable before it reaches a log line.
std::string printable_text(const TS_STATUS_INFO* info) {
  const auto* texts = TS_STATUS_INFO_get0_text(info);
  if (texts == nullptr || sk_ASN1_UTF8STRING_num(texts) <= 0)
    return {};
  const ASN1_UTF8STRING* first = sk_ASN1_UTF8STRING_value(texts, 0);
  const auto* data = ASN1_STRING_get0_data(first);
  int length = ASN1_STRING_length(first);
  std::string out;
  for (int i = 0; i < length && out.size() < max_status_text_bytes; ++i)
    out += (data[i] >= 0x20 && data[i] < 0x7f) ? static_cast<char>(data[i]) : '?';
  return out;
}

result<reply_info> read_status(TS_RESP* response) {
  const TS_STATUS_INFO* info = TS_RESP_get_status_info(response);
  const ASN1_INTEGER* status = info ? TS_STATUS_INFO_get0_status(info) : nullptr;
  std::int64_t value = -1;
  if (status == nullptr || ASN1_INTEGER_get_int64(&value, status) != 1 || value < 0 ||
      value > static_cast<std::int64_t>(reply_status::revocation_notification)) {
    ERR_clear_error();
    return invalid_token("response: PKIStatus outside RFC 3161's list");
  }
  reply_info out;
  out.status = static_cast<reply_status>(value);
  if (const ASN1_BIT_STRING* bits = TS_STATUS_INFO_get0_failure_info(info)) {
    for (const auto& f : failure_names) {
      if (ASN1_BIT_STRING_get_bit(bits, f.bit) == 1)
        out.failures.emplace_back(f.name);
    }
  }
  out.text = printable_text(info);
  out.has_token = TS_RESP_get_token(response) != nullptr;
  return out;
}

std::string describe(const reply_info& info) {
  std::string out = "status " + std::to_string(static_cast<int>(info.status));
  for (const auto& f : info.failures)
    out += " " + f;
  if (!info.text.empty())
    out += " (" + info.text + ")";
  return out;
}

result<void> require_granted(TS_RESP* response) {
  auto info = SAPHAN_TRY(read_status(response));
  if (info.status != reply_status::granted && info.status != reply_status::granted_with_mods)
    return invalid_token("response: not granted: " + describe(info));
  if (!info.has_token)
    return invalid_token("response: granted but carries no token");
  return ok();
}

// ---- token contents --------------------------------------------------------------------------

result<void> check_imprint(TS_TST_INFO* info, const crypto::sha256_digest& expected) {
  TS_MSG_IMPRINT* imprint = TS_TST_INFO_get_msg_imprint(info);
  X509_ALGOR* algorithm = imprint ? TS_MSG_IMPRINT_get_algo(imprint) : nullptr;
  const ASN1_OBJECT* oid = nullptr;
  if (algorithm != nullptr)
    X509_ALGOR_get0(&oid, nullptr, nullptr, algorithm);
  if (oid == nullptr || OBJ_obj2nid(oid) != NID_sha256)
    return invalid_token("token: messageImprint must use SHA-256");
  const ASN1_OCTET_STRING* hashed = TS_MSG_IMPRINT_get_msg(imprint);
  std::string_view actual(reinterpret_cast<const char*>(ASN1_STRING_get0_data(hashed)),
                          static_cast<std::size_t>(ASN1_STRING_length(hashed)));
  if (actual != expected.view()) {
    return invalid_token("token: messageImprint does not match: expected " + expected.to_hex());
  }
  return ok();
}

result<void> check_nonce(TS_TST_INFO* info, std::optional<std::uint64_t> expected) {
  if (!expected)
    return ok();
  const ASN1_INTEGER* nonce = TS_TST_INFO_get_nonce(info);
  std::uint64_t actual = 0;
  if (nonce == nullptr || ASN1_INTEGER_get_uint64(&actual, nonce) != 1 || actual != *expected) {
    ERR_clear_error();
    return invalid_token("token: nonce missing or not the one sent (" + std::to_string(*expected) +
                         ")");
  }
  return ok();
}

result<void> check_contents(TS_TST_INFO* info, const crypto::sha256_digest& expected,
                            std::optional<std::uint64_t> nonce) {
  SAPHAN_TRY_VOID(check_imprint(info, expected));
  return check_nonce(info, nonce);
}

// GeneralizedTime "YYYYMMDDHHMMSS[.f+]Z" to microseconds; extra fraction digits are truncated.
result<timestamp> to_timestamp(const ASN1_GENERALIZEDTIME* time) {
  std::tm tm{};
  if (time == nullptr || ASN1_TIME_to_tm(time, &tm) != 1) {
    ERR_clear_error();
    return invalid_token("token: genTime is not a valid GeneralizedTime");
  }
  using namespace std::chrono;
  sys_days day = year{tm.tm_year + 1900} / month{static_cast<unsigned>(tm.tm_mon + 1)} /
                 static_cast<unsigned>(tm.tm_mday);
  timestamp out = day + hours{tm.tm_hour} + minutes{tm.tm_min} + seconds{tm.tm_sec};
  std::string_view text(reinterpret_cast<const char*>(ASN1_STRING_get0_data(time)),
                        static_cast<std::size_t>(ASN1_STRING_length(time)));
  auto dot = text.find('.');
  if (dot != std::string_view::npos) {
    long micros = 0;
    int digits = 0;
    for (std::size_t i = dot + 1; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
      if (digits < 6) {
        micros = micros * 10 + (text[i] - '0');
        ++digits;
      }
    }
    for (; digits < 6; ++digits)
      micros *= 10;
    out += microseconds{micros};
  }
  return out;
}

result<std::string> serial_hex(const ASN1_INTEGER* serial) {
  pki::detail::bignum_ptr number(serial ? ASN1_INTEGER_to_BN(serial, nullptr) : nullptr);
  char* hex = number ? BN_bn2hex(number.get()) : nullptr;
  if (hex == nullptr)
    return openssl_failure(errc::timestamp_invalid, "token: unreadable serial number");
  std::string out(hex);
  OPENSSL_free(hex);
  return out;
}

result<verified_timestamp> describe_token(TS_TST_INFO* info) {
  auto time = SAPHAN_TRY(to_timestamp(TS_TST_INFO_get_time(info)));
  auto serial = SAPHAN_TRY(serial_hex(TS_TST_INFO_get_serial(info)));
  char oid[128];
  const ASN1_OBJECT* policy = TS_TST_INFO_get_policy_id(info);
  int length = policy ? OBJ_obj2txt(oid, sizeof oid, policy, 1) : -1;
  if (length <= 0 || static_cast<std::size_t>(length) >= sizeof oid)
    return openssl_failure(errc::timestamp_invalid, "token: unreadable policy");
  return verified_timestamp{time, std::move(serial), std::string(oid)};
}

// ---- tokens and trust ------------------------------------------------------------------------

// A token parsed from a TimeStampResp (kept whole, it owns the token) or on its own.
struct parsed_token {
  ts_resp_ptr response;
  pkcs7_ptr bare;
  PKCS7* get() const { return response ? TS_RESP_get_token(response.get()) : bare.get(); }
};

result<parsed_token> parse_token(std::string_view der) {
  SAPHAN_TRY_VOID(check_size(der));
  parsed_token out;
  out.response = decode_der_exact<ts_resp_ptr>(der, d2i_TS_RESP);
  if (out.response) {
    SAPHAN_TRY_VOID(require_granted(out.response.get()));
    return out;
  }
  out.bare = decode_der_exact<pkcs7_ptr>(der, d2i_PKCS7);
  ERR_clear_error();
  if (!out.bare || !PKCS7_type_is_signed(out.bare.get()))
    return invalid_token("not exactly one DER TimeStampResp or TimeStampToken");
  return out;
}

result<x509_store_ptr> load_trust_store(const std::string& ca_path) {
  if (ca_path.empty())
    return make_error(errc::invalid_argument, "trust: ca_certificate_path is required");
  auto pem = SAPHAN_TRY(read_file(ca_path, pki::max_pem_bytes));
  pki::detail::bio_ptr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  x509_store_ptr store(X509_STORE_new());
  if (!bio || !store)
    return openssl_failure(errc::internal, "allocating the trust store");
  int loaded = 0;
  while (loaded < max_trusted_certificates) {
    pki::detail::x509_ptr certificate(
        PEM_read_bio_X509(bio.get(), nullptr, pki::detail::refuse_passphrase, nullptr));
    if (!certificate)
      break;
    if (X509_STORE_add_cert(store.get(), certificate.get()) != 1)
      return openssl_failure(errc::internal, "adding " + ca_path + " to the trust store");
    ++loaded;
  }
  ERR_clear_error();  // the end of the PEM stream reads as an error
  if (loaded == 0)
    return make_error(errc::invalid_argument, ca_path + ": no PEM certificate");
  return store;
}

result<ts_verify_ctx_ptr> make_verify_context(const crypto::sha256_digest& expected,
                                              const trust_config& trust) {
  auto store = SAPHAN_TRY(load_trust_store(trust.ca_certificate_path));
  ts_verify_ctx_ptr context(TS_VERIFY_CTX_new());
  auto* imprint =
      static_cast<unsigned char*>(OPENSSL_memdup(expected.bytes.data(), expected.bytes.size()));
  if (!context || imprint == nullptr) {
    OPENSSL_free(imprint);
    return openssl_failure(errc::internal, "allocating the verification context");
  }
  // The context owns what it is given from here on.
  TS_VERIFY_CTX_set_imprint(context.get(), imprint, static_cast<long>(expected.bytes.size()));
  TS_VERIFY_CTX_set_store(context.get(), store.release());
  // TS_VFY_SIGNER: a tsa name in the token must name the signing certificate. OpenSSL 3.0 has
  // no setter for an expected nonce; check_nonce does that part.
  TS_VERIFY_CTX_set_flags(context.get(),
                          TS_VFY_VERSION | TS_VFY_SIGNATURE | TS_VFY_IMPRINT | TS_VFY_SIGNER);
  return context;
}

// Pinning: the token's signer must be exactly the configured TSA certificate.
result<void> check_pinned_signer(PKCS7* token, const std::string& tsa_certificate_path) {
  if (tsa_certificate_path.empty())
    return ok();
  auto pem = SAPHAN_TRY(read_file(tsa_certificate_path, pki::max_pem_bytes));
  auto pinned = SAPHAN_TRY(pki::detail::parse_certificate_pem(pem, tsa_certificate_path));
  STACK_OF(X509)* signers = PKCS7_get0_signers(token, nullptr, 0);
  bool match = signers != nullptr && sk_X509_num(signers) == 1 &&
               X509_cmp(sk_X509_value(signers, 0), pinned.get()) == 0;
  sk_X509_free(signers);  // the certificates belong to the token
  ERR_clear_error();
  if (!match)
    return invalid_token("token: not signed by the TSA certificate " + tsa_certificate_path);
  return ok();
}

}  // namespace

result<reply_info> read_reply(std::string_view response_der) {
  ERR_clear_error();
  auto response = SAPHAN_TRY(parse_response(response_der));
  return read_status(response.get());
}

result<std::string> extract_token(std::string_view response_der) {
  ERR_clear_error();
  auto response = SAPHAN_TRY(parse_response(response_der));
  SAPHAN_TRY_VOID(require_granted(response.get()));
  return encode_der(TS_RESP_get_token(response.get()), i2d_PKCS7, "the time-stamp token");
}

result<void> check_reply(std::string_view response_der, const crypto::sha256_digest& digest,
                         std::optional<std::uint64_t> nonce) {
  ERR_clear_error();
  auto response = SAPHAN_TRY(parse_response(response_der));
  SAPHAN_TRY_VOID(require_granted(response.get()));
  TS_TST_INFO* info = TS_RESP_get_tst_info(response.get());
  if (info == nullptr)
    return invalid_token("response: token holds no TSTInfo");
  return check_contents(info, digest, nonce);
}

result<verified_timestamp> verify_token(std::string_view der, const crypto::sha256_digest& expected,
                                        const trust_config& trust,
                                        std::optional<std::uint64_t> nonce) {
  ERR_clear_error();
  auto token = SAPHAN_TRY(parse_token(der));
  tst_info_ptr info(PKCS7_to_TS_TST_INFO(token.get()));
  if (!info) {
    ERR_clear_error();
    return invalid_token("token: does not hold a TSTInfo");
  }
  SAPHAN_TRY_VOID(check_contents(info.get(), expected, nonce));
  auto context = SAPHAN_TRY(make_verify_context(expected, trust));
  if (TS_RESP_verify_token(context.get(), token.get()) != 1)
    return openssl_failure(errc::timestamp_invalid, "token: verification failed");
  SAPHAN_TRY_VOID(check_pinned_signer(token.get(), trust.tsa_certificate_path));
  return describe_token(info.get());
}

}  // namespace saphan::tsa
