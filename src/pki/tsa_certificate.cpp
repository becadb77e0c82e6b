// Issuing the certificate of an RFC 3161 time-stamping authority, from the building blocks the
// CA's own certificates use (issuing.hpp).
#include <openssl/err.h>

#include "pki/issuing.hpp"
#include "pki/openssl_util.hpp"
#include "pki/pki.hpp"

namespace saphan::pki {
namespace {

using namespace detail;

result<void> check_tsa_inputs(const std::string& common_name, const std::string& out_prefix,
                              int validity_days) {
  SAPHAN_TRY_VOID(check_common_name(common_name));
  SAPHAN_TRY_VOID(check_validity_days(validity_days, max_tsa_certificate_validity_days));
  if (out_prefix.empty())
    return make_error(errc::invalid_argument, "out_prefix: must not be empty");
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
  auto certificate = start_named_certificate(ca, key, common_name, validity_days);
  if (!certificate)
    return certificate;
  X509* cert = certificate->get();
  SAPHAN_TRY_VOID(add_tsa_extensions(cert, ca.certificate.get()));
  SAPHAN_TRY_VOID(sign_certificate(cert, ca.key.get()));
  return certificate;
}

}  // namespace

result<issued_certificate> issue_tsa_certificate(const std::string& ca_dir,
                                                 const std::string& common_name,
                                                 const std::string& out_prefix, int validity_days,
                                                 bool overwrite) {
  ERR_clear_error();
  SAPHAN_TRY_VOID(check_tsa_inputs(common_name, out_prefix, validity_days));
  return issue_from_ca(ca_dir, out_prefix, overwrite, [&](const signing_ca& ca, EVP_PKEY* key) {
    return build_tsa_certificate(ca, key, common_name, validity_days);
  });
}

}  // namespace saphan::pki
