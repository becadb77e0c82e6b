// Building time-stamp queries and answering them as a TSA (OpenSSL TS_REQ / TS_RESP_CTX).
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include <chrono>

#include "core/files.hpp"
#include "pki/pki.hpp"
#include "tsa/timestamp.hpp"
#include "tsa/ts_handles.hpp"

namespace saphan::tsa {

using namespace detail;

struct tsa_signer::state {
  pki::detail::x509_ptr certificate;
  pki::detail::pkey_ptr key;
  x509_stack_ptr chain;
  asn1_object_ptr policy;
};

namespace {

constexpr std::size_t max_chain_files = 8;
constexpr std::size_t max_policy_oid_bytes = 100;

error invalid(std::string detail) {
  return make_error(errc::invalid_argument, std::move(detail));
}

// ---- queries ---------------------------------------------------------------------------------

result<msg_imprint_ptr> make_imprint(const crypto::sha256_digest& digest) {
  msg_imprint_ptr imprint(TS_MSG_IMPRINT_new());
  algor_ptr algorithm(X509_ALGOR_new());
  // TS_MSG_IMPRINT_set_msg copies from a non-const pointer.
  auto bytes = digest.bytes;
  if (!imprint || !algorithm ||
      X509_ALGOR_set0(algorithm.get(), OBJ_nid2obj(NID_sha256), V_ASN1_NULL, nullptr) != 1 ||
      TS_MSG_IMPRINT_set_algo(imprint.get(), algorithm.get()) != 1 ||
      TS_MSG_IMPRINT_set_msg(imprint.get(), bytes.data(), static_cast<int>(bytes.size())) != 1) {
    return openssl_failure(errc::internal, "building the message imprint");
  }
  return imprint;
}

result<void> set_nonce(TS_REQ* request, std::uint64_t nonce) {
  asn1_integer_ptr value(ASN1_INTEGER_new());
  if (!value || ASN1_INTEGER_set_uint64(value.get(), nonce) != 1 ||
      TS_REQ_set_nonce(request, value.get()) != 1) {
    return openssl_failure(errc::internal, "setting the nonce");
  }
  return ok();
}

// ---- loading the signer ----------------------------------------------------------------------

result<pki::detail::x509_ptr> load_certificate(const std::string& path) {
  auto pem = SAPHAN_TRY(read_file(path, pki::max_pem_bytes));
  return pki::detail::parse_certificate_pem(pem, path);
}

result<pki::detail::pkey_ptr> load_key(const std::string& path) {
  auto pem = SAPHAN_TRY(read_file(path, pki::max_pem_bytes));
  auto key = pki::detail::parse_private_key_pem(pem, path);
  OPENSSL_cleanse(pem.data(), pem.size());
  return key;
}

result<x509_stack_ptr> load_chain(const std::vector<std::string>& paths) {
  if (paths.size() > max_chain_files) {
    return invalid("chain_paths: at most " + std::to_string(max_chain_files) + " files");
  }
  x509_stack_ptr chain(sk_X509_new_null());
  if (!chain)
    return openssl_failure(errc::internal, "allocating the certificate chain");
  for (const auto& path : paths) {
    auto certificate = SAPHAN_TRY(load_certificate(path));
    if (sk_X509_push(chain.get(), certificate.get()) <= 0)
      return openssl_failure(errc::internal, "adding " + path + " to the chain");
    certificate.release();  // the stack owns it now
  }
  return chain;
}

result<asn1_object_ptr> parse_policy(const std::string& oid) {
  std::string rule = "policy_oid: must be a dotted-decimal OID of at most " +
                     std::to_string(max_policy_oid_bytes) + " bytes";
  if (oid.empty() || oid.size() > max_policy_oid_bytes)
    return invalid(rule);
  for (char c : oid) {
    if ((c < '0' || c > '9') && c != '.')
      return invalid(rule + ", got '" + oid + "'");
  }
  // no_name = 1: only the numeric form, so "sha256" can never be taken for a policy.
  asn1_object_ptr policy(OBJ_txt2obj(oid.c_str(), 1));
  if (!policy) {
    ERR_clear_error();
    return invalid(rule + ", got '" + oid + "'");
  }
  return policy;
}

result<void> check_signer_certificate(X509* certificate, EVP_PKEY* key,
                                      const signer_config& config) {
  if (X509_check_private_key(certificate, key) != 1) {
    return openssl_failure(errc::invalid_argument,
                           config.key_path + ": does not match " + config.certificate_path);
  }
  // RFC 3161 2.3; TS_RESP_CTX_set_signer_cert would refuse it later with a vaguer message.
  if (X509_check_purpose(certificate, X509_PURPOSE_TIMESTAMP_SIGN, 0) != 1) {
    ERR_clear_error();
    return invalid(config.certificate_path +
                   ": not a TSA certificate (needs critical extendedKeyUsage timeStamping only, "
                   "keyUsage digitalSignature/nonRepudiation)");
  }
  return ok();
}

// ---- answering -------------------------------------------------------------------------------

// What OpenSSL's C callbacks need; they must not throw across the C frames.
struct callback_data {
  const serial_source* serials = nullptr;
  timestamp now{};
  std::optional<error> failure;
};

ASN1_INTEGER* next_serial(TS_RESP_CTX* /*context*/, void* data) noexcept {
  auto* d = static_cast<callback_data*>(data);
  try {
    auto serial = (*d->serials)();
    if (!serial) {
      d->failure = std::move(serial).error();
      return nullptr;
    }
    pki::detail::bignum_ptr number(
        BN_bin2bn(serial->data(), static_cast<int>(serial->size()), nullptr));
    ASN1_INTEGER* out = number ? BN_to_ASN1_INTEGER(number.get(), nullptr) : nullptr;
    if (out == nullptr)
      d->failure = openssl_failure(errc::internal, "encoding the serial number");
    return out;
  } catch (const std::exception& e) {
    d->failure = make_error(errc::internal, std::string("serial source failed: ") + e.what());
    return nullptr;
  }
}

int current_time(TS_RESP_CTX* /*context*/, void* data, long* seconds, long* microseconds) noexcept {
  const auto* d = static_cast<const callback_data*>(data);
  auto since_epoch = d->now.time_since_epoch();
  auto whole = std::chrono::floor<std::chrono::seconds>(since_epoch);
  *seconds = static_cast<long>(whole.count());
  *microseconds = static_cast<long>((since_epoch - whole).count());
  return 1;
}

result<ts_resp_ctx_ptr> make_response_context(const tsa_signer::state& s, callback_data& data) {
  ts_resp_ctx_ptr context(TS_RESP_CTX_new());
  if (!context || TS_RESP_CTX_set_signer_cert(context.get(), s.certificate.get()) != 1 ||
      TS_RESP_CTX_set_signer_key(context.get(), s.key.get()) != 1 ||
      TS_RESP_CTX_set_signer_digest(context.get(), EVP_sha256()) != 1 ||
      // ESSCertIDv2 over SHA-256 (RFC 5816) rather than OpenSSL's SHA-1 default.
      TS_RESP_CTX_set_ess_cert_id_digest(context.get(), EVP_sha256()) != 1 ||
      TS_RESP_CTX_set_def_policy(context.get(), s.policy.get()) != 1 ||
      TS_RESP_CTX_add_md(context.get(), EVP_sha256()) != 1 ||
      TS_RESP_CTX_set_accuracy(context.get(), 1, 0, 0) != 1 ||
      TS_RESP_CTX_set_clock_precision_digits(context.get(), 0) != 1 ||
      (sk_X509_num(s.chain.get()) > 0 &&
       TS_RESP_CTX_set_certs(context.get(), s.chain.get()) != 1)) {
    return openssl_failure(errc::internal, "setting up the response context");
  }
  // The TSA names itself (its certificate's subject) so verifiers can match name and signer.
  TS_RESP_CTX_add_flags(context.get(), TS_TSA_NAME);
  TS_RESP_CTX_set_serial_cb(context.get(), next_serial, &data);
  TS_RESP_CTX_set_time_cb(context.get(), current_time, &data);
  return context;
}

// True when the bytes are exactly one DER TimeStampReq within the size bound.
bool is_single_request(std::string_view der) {
  if (der.empty() || der.size() > max_request_bytes)
    return false;
  auto request = decode_der_exact<ts_req_ptr>(der, d2i_TS_REQ);
  ERR_clear_error();
  return request != nullptr;
}

}  // namespace

result<std::string> make_request(const crypto::sha256_digest& digest,
                                 std::optional<std::uint64_t> nonce) {
  ERR_clear_error();
  auto imprint = SAPHAN_TRY(make_imprint(digest));
  ts_req_ptr request(TS_REQ_new());
  if (!request || TS_REQ_set_version(request.get(), 1) != 1 ||
      TS_REQ_set_msg_imprint(request.get(), imprint.get()) != 1 ||
      TS_REQ_set_cert_req(request.get(), 1) != 1) {
    return openssl_failure(errc::internal, "building the time-stamp request");
  }
  if (nonce)
    SAPHAN_TRY_VOID(set_nonce(request.get(), *nonce));
  return encode_der(request.get(), i2d_TS_REQ, "the time-stamp request");
}

result<std::uint64_t> random_nonce() {
  unsigned char bytes[8];
  if (RAND_bytes(bytes, sizeof bytes) != 1)
    return openssl_failure(errc::internal, "drawing a nonce");
  std::uint64_t nonce = 0;
  for (unsigned char b : bytes)
    nonce = (nonce << 8) | b;
  return nonce;
}

serial_source random_serials() {
  return []() -> result<serial_number> {
    serial_number serial{};
    if (RAND_bytes(serial.data(), static_cast<int>(serial.size())) != 1)
      return openssl_failure(errc::internal, "drawing a serial number");
    serial[0] |= 0x80;  // never zero, always 128 bits long
    return serial;
  };
}

result<tsa_signer> tsa_signer::create(const signer_config& config) {
  ERR_clear_error();
  auto certificate = SAPHAN_TRY(load_certificate(config.certificate_path));
  auto key = SAPHAN_TRY(load_key(config.key_path));
  SAPHAN_TRY_VOID(check_signer_certificate(certificate.get(), key.get(), config));
  auto chain = SAPHAN_TRY(load_chain(config.chain_paths));
  auto policy = SAPHAN_TRY(parse_policy(config.policy_oid));
  auto s = std::make_shared<state>(
      state{std::move(certificate), std::move(key), std::move(chain), std::move(policy)});
  return tsa_signer(std::move(s));
}

result<std::string> tsa_signer::respond(std::string_view request_der, const serial_source& serials,
                                        timestamp now) const {
  ERR_clear_error();
  if (!serials)
    return make_error(errc::internal, "respond: no serial source");
  callback_data data{&serials, now, std::nullopt};
  auto context = SAPHAN_TRY(make_response_context(*state_, data));
  // OpenSSL 3.0 has no public way to set a TimeStampResp's failInfo or statusString, so the
  // library-built rejection is the one TS_RESP_create_response makes for an unreadable body:
  // oversized requests and requests with trailing bytes are handed over as an empty body to
  // get exactly that badDataFormat answer.
  std::string_view body = is_single_request(request_der) ? request_der : std::string_view{};
  static const char nothing[1] = {0};
  pki::detail::bio_ptr input(
      BIO_new_mem_buf(body.empty() ? nothing : body.data(), static_cast<int>(body.size())));
  if (!input)
    return openssl_failure(errc::internal, "allocating the request buffer");
  ts_resp_ptr response(TS_RESP_create_response(context.get(), input.get()));
  if (data.failure)
    return std::move(*data.failure);
  if (!response)
    return openssl_failure(errc::internal, "creating the time-stamp response");
  // A rejection leaves OpenSSL's reasons queued; they are answered to the client, not errors.
  ERR_clear_error();
  return encode_der(response.get(), i2d_TS_RESP, "the time-stamp response");
}

}  // namespace saphan::tsa
