// Certificates for members' Ed25519 signing keys (RFC 8410). The member makes its key and keeps
// the secret half; the CA certifies the public half, so a verifier can take a signer's key from a
// certificate that chains to the CA it pins, never from a key another party hands it.
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "core/files.hpp"
#include "pki/issuing.hpp"
#include "pki/pki.hpp"

namespace saphan::pki {
namespace {

using namespace detail;

result<pkey_ptr> ed25519_public_key(std::string_view raw) {
  if (raw.size() != ed25519_public_key_bytes) {
    return make_error(errc::invalid_argument, "signing key: must be 32 bytes (Ed25519)");
  }
  pkey_ptr key(EVP_PKEY_new_raw_public_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(raw.data()), raw.size()));
  if (!key)
    return openssl_failure(errc::invalid_argument, "signing key: not an Ed25519 public key");
  return key;
}

result<x509_ptr> build_signing_certificate(const signing_ca& ca, EVP_PKEY* key,
                                           const member_id& member, int validity_days) {
  auto certificate = SAPHAN_TRY(start_certificate(key, validity_days));
  X509* cert = certificate.get();
  SAPHAN_TRY_VOID(check_within_ca(cert, ca, validity_days));
  SAPHAN_TRY_VOID(name_for_member(cert, ca, member, " signing"));
  // Signatures only: no extendedKeyUsage, so no TLS stack accepts it for a handshake.
  SAPHAN_TRY_VOID(add_end_entity_extensions(cert, ca, nullptr));
  general_names_ptr names(sk_GENERAL_NAME_new_null());
  if (!names)
    return openssl_failure(errc::internal, "allocating subjectAltName");
  SAPHAN_TRY_VOID(push_ia5(names.get(), GEN_URI, member_uri(member)));
  if (X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT) != 1)
    return openssl_failure(errc::internal, "adding subjectAltName");
  SAPHAN_TRY_VOID(sign_certificate(cert, ca.key.get()));
  return certificate;
}

}  // namespace

result<issued_certificate> issue_signing_certificate(const std::string& ca_dir,
                                                     const member_id& member,
                                                     std::string_view public_key,
                                                     const std::string& out_path, int validity_days,
                                                     bool overwrite) {
  ERR_clear_error();
  SAPHAN_TRY_VOID(validate(member));
  SAPHAN_TRY_VOID(check_validity_days(validity_days, max_certificate_validity_days));
  if (out_path.empty())
    return make_error(errc::invalid_argument, "out: must not be empty");
  if (!overwrite && path_exists(out_path))
    return make_error(errc::already_exists, out_path + ": exists (use --force to replace it)");
  auto key = SAPHAN_TRY(ed25519_public_key(public_key));
  auto ca = SAPHAN_TRY(load_ca(ca_dir));
  auto certificate = SAPHAN_TRY(build_signing_certificate(ca, key.get(), member, validity_days));
  auto pem = SAPHAN_TRY(encode_certificate_pem(certificate.get()));
  auto fingerprint = SAPHAN_TRY(certificate_fingerprint(certificate.get()));
  SAPHAN_TRY_VOID(write_file_atomic(out_path, pem, 0644));
  SAPHAN_TRY_VOID(record_issued(ca_dir, certificate.get()));
  return issued_certificate{{}, out_path, std::move(fingerprint)};
}

}  // namespace saphan::pki
