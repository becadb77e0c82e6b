// The certificate authority: creating it and issuing member certificates.
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
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

// notBefore is set this far in the past so that a peer whose clock runs a little behind does
// not reject a certificate issued a moment ago.
constexpr long clock_skew_seconds = 300;
constexpr int serial_bits = 128;

error invalid(std::string detail) {
  return make_error(errc::invalid_argument, std::move(detail));
}

// ---- input checks (pure) -----------------------------------------------------------------

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

// Host names as RFC 1123 letters-digits-hyphens labels; no wildcards (a member certificate names
// exact hosts).
result<void> check_dns_name(std::string_view name) {
  std::string where = "dns name '" + std::string(name.substr(0, 64)) + "'";
  if (name.empty() || name.size() > max_dns_name_bytes) {
    return invalid(where + ": length must be 1.." + std::to_string(max_dns_name_bytes));
  }
  std::size_t label = 0;
  for (std::size_t i = 0; i <= name.size(); ++i) {
    if (i == name.size() || name[i] == '.') {
      if (label == 0 || label > 63)
        return invalid(where + ": each label must have 1..63 characters");
      if (name[i - 1] == '-' || name[i - label] == '-') {
        return invalid(where + ": a label may not start or end with '-'");
      }
      label = 0;
      continue;
    }
    char c = name[i];
    bool allowed =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
    if (!allowed)
      return invalid(where + ": only letters, digits, '-' and '.' are allowed");
    ++label;
  }
  return ok();
}

result<void> check_issue_options(const issue_options& options) {
  if (options.dns_names.size() > max_alt_names || options.ip_addresses.size() > max_alt_names) {
    return invalid("alt names: at most " + std::to_string(max_alt_names) +
                   " DNS names and as many IP addresses");
  }
  for (const auto& name : options.dns_names)
    SAPHAN_TRY_VOID(check_dns_name(name));
  return ok();
}

// ---- files ---------------------------------------------------------------------------------

bool path_exists(const std::string& path) {
  std::error_code ec;
  return fs::symlink_status(path, ec).type() != fs::file_type::not_found;
}

result<void> ensure_private_directory(const std::string& dir) {
  std::error_code ec;
  if (fs::is_directory(dir, ec))
    return ok();
  if (path_exists(dir))
    return make_error(errc::io_error, dir + ": exists and is not a directory");
  if (!fs::create_directories(dir, ec) || ec) {
    return make_error(errc::io_error, dir + ": cannot create directory: " + ec.message());
  }
  fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
  if (ec)
    return make_error(errc::io_error, dir + ": cannot set mode 0700: " + ec.message());
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

// Writes key then certificate; if the certificate fails, a key this call created is removed.
result<void> write_key_and_certificate(const std::string& key_path, EVP_PKEY* key,
                                       const std::string& certificate_path,
                                       const std::string& certificate_pem) {
  bool key_existed = path_exists(key_path);
  SAPHAN_TRY_VOID(write_private_key(key_path, key));
  auto written = write_file_atomic(certificate_path, certificate_pem, 0644);
  if (!written) {
    if (!key_existed)
      ::unlink(key_path.c_str());
    return std::move(written).error();
  }
  return ok();
}

// ---- building certificates -------------------------------------------------------------------

result<pkey_ptr> generate_key() {
  pkey_ptr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key)
    return openssl_failure(errc::internal, "generating a P-256 key");
  return key;
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

result<void> add_name_entry(X509_NAME* name, const char* field, std::string_view value) {
  if (X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(value.data()),
                                 static_cast<int>(value.size()), -1, 0) != 1) {
    return openssl_failure(errc::internal, "setting subject " + std::string(field));
  }
  return ok();
}

// For the fixed extensions only: the values are constants, so OpenSSL's config syntax cannot be
// injected into. Caller-supplied names go through build_alt_names instead.
result<void> add_extension(X509* certificate, X509V3_CTX* context, int nid, const char* value) {
  extension_ptr extension(X509V3_EXT_conf_nid(nullptr, context, nid, value));
  if (!extension || X509_add_ext(certificate, extension.get(), -1) != 1) {
    return openssl_failure(errc::internal, std::string("adding extension ") + OBJ_nid2sn(nid));
  }
  return ok();
}

// Takes ownership of `value` whatever happens.
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

