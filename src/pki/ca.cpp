// The certificate authority: creating it and issuing member certificates.
#include <openssl/err.h>
#include <openssl/rand.h>

#include <filesystem>
#include <system_error>

#include "pki/issuing.hpp"
#include "pki/openssl_util.hpp"
#include "pki/pki.hpp"

namespace saphan::pki {
namespace {

using namespace detail;
namespace fs = std::filesystem;

error invalid(std::string detail) {
  return make_error(errc::invalid_argument, std::move(detail));
}

// ---- input checks (pure) -----------------------------------------------------------------

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

// ---- building certificates -------------------------------------------------------------------

// The member URI first when there is a member (a web server's certificate names none).
result<general_names_ptr> build_alt_names(const member_id* member, const issue_options& options) {
  general_names_ptr names(sk_GENERAL_NAME_new_null());
  if (!names)
    return openssl_failure(errc::internal, "allocating subjectAltName");
  if (member != nullptr)
    SAPHAN_TRY_VOID(push_ia5(names.get(), GEN_URI, member_uri(*member)));
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

result<void> add_alt_names(X509* cert, const member_id* member, const issue_options& options) {
  auto names = SAPHAN_TRY(build_alt_names(member, options));
  if (X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT) != 1) {
    return openssl_failure(errc::internal, "adding subjectAltName");
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

result<x509_ptr> build_member_certificate(const signing_ca& ca, EVP_PKEY* key,
                                          const member_id& member, int validity_days,
                                          const issue_options& options) {
  auto certificate = start_certificate(key, validity_days);
  if (!certificate)
    return certificate;
  X509* cert = certificate->get();
  SAPHAN_TRY_VOID(check_within_ca(cert, ca, validity_days));
  SAPHAN_TRY_VOID(name_for_member(cert, ca, member, ""));
  SAPHAN_TRY_VOID(add_end_entity_extensions(cert, ca, "serverAuth,clientAuth"));
  SAPHAN_TRY_VOID(add_alt_names(cert, &member, options));
  SAPHAN_TRY_VOID(sign_certificate(cert, ca.key.get()));
  return certificate;
}

// A people-facing HTTPS server's certificate: serverAuth only, no member URI (browsers and the
// OpenID provider's clients check the host names, not a member).
result<x509_ptr> build_web_certificate(const signing_ca& ca, EVP_PKEY* key,
                                       const std::string& common_name, int validity_days,
                                       const issue_options& options) {
  auto certificate = start_named_certificate(ca, key, common_name, validity_days);
  if (!certificate)
    return certificate;
  X509* cert = certificate->get();
  SAPHAN_TRY_VOID(add_end_entity_extensions(cert, ca, "serverAuth"));
  SAPHAN_TRY_VOID(add_alt_names(cert, nullptr, options));
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
  auto key = SAPHAN_TRY(generate_key());
  auto certificate = SAPHAN_TRY(build_ca_certificate(key.get(), common_name, validity_days));
  auto fingerprint = SAPHAN_TRY(write_key_and_certificate(
      paths.key_path, key.get(), paths.certificate_path, certificate.get()));
  paths.fingerprint = std::move(fingerprint);
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
  return issue_from_ca(ca_dir, out_prefix, options.overwrite,
                       [&](const signing_ca& ca, EVP_PKEY* key) {
                         return build_member_certificate(ca, key, member, validity_days, options);
                       });
}

result<issued_certificate> issue_web_certificate(const std::string& ca_dir,
                                                 const std::string& common_name,
                                                 const std::string& out_prefix, int validity_days,
                                                 const issue_options& options) {
  ERR_clear_error();
  SAPHAN_TRY_VOID(check_common_name(common_name));
  SAPHAN_TRY_VOID(check_validity_days(validity_days, max_certificate_validity_days));
  SAPHAN_TRY_VOID(check_issue_options(options));
  if (options.dns_names.empty() && options.ip_addresses.empty())
    return invalid("alt names: a web certificate names at least one host");
  if (out_prefix.empty())
    return invalid("out_prefix: must not be empty");
  return issue_from_ca(ca_dir, out_prefix, options.overwrite,
                       [&](const signing_ca& ca, EVP_PKEY* key) {
                         return build_web_certificate(ca, key, common_name, validity_days, options);
                       });
}

}  // namespace saphan::pki
