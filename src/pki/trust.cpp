#include "pki/trust.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <ctime>

#include "core/files.hpp"
#include "core/log.hpp"
#include "crypto/jws.hpp"
#include "pki/openssl_util.hpp"
#include "pki/pki.hpp"

namespace saphan::pki {
namespace {

using detail::openssl_failure;
using detail::x509_ptr;

using crl_ptr = std::unique_ptr<X509_CRL, detail::openssl_deleter<X509_CRL_free>>;
using store_ptr = std::unique_ptr<X509_STORE, detail::openssl_deleter<X509_STORE_free>>;
using store_ctx_ptr = std::unique_ptr<X509_STORE_CTX, detail::openssl_deleter<X509_STORE_CTX_free>>;

// Certificates larger than this are not ours; a verifier refuses them before parsing.
constexpr std::size_t max_certificate_der_bytes = 8 * 1024;
// Verified signing certificates kept per store: a national exchange has a few thousand members,
// each with one or two signing certificates at a time.
constexpr std::size_t max_cached_signers = 8192;
// Headers kept per store, by count and by the bytes of their text (a header is at most 8 KiB
// decoded; ours are about 800 characters).
constexpr std::size_t max_cached_headers = 8192;
constexpr std::size_t max_cached_header_bytes = 16u << 20;

error untrusted(std::string_view rule) {
  return make_error(errc::bad_signature, "x5c: " + std::string(rule));
}

std::string hex(const unsigned char* bytes, std::size_t n) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(digits[bytes[i] >> 4]);
    out.push_back(digits[bytes[i] & 0x0f]);
  }
  return out;
}

result<std::string> der_fingerprint(std::string_view der) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(der.data(), der.size(), digest, &length, EVP_sha256(), nullptr) != 1)
    return openssl_failure(errc::internal, "hashing a certificate");
  return hex(digest, length);
}

result<crl_ptr> read_crl(const std::string& path, X509* ca) {
  auto pem = SAPHAN_TRY(read_file(path, 16u << 20));
  detail::bio_ptr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio)
    return openssl_failure(errc::internal, "reading the CRL");
  crl_ptr crl(PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr));
  if (!crl)
    return openssl_failure(errc::invalid_argument,
                           path + ": not a PEM certificate revocation list");
  if (X509_CRL_verify(crl.get(), X509_get0_pubkey(ca)) != 1)
    return openssl_failure(errc::invalid_argument, path + ": not signed by the pinned CA");
  return crl;
}

// What a signing certificate must be beyond its chain: an Ed25519 key for signatures only.
result<std::string> signing_key_of(X509* certificate) {
  EVP_PKEY* key = X509_get0_pubkey(certificate);
  if (key == nullptr || EVP_PKEY_get_id(key) != EVP_PKEY_ED25519)
    return untrusted("not an Ed25519 signing certificate");
  if (X509_check_ca(certificate) != 0)
    return untrusted("a CA certificate cannot sign messages");
  if ((X509_get_key_usage(certificate) & KU_DIGITAL_SIGNATURE) == 0)
    return untrusted("keyUsage does not allow digitalSignature");
  std::string raw(32, '\0');
  std::size_t length = raw.size();
  if (EVP_PKEY_get_raw_public_key(key, reinterpret_cast<unsigned char*>(raw.data()), &length) !=
          1 ||
      length != raw.size()) {
    return openssl_failure(errc::bad_signature, "x5c: unreadable Ed25519 key");
  }
  return raw;
}

// The checks of a certified key that depend on the use: the time of signing and the member the
// verifier expects.
result<void> check_signer_use(const certified_key& known, const member_id& expected, timestamp at) {
  if (at < known.not_before || at > known.not_after) {
    return untrusted("the certificate is not valid at " + format_rfc3339(at) + " (valid " +
                     format_rfc3339(known.not_before) + " to " + format_rfc3339(known.not_after) +
                     ")");
  }
  if (known.member != expected) {
    return make_error(
        errc::certificate_mismatch,
        "x5c: the certificate names " + to_string(known.member) + ", not " + to_string(expected));
  }
  return ok();
}

}  // namespace

struct trust_store::state {
  x509_ptr ca;
  crl_ptr crl;
  store_ptr store;
  mutable std::mutex mutex;
  mutable std::map<std::string, certified_key, std::less<>> signers;  // by fingerprint
  mutable std::map<std::string, header_signer, std::less<>> headers;  // by encoded header text
  mutable std::size_t header_bytes = 0;