result<general_names_ptr> build_alt_names(const member_id& member, const issue_options& options) {
  general_names_ptr names(sk_GENERAL_NAME_new_null());
  if (!names)
    return openssl_failure(errc::internal, "allocating subjectAltName");
  SAPHAN_TRY_VOID(push_ia5(names.get(), GEN_URI, member_uri(member)));
  for (const auto& dns : options.dns_names)
    SAPHAN_TRY_VOID(push_ia5(names.get(), GEN_DNS, dns));
  for (const auto& ip : options.ip_addresses) {
    ASN1_OCTET_STRING* address = a2i_IPADDRESS(ip.c_str());
    if (address == nullptr) {
      ERR_clear_error();
      return invalid("ip address '" + ip.substr(0, 64) + "': not an IPv4 or IPv6 address");
    }
    SAPHAN_TRY_VOID(push_general_name(names.get(), GEN_IPADD, address));
  }
  return names;
}

result<void> sign_certificate(X509* certificate, EVP_PKEY* issuer_key) {
  if (X509_sign(certificate, issuer_key, EVP_sha256()) <= 0) {
    return openssl_failure(errc::internal, "signing the certificate");
  }
  return ok();
}

result<x509_ptr> build_ca_certificate(EVP_PKEY* key, const std::string& common_name,
                                      int validity_days) {
  auto certificate = start_certificate(key, validity_days);
  if (!certificate)
    return certificate;
  X509* cert = certificate->get();
  SAPHAN_TRY_VOID(add_name_entry(X509_get_subject_name(cert), "CN", common_name));
  if (X509_set_issuer_name(cert, X509_get_subject_name(cert)) != 1) {
    return openssl_failure(errc::internal, "setting the issuer name");
  }
  X509V3_CTX context;
  X509V3_set_ctx(&context, cert, cert, nullptr, nullptr, 0);
  SAPHAN_TRY_VOID(add_extension(cert, &context, NID_basic_constraints, "critical,CA:TRUE"));
  SAPHAN_TRY_VOID(add_extension(cert, &context, NID_key_usage, "critical,keyCertSign,cRLSign"));
  SAPHAN_TRY_VOID(add_extension(cert, &context, NID_subject_key_identifier, "hash"));
  SAPHAN_TRY_VOID(sign_certificate(cert, key));
  return certificate;
}

struct loaded_ca {
  x509_ptr certificate;
  pkey_ptr key;
};

result<std::string> read_ca_file(const std::string& path) {
  if (!path_exists(path))
    return make_error(errc::not_found, path + ": no CA file here");
  return read_file(path, max_pem_bytes);
}

result<loaded_ca> load_ca(const std::string& ca_dir) {
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
  if (X509_check_private_key(certificate->get(), key->get()) != 1) {
    return openssl_failure(errc::invalid_argument, key_path + ": does not match " + cert_path);
  }
  if (X509_check_ca(certificate->get()) == 0) {
    return invalid(cert_path + ": not a CA certificate");
  }
  return loaded_ca{std::move(*certificate), std::move(*key)};
}

result<x509_ptr> build_member_certificate(const loaded_ca& ca, EVP_PKEY* key,
                                          const member_id& member, int validity_days,
                                          const issue_options& options) {
  auto certificate = start_certificate(key, validity_days);
  if (!certificate)
    return certificate;
  X509* cert = certificate->get();
  if (ASN1_TIME_compare(X509_get0_notAfter(cert), X509_get0_notAfter(ca.certificate.get())) > 0) {
    return invalid("validity_days: " + std::to_string(validity_days) +
                   " days would outlive the CA certificate");
  }
  // CN is informational and bounded by X.520 to 64 characters; the identity is the SAN URI.
  std::string common_name = (member.code + "/" + member.subsystem).substr(0, max_common_name_bytes);
  X509_NAME* subject = X509_get_subject_name(cert);
  SAPHAN_TRY_VOID(add_name_entry(subject, "O", member.code));
  SAPHAN_TRY_VOID(add_name_entry(subject, "CN", common_name));
  if (X509_set_issuer_name(cert, X509_get_subject_name(ca.certificate.get())) != 1) {
    return openssl_failure(errc::internal, "setting the issuer name");
  }
  X509V3_CTX context;
  X509V3_set_ctx(&context, ca.certificate.get(), cert, nullptr, nullptr, 0);
  SAPHAN_TRY_VOID(add_extension(cert, &context, NID_basic_constraints, "critical,CA:FALSE"));
  SAPHAN_TRY_VOID(add_extension(cert, &context, NID_key_usage, "critical,digitalSignature"));
  SAPHAN_TRY_VOID(add_extension(cert, &context, NID_ext_key_usage, "serverAuth,clientAuth"));
  SAPHAN_TRY_VOID(add_extension(cert, &context, NID_subject_key_identifier, "hash"));
  SAPHAN_TRY_VOID(add_extension(cert, &context, NID_authority_key_identifier, "keyid:always"));
  auto names = build_alt_names(member, options);
  if (!names)
    return std::move(names).error();
  if (X509_add1_ext_i2d(cert, NID_subject_alt_name, names->get(), 0, X509V3_ADD_DEFAULT) != 1) {
    return openssl_failure(errc::internal, "adding subjectAltName");
  }
  SAPHAN_TRY_VOID(sign_certificate(cert, ca.key.get()));
  return certificate;
}

}  // namespace

