// Issuing the certificate of an RFC 3161 time-stamping authority.
//
// ca.cpp keeps its building blocks private; the few this file needs are restated here in their
// TSA form rather than widening ca.cpp's interface (other callers rely on its exact behaviour).
#include <openssl/err.h>
#include <openssl/pem.h>
#include <unistd.h>

#include <filesystem>
#include <system_error>

#include "core/files.hpp"
#include "pki/openssl_util.hpp"
#include "pki/pki.hpp"

namespace saphan::pki {
namespace {

using namespace detail;
namespace fs = std::filesystem;

// As for member certificates: a verifier whose clock runs a little behind must not reject a
// certificate issued a moment ago.
constexpr long clock_skew_seconds = 300;
constexpr int serial_bits = 128;

error invalid(std::string detail) {
  return make_error(errc::invalid_argument, std::move(detail));
}

result<void> check_tsa_inputs(const std::string& common_name, const std::string& out_prefix,
                              int validity_days) {
  if (common_name.empty() || common_name.size() > max_common_name_bytes) {
    return invalid("common_name: length must be 1.." + std::to_string(max_common_name_bytes) +
                   " bytes, got " + std::to_string(common_name.size()));
  }
  for (unsigned char c : common_name) {
    if (c < 0x20 || c == 0x7f)
      return invalid("common_name: control characters are not allowed");
  }
  if (validity_days < 1 || validity_days > max_tsa_certificate_validity_days) {
    return invalid("validity_days: must be 1.." +
                   std::to_string(max_tsa_certificate_validity_days) + ", got " +
                   std::to_string(validity_days));
  }
  if (out_prefix.empty())
    return invalid("out_prefix: must not be empty");
  return ok();
}

bool path_exists(const std::string& path) {
  std::error_code ec;
  return fs::symlink_status(path, ec).type() != fs::file_type::not_found;
}

struct signing_ca {
  x509_ptr certificate;
  pkey_ptr key;
};

result<std::string> read_ca_file(const std::string& path) {
  if (!path_exists(path))
    return make_error(errc::not_found, path + ": no CA file here");
  return read_file(path, max_pem_bytes);
}

result<signing_ca> load_signing_ca(const std::string& ca_dir) {
  std::string key_path = (fs::path(ca_dir) / ca_key_file).string();
  std::string cert_path = (fs::path(ca_dir) / ca_certificate_file).string();
  auto key_pem = read_ca_file(key_path);
  if (!key_pem)
    return std::move(key_pem).error();
  auto cert_pem = read_ca_file(cert_path);
  if (!cert_pem)
    return std::move(cert_pem).error();
  auto key = parse_private_key_pem(*key_pem, key_path);
  OPENSSL_cleanse(key_pem->data(), key_pem->size());
  if (!key)
    return std::move(key).error();
  auto certificate = parse_certificate_pem(*cert_pem, cert_path);
  if (!certificate)
    return std::move(certificate).error();
  if (X509_check_private_key(certificate->get(), key->get()) != 1)
    return openssl_failure(errc::invalid_argument, key_path + ": does not match " + cert_path);
  if (X509_check_ca(certificate->get()) == 0)
    return invalid(cert_path + ": not a CA certificate");
  return signing_ca{std::move(*certificate), std::move(*key)};
}

result<void> add_extension(X509* certificate, X509V3_CTX* context, int nid, const char* value) {
  extension_ptr extension(X509V3_EXT_conf_nid(nullptr, context, nid, value));
  if (!extension || X509_add_ext(certificate, extension.get(), -1) != 1) {
    return openssl_failure(errc::internal, std::string("adding extension ") + OBJ_nid2sn(nid));
  }
  return ok();
}

result<void> set_validity_serial_and_key(X509* cert, EVP_PKEY* key, int validity_days) {
  bignum_ptr serial(BN_new());
  if (!serial || BN_rand(serial.get(), serial_bits, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY) != 1 ||
      BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert)) == nullptr) {
    return openssl_failure(errc::internal, "setting a random serial number");
  }
  if (X509_set_version(cert, X509_VERSION_3) != 1 ||
      X509_gmtime_adj(X509_getm_notBefore(cert), -clock_skew_seconds) == nullptr ||
      X509_time_adj_ex(X509_getm_notAfter(cert), validity_days, 0, nullptr) == nullptr ||
      X509_set_pubkey(cert, key) != 1) {
    return openssl_failure(errc::internal, "setting version, validity and public key");
  }
  return ok();
}

result<void> set_names(X509* cert, X509* issuer, const std::string& common_name) {
  if (X509_NAME_add_entry_by_txt(X509_get_subject_name(cert), "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(common_name.data()),
                                 static_cast<int>(common_name.size()), -1, 0) != 1 ||
      X509_set_issuer_name(cert, X509_get_subject_name(issuer)) != 1) {
    return openssl_failure(errc::internal, "setting subject and issuer names");
  }
  return ok();
}

