#include "pki/openssl_util.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>

#include "pki/pki.hpp"

namespace saphan::pki::detail {
namespace {

// Enough reasons to explain a failure; a runaway queue must not make a megabyte detail.
constexpr int max_reported_errors = 6;

result<bio_ptr> open_memory(std::string_view pem, std::string_view what) {
  if (pem.size() > max_pem_bytes) {
    return make_error(errc::payload_too_large, std::string(what) + ": larger than " +
                                                   std::to_string(max_pem_bytes) + " bytes");
  }
  bio_ptr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio)
    return openssl_failure(errc::internal, "allocating a memory BIO");
  return bio;
}

}  // namespace

error openssl_failure(errc code, std::string_view what) {
  std::string detail(what);
  int reported = 0;
  unsigned long e = 0;
  while ((e = ERR_get_error()) != 0) {
    if (reported++ >= max_reported_errors)
      continue;
    char reason[256];
    ERR_error_string_n(e, reason, sizeof reason);
    detail += reported == 1 ? ": " : "; ";
    detail += reason;
  }
  if (reported == 0)
    detail += ": OpenSSL reported no reason";
  return make_error(code, std::move(detail));
}

int refuse_passphrase(char* /*buffer*/, int /*size*/, int /*rwflag*/, void* /*user*/) noexcept {
  return -1;
}

result<x509_ptr> parse_certificate_pem(std::string_view pem, std::string_view what) {
  auto bio = SAPHAN_TRY(open_memory(pem, what));
  x509_ptr certificate(PEM_read_bio_X509(bio.get(), nullptr, refuse_passphrase, nullptr));
  if (!certificate) {
    return openssl_failure(errc::invalid_argument, std::string(what) + ": not a PEM certificate");
  }
  return certificate;
}

result<pkey_ptr> parse_private_key_pem(std::string_view pem, std::string_view what) {
  auto bio = SAPHAN_TRY(open_memory(pem, what));
  pkey_ptr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, refuse_passphrase, nullptr));
  if (!key) {
    return openssl_failure(errc::invalid_argument,
                           std::string(what) + ": not an unencrypted PEM private key");
  }
  return key;
}

result<std::string> encode_certificate_pem(X509* certificate) {
  bio_ptr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), certificate) != 1) {
    return openssl_failure(errc::internal, "encoding a certificate as PEM");
  }
  char* data = nullptr;
  long size = BIO_get_mem_data(bio.get(), &data);
  if (size <= 0 || data == nullptr) {
    return openssl_failure(errc::internal, "reading the PEM certificate buffer");
  }
  return std::string(data, static_cast<std::size_t>(size));
}

result<timestamp> time_of(const ASN1_TIME* t) {
  std::tm tm{};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1)
    return openssl_failure(errc::invalid_argument, "unreadable certificate time");
  return timestamp(std::chrono::seconds(timegm(&tm)));
}

result<std::string> serial_hex(const ASN1_INTEGER* serial) {
  bignum_ptr bn(ASN1_INTEGER_to_BN(serial, nullptr));
  if (!bn)
    return openssl_failure(errc::internal, "reading a serial number");
  char* text = BN_bn2hex(bn.get());
  if (text == nullptr)
    return openssl_failure(errc::internal, "printing a serial number");
  std::string out(text);
  OPENSSL_free(text);
  return out;
}

}  // namespace saphan::pki::detail
