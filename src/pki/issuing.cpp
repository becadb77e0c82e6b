#include "pki/issuing.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <unistd.h>

#include <filesystem>
#include <system_error>

#include "core/files.hpp"
#include "pki/pki.hpp"

namespace saphan::pki::detail {
namespace {

namespace fs = std::filesystem;

// notBefore is set this far in the past so that a peer whose clock runs a little behind does
// not reject a certificate issued a moment ago.
constexpr long clock_skew_seconds = 300;
constexpr int serial_bits = 128;

error invalid(std::string detail) {
  return make_error(errc::invalid_argument, std::move(detail));
}

result<std::string> read_ca_file(const std::string& path) {
  if (!path_exists(path))
    return make_error(errc::not_found, path + ": no CA file here");
  return read_file(path, max_pem_bytes);
}

// RFC 5280 wants serials unique per CA and positive; 128 random bits (top bit set, so it is
// never zero and always encodes to the same length) make collisions a non-issue.
result<void> set_random_serial(X509* certificate) {
  bignum_ptr serial(BN_new());
  if (!serial || BN_rand(serial.get(), serial_bits, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY) != 1 ||
      BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(certificate)) == nullptr) {
    return openssl_failure(errc::internal, "setting a random serial number");
  }
  return ok();
}

// The key never exists as a std::string: it goes from a BIO that OpenSSL wipes on free straight
// into the file.
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

// Replacing a member's key is a deliberate act (rotation), never an accident.
result<void> refuse_existing(const std::string& key_path, const std::string& certificate_path,
                             bool overwrite) {
  if (overwrite)
    return ok();
  for (const auto* path : {&key_path, &certificate_path}) {
    if (path_exists(*path))
      return make_error(errc::already_exists, *path + ": exists (overwrite not requested)");
  }
  return ok();
}

}  // namespace

result<void> check_validity_days(int days, int max_days) {
  if (days < 1 || days > max_days) {
    return invalid("validity_days: must be 1.." + std::to_string(max_days) + ", got " +
                   std::to_string(days));
  }
  return ok();
}

result<void> check_common_name(std::string_view name) {
  if (name.empty() || name.size() > max_common_name_bytes) {
    return invalid("common_name: length must be 1.." + std::to_string(max_common_name_bytes) +
                   " bytes, got " + std::to_string(name.size()));
  }
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f)
      return invalid("common_name: control characters are not allowed");
  }
  return ok();
}

bool path_exists(const std::string& path) {
  std::error_code ec;
  return fs::symlink_status(path, ec).type() != fs::file_type::not_found;
}

result<signing_ca> load_ca(const std::string& ca_dir) {
  std::string key_path = (fs::path(ca_dir) / ca_key_file).string();
  std::string cert_path = (fs::path(ca_dir) / ca_certificate_file).string();
  auto key_pem = SAPHAN_TRY(read_ca_file(key_path));
  auto cert_pem = SAPHAN_TRY(read_ca_file(cert_path));
  auto key = parse_private_key_pem(key_pem, key_path);
  OPENSSL_cleanse(key_pem.data(), key_pem.size());
  if (!key)
    return std::move(key).error();
  auto certificate = SAPHAN_TRY(parse_certificate_pem(cert_pem, cert_path));
  if (X509_check_private_key(certificate.get(), key->get()) != 1) {
    return openssl_failure(errc::invalid_argument, key_path + ": does not match " + cert_path);
  }
  if (X509_check_ca(certificate.get()) == 0) {
    return invalid(cert_path + ": not a CA certificate");
  }
  return signing_ca{std::move(certificate), std::move(*key)};
}

result<pkey_ptr> generate_key() {
  pkey_ptr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key)
    return openssl_failure(errc::internal, "generating a P-256 key");
  return key;
}

result<x509_ptr> start_certificate(EVP_PKEY* subject_key, int validity_days) {
  x509_ptr certificate(X509_new());
  if (!certificate || X509_set_version(certificate.get(), X509_VERSION_3) != 1) {
    return openssl_failure(errc::internal, "creating a certificate");
  }
  SAPHAN_TRY_VOID(set_random_serial(certificate.get()));
  if (X509_gmtime_adj(X509_getm_notBefore(certificate.get()), -clock_skew_seconds) == nullptr ||
      X509_time_adj_ex(X509_getm_notAfter(certificate.get()), validity_days, 0, nullptr) ==
          nullptr ||
      X509_set_pubkey(certificate.get(), subject_key) != 1) {
    return openssl_failure(errc::internal, "setting validity and public key");
  }
  return certificate;
}

result<void> check_within_ca(X509* certificate, const signing_ca& ca, int validity_days) {
  if (ASN1_TIME_compare(X509_get0_notAfter(certificate), X509_get0_notAfter(ca.certificate.get())) >
      0) {
    return invalid("validity_days: " + std::to_string(validity_days) +
                   " days would outlive the CA certificate");
  }
  return ok();
}

result<x509_ptr> start_named_certificate(const signing_ca& ca, EVP_PKEY* key,
                                         std::string_view common_name, int validity_days) {
  auto certificate = start_certificate(key, validity_days);
  if (!certificate)
    return certificate;
  X509* cert = certificate->get();
  SAPHAN_TRY_VOID(check_within_ca(cert, ca, validity_days));
  SAPHAN_TRY_VOID(add_name_entry(X509_get_subject_name(cert), "CN", common_name));
  if (X509_set_issuer_name(cert, X509_get_subject_name(ca.certificate.get())) != 1)
    return openssl_failure(errc::internal, "setting the issuer name");
  return certificate;
}