  // The chain, checked at `at` against the CA and the CRL.
  result<void> verify_chain(X509* certificate, timestamp at) const {
    store_ctx_ptr context(X509_STORE_CTX_new());
    if (!context || X509_STORE_CTX_init(context.get(), store.get(), certificate, nullptr) != 1)
      return openssl_failure(errc::internal, "starting a certificate verification");
    X509_VERIFY_PARAM_set_time(
        X509_STORE_CTX_get0_param(context.get()),
        static_cast<time_t>(
            std::chrono::floor<std::chrono::seconds>(at).time_since_epoch().count()));
    if (X509_verify_cert(context.get()) == 1)
      return ok();
    const int code = X509_STORE_CTX_get_error(context.get());
    ERR_clear_error();
    if (code == X509_V_ERR_CERT_REVOKED)
      return make_error(errc::certificate_revoked, "x5c: the certificate is revoked");
    return untrusted(std::string("does not verify against the pinned CA: ") +
                     X509_verify_cert_error_string(code));
  }

  result<certified_key> certify(std::string_view der, std::string fingerprint, timestamp at) const {
    const auto* bytes = reinterpret_cast<const unsigned char*>(der.data());
    x509_ptr certificate(d2i_X509(nullptr, &bytes, static_cast<long>(der.size())));
    if (!certificate || bytes != reinterpret_cast<const unsigned char*>(der.data()) + der.size()) {
      ERR_clear_error();
      return untrusted("not one DER certificate");
    }
    SAPHAN_TRY_VOID(verify_chain(certificate.get(), at));
    certified_key key;
    key.public_key = SAPHAN_TRY(signing_key_of(certificate.get()));
    auto member = member_from_certificate(certificate.get());
    if (!member)
      return untrusted(member.error().detail);
    key.member = std::move(*member);
    key.not_before = SAPHAN_TRY(detail::time_of(X509_get0_notBefore(certificate.get())));
    key.not_after = SAPHAN_TRY(detail::time_of(X509_get0_notAfter(certificate.get())));
    key.serial = SAPHAN_TRY(detail::serial_hex(X509_get0_serialNumber(certificate.get())));
    key.fingerprint = std::move(fingerprint);
    return key;
  }
};

trust_store::trust_store(std::unique_ptr<state> s, trust_files files)
    : state_(std::move(s)), files_(std::move(files)) {}

trust_store::~trust_store() = default;

result<std::shared_ptr<const trust_store>> trust_store::load(const trust_files& files) {
  ERR_clear_error();
  auto s = std::make_unique<state>();
  auto pem = SAPHAN_TRY(read_file(files.ca_certificate_path, max_pem_bytes));
  s->ca = SAPHAN_TRY(detail::parse_certificate_pem(pem, files.ca_certificate_path));
  if (X509_check_ca(s->ca.get()) == 0)
    return make_error(errc::invalid_argument, files.ca_certificate_path + ": not a CA certificate");
  s->store.reset(X509_STORE_new());
  if (!s->store || X509_STORE_add_cert(s->store.get(), s->ca.get()) != 1)
    return openssl_failure(errc::internal, "building the trust store");
  if (!files.crl_path.empty()) {
    s->crl = SAPHAN_TRY(read_crl(files.crl_path, s->ca.get()));
    if (X509_STORE_add_crl(s->store.get(), s->crl.get()) != 1)
      return openssl_failure(errc::internal, "adding the CRL to the trust store");
    X509_STORE_set_flags(s->store.get(), X509_V_FLAG_CRL_CHECK);
  }
  return std::shared_ptr<const trust_store>(new trust_store(std::move(s), files));
}

result<certified_key> trust_store::verify_signer(std::string_view der, const member_id& expected,
                                                 timestamp at) const {
  if (der.empty() || der.size() > max_certificate_der_bytes)
    return untrusted("the certificate must be 1.." + std::to_string(max_certificate_der_bytes) +
                     " bytes");
  auto fingerprint = SAPHAN_TRY(der_fingerprint(der));
  std::optional<certified_key> known;
  {
    std::lock_guard lock(state_->mutex);
    if (auto hit = state_->signers.find(fingerprint); hit != state_->signers.end())
      known = hit->second;
  }
  if (!known) {
    known = SAPHAN_TRY(state_->certify(der, fingerprint, at));
    std::lock_guard lock(state_->mutex);
    if (state_->signers.size() >= max_cached_signers)
      state_->signers.clear();
    state_->signers.emplace(fingerprint, *known);
  }
  SAPHAN_TRY_VOID(check_signer_use(*known, expected, at));
  return std::move(*known);
}

