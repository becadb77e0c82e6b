#include "pki/member_signature.hpp"

#include <openssl/err.h>
#include <openssl/x509.h>

#include "core/files.hpp"
#include "crypto/jws.hpp"
#include "pki/openssl_util.hpp"
#include "pki/pki.hpp"

namespace saphan::pki {
namespace {

result<std::string> der_of(X509* certificate) {
  unsigned char* der = nullptr;
  const int length = i2d_X509(certificate, &der);
  if (length <= 0)
    return detail::openssl_failure(errc::internal, "encoding a certificate");
  std::string out(reinterpret_cast<const char*>(der), static_cast<std::size_t>(length));
  OPENSSL_free(der);
  return out;
}

result<std::string> raw_public_key(X509* certificate, const std::string& where) {
  EVP_PKEY* key = X509_get0_pubkey(certificate);
  std::string raw(ed25519_public_key_bytes, '\0');
  std::size_t length = raw.size();
  if (key == nullptr || EVP_PKEY_get_id(key) != EVP_PKEY_ED25519 ||
      EVP_PKEY_get_raw_public_key(key, reinterpret_cast<unsigned char*>(raw.data()), &length) !=
          1) {
    ERR_clear_error();
    return make_error(errc::invalid_argument, where + ": not an Ed25519 signing certificate");
  }
  return raw;
}

}  // namespace

result<member_signer> member_signer::load(const std::string& key_path,
                                          const std::string& certificate_path) {
  auto key = SAPHAN_TRY(crypto::read_signing_key_file(key_path));
  auto pem = SAPHAN_TRY(read_file(certificate_path, max_pem_bytes));
  auto certificate = SAPHAN_TRY(detail::parse_certificate_pem(pem, certificate_path));
  auto certified = SAPHAN_TRY(raw_public_key(certificate.get(), certificate_path));
  if (certified != key.keys.public_key.view()) {
    return make_error(errc::invalid_argument,
                      certificate_path + " does not certify the key in " + key_path);
  }
  auto der = SAPHAN_TRY(der_of(certificate.get()));
  auto header = SAPHAN_TRY(crypto::encode_jws_header(key.kid, {}, {der}));
  std::string kid = key.kid;
  std::string header_der = der;
  return member_signer{std::move(key), std::move(der), std::move(header), std::move(kid),
                       std::move(header_der)};
}

result<std::string> member_signer::sign(std::string_view payload,
                                        const crypto::header_members& extra) const {
  if (extra.empty() && !encoded_header.empty() && header_kid == key.kid &&
      header_der == certificate_der) {
    return crypto::sign_with_header(encoded_header, payload, key.keys.secret_key);
  }
  return crypto::sign_detached(payload, key.keys.secret_key, key.kid, extra, {certificate_der});
}

reloadable_signer::reloadable_signer(std::string key_path, std::string certificate_path,
                                     std::shared_ptr<const member_signer> first)
    : key_path_(std::move(key_path)),
      certificate_path_(std::move(certificate_path)),
      current_(std::move(first)) {}

result<std::shared_ptr<reloadable_signer>> reloadable_signer::load(
    const std::string& key_path, const std::string& certificate_path) {
  auto first = SAPHAN_TRY(member_signer::load(key_path, certificate_path));
  return std::shared_ptr<reloadable_signer>(new reloadable_signer(
      key_path, certificate_path, std::make_shared<const member_signer>(std::move(first))));
}

std::shared_ptr<reloadable_signer> reloadable_signer::of(member_signer signer) {
  return std::shared_ptr<reloadable_signer>(
      new reloadable_signer({}, {}, std::make_shared<const member_signer>(std::move(signer))));
}

std::shared_ptr<const member_signer> reloadable_signer::current() const {
  std::lock_guard lock(mutex_);
  return current_;
}

result<void> reloadable_signer::reload() {
  if (key_path_.empty())
    return make_error(errc::invalid_argument, "a signer made in memory has no files to reload");
  auto next = SAPHAN_TRY(member_signer::load(key_path_, certificate_path_));
  auto shared = std::make_shared<const member_signer>(std::move(next));
  std::lock_guard lock(mutex_);
  current_ = std::move(shared);
  return ok();
}

result<verified_signature> verify_member_signature(std::string_view jws, std::string_view payload,
                                                   const member_id& expected, timestamp at,
                                                   const trust_store& trust) {
  auto split = SAPHAN_TRY(crypto::split_detached_jws(jws));
  auto signer = SAPHAN_TRY(trust.verify_header_signer(split.encoded_header, expected, at));
  auto key = SAPHAN_TRY(crypto::ed25519_public_key::from_bytes(signer.signer.public_key));
  SAPHAN_TRY_VOID(crypto::verify_split(split, payload, key));
  return verified_signature{std::move(signer.signer), std::move(signer.kid)};
}

}  // namespace saphan::pki