// The extension values are constants, so OpenSSL's config syntax cannot be injected into.
result<void> add_tsa_extensions(X509* cert, X509* issuer) {
  X509V3_CTX context;
  X509V3_set_ctx(&context, issuer, cert, nullptr, nullptr, 0);
  SAPHAN_TRY_VOID(add_extension(cert, &context, NID_basic_constraints, "critical,CA:FALSE"));
  SAPHAN_TRY_VOID(
      add_extension(cert, &context, NID_key_usage, "critical,digitalSignature,nonRepudiation"));
  // RFC 3161 2.3: the TSA certificate MUST carry exactly one extendedKeyUsage, timeStamping,
  // and the extension MUST be critical.
  SAPHAN_TRY_VOID(add_extension(cert, &context, NID_ext_key_usage, "critical,timeStamping"));
  SAPHAN_TRY_VOID(add_extension(cert, &context, NID_subject_key_identifier, "hash"));
  SAPHAN_TRY_VOID(add_extension(cert, &context, NID_authority_key_identifier, "keyid:always"));
  return ok();
}

result<x509_ptr> build_tsa_certificate(const signing_ca& ca, EVP_PKEY* key,
                                       const std::string& common_name, int validity_days) {
  x509_ptr certificate(X509_new());
  if (!certificate)
    return openssl_failure(errc::internal, "creating a certificate");
  X509* cert = certificate.get();
  SAPHAN_TRY_VOID(set_validity_serial_and_key(cert, key, validity_days));
  if (ASN1_TIME_compare(X509_get0_notAfter(cert), X509_get0_notAfter(ca.certificate.get())) > 0) {
    return invalid("validity_days: " + std::to_string(validity_days) +
                   " days would outlive the CA certificate");
  }
  SAPHAN_TRY_VOID(set_names(cert, ca.certificate.get(), common_name));
  SAPHAN_TRY_VOID(add_tsa_extensions(cert, ca.certificate.get()));
  if (X509_sign(cert, ca.key.get(), EVP_sha256()) <= 0)
    return openssl_failure(errc::internal, "signing the certificate");
  return certificate;
}

// The key goes from a BIO that OpenSSL wipes on free straight into the file.
result<void> write_private_key(const std::string& path, EVP_PKEY* key) {
  bio_ptr bio(BIO_new(BIO_s_secmem()));
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return openssl_failure(errc::internal, "encoding the private key as PEM");
  }
  char* data = nullptr;
  long size = BIO_get_mem_data(bio.get(), &data);
  if (size <= 0 || data == nullptr)
    return openssl_failure(errc::internal, "reading the key buffer");
  return write_file_atomic(path, std::string_view(data, static_cast<std::size_t>(size)), 0600);
}

result<void> write_key_and_certificate(const issued_certificate& out, EVP_PKEY* key,
                                       const std::string& certificate_pem) {
  bool key_existed = path_exists(out.key_path);
  SAPHAN_TRY_VOID(write_private_key(out.key_path, key));
  auto written = write_file_atomic(out.certificate_path, certificate_pem, 0644);
  if (!written) {
    if (!key_existed)
      ::unlink(out.key_path.c_str());
    return std::move(written).error();
  }
  return ok();
}

}  // namespace

result<issued_certificate> issue_tsa_certificate(const std::string& ca_dir,
                                                 const std::string& common_name,
                                                 const std::string& out_prefix, int validity_days,
                                                 bool overwrite) {
  ERR_clear_error();
  SAPHAN_TRY_VOID(check_tsa_inputs(common_name, out_prefix, validity_days));
  issued_certificate out{out_prefix + ".key", out_prefix + ".crt", {}};
  if (!overwrite) {
    for (const auto* path : {&out.key_path, &out.certificate_path}) {
      if (path_exists(*path))
        return make_error(errc::already_exists, *path + ": exists (overwrite not requested)");
    }
  }
  auto ca = load_signing_ca(ca_dir);
  if (!ca)
    return std::move(ca).error();
  pkey_ptr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key)
    return openssl_failure(errc::internal, "generating a P-256 key");
  auto certificate = build_tsa_certificate(*ca, key.get(), common_name, validity_days);
  if (!certificate)
    return std::move(certificate).error();
  auto pem = encode_certificate_pem(certificate->get());
  if (!pem)
    return std::move(pem).error();
  auto fingerprint = certificate_fingerprint(certificate->get());
  if (!fingerprint)
    return std::move(fingerprint).error();
  SAPHAN_TRY_VOID(write_key_and_certificate(out, key.get(), *pem));
  out.fingerprint = std::move(*fingerprint);
  return out;
}

}  // namespace saphan::pki