result<header_signer> trust_store::verify_header_signer(std::string_view encoded_header,
                                                        const member_id& expected,
                                                        timestamp at) const {
  std::optional<header_signer> known;
  {
    std::lock_guard lock(state_->mutex);
    if (auto hit = state_->headers.find(encoded_header); hit != state_->headers.end())
      known = hit->second;
  }
  if (known) {
    SAPHAN_TRY_VOID(check_signer_use(known->signer, expected, at));
    return std::move(*known);
  }
  auto header = SAPHAN_TRY(crypto::read_jws_header(encoded_header));
  if (header.x5c.empty())
    return make_error(errc::bad_signature, "jws: no x5c certificate names the signer");
  auto signer = SAPHAN_TRY(verify_signer(header.x5c.front(), expected, at));
  header_signer checked{std::move(signer), std::move(header.kid)};
  std::lock_guard lock(state_->mutex);
  if (state_->headers.size() >= max_cached_headers ||
      state_->header_bytes + encoded_header.size() > max_cached_header_bytes) {
    state_->headers.clear();
    state_->header_bytes = 0;
  }
  if (state_->headers.emplace(std::string(encoded_header), checked).second)
    state_->header_bytes += encoded_header.size();
  return checked;
}

bool trust_store::revoked(X509* certificate) const {
  if (!state_->crl || certificate == nullptr)
    return false;
  X509_REVOKED* entry = nullptr;
  return X509_CRL_get0_by_cert(state_->crl.get(), &entry, certificate) == 1;
}

bool trust_store::revoked_serial(std::string_view serial) const {
  if (!state_->crl)
    return false;
  STACK_OF(X509_REVOKED)* entries = X509_CRL_get_REVOKED(state_->crl.get());
  for (int i = 0; i < sk_X509_REVOKED_num(entries); ++i) {
    auto listed =
        detail::serial_hex(X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(entries, i)));
    if (listed && *listed == serial)
      return true;
  }
  return false;
}

X509* trust_store::ca_certificate() const {
  return state_->ca.get();
}

X509_CRL* trust_store::crl() const {
  return state_->crl.get();
}

result<void> refuse_revoked_peer(SSL* connection, const trust_store& trust) {
  X509* certificate = connection ? SSL_get0_peer_certificate(connection) : nullptr;
  if (certificate != nullptr && trust.revoked(certificate)) {
    auto serial = detail::serial_hex(X509_get0_serialNumber(certificate));
    return make_error(
        errc::certificate_revoked,
        "the peer's TLS certificate " + (serial ? *serial : std::string()) + " is revoked");
  }
  return ok();
}

// ---- reloading ---------------------------------------------------------------------------

trust_anchor::trust_anchor(trust_files files, std::shared_ptr<const trust_store> first)
    : files_(std::move(files)), current_(std::move(first)), loaded_times_(times()) {}

result<std::shared_ptr<trust_anchor>> trust_anchor::open(const trust_files& files) {
  auto first = SAPHAN_TRY(trust_store::load(files));
  return std::shared_ptr<trust_anchor>(new trust_anchor(files, std::move(first)));
}

trust_anchor::file_times trust_anchor::times() const {
  std::error_code ec;
  auto ca = std::filesystem::last_write_time(files_.ca_certificate_path, ec);
  if (ec)
    ca = {};
  std::filesystem::file_time_type crl{};
  if (!files_.crl_path.empty()) {
    crl = std::filesystem::last_write_time(files_.crl_path, ec);
    if (ec)
      crl = {};
  }
  return {ca, crl};
}

std::shared_ptr<const trust_store> trust_anchor::current() const {
  std::lock_guard lock(mutex_);
  return current_;
}

result<bool> trust_anchor::check() {
  const auto now = times();
  {
    std::lock_guard lock(mutex_);
    if (now == loaded_times_)
      return false;
  }
  auto fresh = trust_store::load(files_);
  std::lock_guard lock(mutex_);
  loaded_times_ = now;  // a broken file is reported once, not at every check
  if (!fresh)
    return fresh.error();
  current_ = std::move(*fresh);
  return true;
}

result<void> trust_anchor::reload() {
  const auto now = times();
  auto fresh = SAPHAN_TRY(trust_store::load(files_));
  std::lock_guard lock(mutex_);
  loaded_times_ = now;
  current_ = std::move(fresh);
  return ok();
}

std::unique_ptr<periodic> watch_trust(std::shared_ptr<trust_anchor> anchor,
                                      std::chrono::milliseconds interval) {
  auto watch = std::make_unique<periodic>(interval, [anchor] {
    auto changed = anchor->check();
    const auto& files = anchor->current()->files();
    if (!changed) {
      log_event(log_level::warn, "pki.trust_reload_failed",
                {{"ca", files.ca_certificate_path}, {"detail", changed.error().detail}});
    } else if (*changed) {
      log_event(log_level::info, "pki.trust_reloaded",
                {{"ca", files.ca_certificate_path}, {"crl", files.crl_path}});
    }
  });
  watch->start();
  return watch;
}

}  // namespace saphan::pki