result<ca_paths> create_ca(const std::string& dir, const std::string& common_name,
                           int validity_days) {
  ERR_clear_error();
  SAPHAN_TRY_VOID(check_common_name(common_name));
  SAPHAN_TRY_VOID(check_validity_days(validity_days, max_ca_validity_days));
  if (dir.empty())
    return invalid("dir: must not be empty");
  ca_paths paths{
      (fs::path(dir) / ca_key_file).string(), (fs::path(dir) / ca_certificate_file).string(), {}};
  // Replacing a CA would orphan every certificate it issued: refuse, and check before any work.
  for (const auto* path : {&paths.key_path, &paths.certificate_path}) {
    if (path_exists(*path))
      return make_error(errc::already_exists, *path + ": a CA exists here");
  }
  SAPHAN_TRY_VOID(ensure_private_directory(dir));
  auto key = generate_key();
  if (!key)
    return std::move(key).error();
  auto certificate = build_ca_certificate(key->get(), common_name, validity_days);
  if (!certificate)
    return std::move(certificate).error();
  auto pem = encode_certificate_pem(certificate->get());
  if (!pem)
    return std::move(pem).error();
  auto fingerprint = certificate_fingerprint(certificate->get());
  if (!fingerprint)
    return std::move(fingerprint).error();
  SAPHAN_TRY_VOID(
      write_key_and_certificate(paths.key_path, key->get(), paths.certificate_path, *pem));
  paths.fingerprint = std::move(*fingerprint);
  return paths;
}

result<issued_certificate> issue_certificate(const std::string& ca_dir, const member_id& member,
                                             const std::string& out_prefix, int validity_days,
                                             const issue_options& options) {
  ERR_clear_error();
  SAPHAN_TRY_VOID(validate(member));
  SAPHAN_TRY_VOID(check_validity_days(validity_days, max_certificate_validity_days));
  SAPHAN_TRY_VOID(check_issue_options(options));
  if (out_prefix.empty())
    return invalid("out_prefix: must not be empty");
  issued_certificate out{out_prefix + ".key", out_prefix + ".crt", {}};
  if (!options.overwrite) {
    for (const auto* path : {&out.key_path, &out.certificate_path}) {
      if (path_exists(*path)) {
        return make_error(errc::already_exists, *path + ": exists (overwrite not requested)");
      }
    }
  }
  auto ca = load_ca(ca_dir);
  if (!ca)
    return std::move(ca).error();
  auto key = generate_key();
  if (!key)
    return std::move(key).error();
  auto certificate = build_member_certificate(*ca, key->get(), member, validity_days, options);
  if (!certificate)
    return std::move(certificate).error();
  auto pem = encode_certificate_pem(certificate->get());
  if (!pem)
    return std::move(pem).error();
  auto fingerprint = certificate_fingerprint(certificate->get());
  if (!fingerprint)
    return std::move(fingerprint).error();
  SAPHAN_TRY_VOID(write_key_and_certificate(out.key_path, key->get(), out.certificate_path, *pem));
  out.fingerprint = std::move(*fingerprint);
  return out;
}

}  // namespace saphan::pki