result<void> add_name_entry(X509_NAME* name, const char* field, std::string_view value) {
  if (X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(value.data()),
                                 static_cast<int>(value.size()), -1, 0) != 1) {
    return openssl_failure(errc::internal, "setting subject " + std::string(field));
  }
  return ok();
}

result<void> add_extension(X509* certificate, X509V3_CTX* context, int nid, const char* value) {
  extension_ptr extension(X509V3_EXT_conf_nid(nullptr, context, nid, value));
  if (!extension || X509_add_ext(certificate, extension.get(), -1) != 1) {
    return openssl_failure(errc::internal, std::string("adding extension ") + OBJ_nid2sn(nid));
  }
  return ok();
}

result<void> push_general_name(GENERAL_NAMES* names, int type, ASN1_STRING* value) {
  GENERAL_NAME* name = GENERAL_NAME_new();
  if (name == nullptr) {
    ASN1_STRING_free(value);
    return openssl_failure(errc::internal, "allocating a subjectAltName entry");
  }
  GENERAL_NAME_set0_value(name, type, value);
  if (sk_GENERAL_NAME_push(names, name) <= 0) {
    GENERAL_NAME_free(name);
    return openssl_failure(errc::internal, "adding a subjectAltName entry");
  }
  return ok();
}

result<void> push_ia5(GENERAL_NAMES* names, int type, std::string_view text) {
  ASN1_IA5STRING* value = ASN1_IA5STRING_new();
  if (value == nullptr || ASN1_STRING_set(value, text.data(), static_cast<int>(text.size())) != 1) {
    ASN1_IA5STRING_free(value);
    return openssl_failure(errc::internal, "encoding a subjectAltName entry");
  }
  return push_general_name(names, type, value);
}

result<void> name_for_member(X509* certificate, const signing_ca& ca, const member_id& member,
                             std::string_view suffix) {
  const std::string common_name =
      (member.code + "/" + member.subsystem + std::string(suffix)).substr(0, max_common_name_bytes);
  X509_NAME* subject = X509_get_subject_name(certificate);
  SAPHAN_TRY_VOID(add_name_entry(subject, "O", member.code));
  SAPHAN_TRY_VOID(add_name_entry(subject, "CN", common_name));
  if (X509_set_issuer_name(certificate, X509_get_subject_name(ca.certificate.get())) != 1)
    return openssl_failure(errc::internal, "setting the issuer name");
  return ok();
}

result<void> add_end_entity_extensions(X509* certificate, const signing_ca& ca,
                                       const char* extended_key_usage) {
  X509V3_CTX context;
  X509V3_set_ctx(&context, ca.certificate.get(), certificate, nullptr, nullptr, 0);
  SAPHAN_TRY_VOID(add_extension(certificate, &context, NID_basic_constraints, "critical,CA:FALSE"));
  SAPHAN_TRY_VOID(add_extension(certificate, &context, NID_key_usage, "critical,digitalSignature"));
  if (extended_key_usage != nullptr)
    SAPHAN_TRY_VOID(add_extension(certificate, &context, NID_ext_key_usage, extended_key_usage));
  SAPHAN_TRY_VOID(add_extension(certificate, &context, NID_subject_key_identifier, "hash"));
  SAPHAN_TRY_VOID(
      add_extension(certificate, &context, NID_authority_key_identifier, "keyid:always"));
  return ok();
}

result<void> sign_certificate(X509* certificate, EVP_PKEY* issuer_key) {
  if (X509_sign(certificate, issuer_key, EVP_sha256()) <= 0) {
    return openssl_failure(errc::internal, "signing the certificate");
  }
  return ok();
}

result<std::string> write_key_and_certificate(const std::string& key_path, EVP_PKEY* key,
                                              const std::string& certificate_path,
                                              X509* certificate) {
  auto pem = SAPHAN_TRY(encode_certificate_pem(certificate));
  auto fingerprint = SAPHAN_TRY(certificate_fingerprint(certificate));
  bool key_existed = path_exists(key_path);
  SAPHAN_TRY_VOID(write_private_key(key_path, key));
  auto written = write_file_atomic(certificate_path, pem, 0644);
  if (!written) {
    if (!key_existed)
      ::unlink(key_path.c_str());
    return std::move(written).error();
  }
  return fingerprint;
}

result<issued_certificate> issue_from_ca(const std::string& ca_dir, const std::string& out_prefix,
                                         bool overwrite, const certificate_builder& build) {
  issued_certificate out{out_prefix + ".key", out_prefix + ".crt", {}};
  SAPHAN_TRY_VOID(refuse_existing(out.key_path, out.certificate_path, overwrite));
  auto ca = SAPHAN_TRY(load_ca(ca_dir));
  auto key = SAPHAN_TRY(generate_key());
  auto certificate = SAPHAN_TRY(build(ca, key.get()));
  auto fingerprint =
      write_key_and_certificate(out.key_path, key.get(), out.certificate_path, certificate.get());
  if (!fingerprint)
    return std::move(fingerprint).error();
  out.fingerprint = std::move(*fingerprint);
  SAPHAN_TRY_VOID(record_issued(ca_dir, certificate.get()));
  return out;
}

}  // namespace saphan::pki::detail
