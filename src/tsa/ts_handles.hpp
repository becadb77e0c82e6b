// Internal to tsa/: owning pointers for OpenSSL's TS objects and exact DER coding.
#pragma once

#include <openssl/ts.h>
#include <openssl/x509.h>

#include <memory>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "pki/openssl_util.hpp"

namespace saphan::tsa::detail {

using pki::detail::openssl_deleter;
using pki::detail::openssl_failure;

inline void free_x509_stack(STACK_OF(X509) * stack) {
  sk_X509_pop_free(stack, X509_free);
}

using ts_req_ptr = std::unique_ptr<TS_REQ, openssl_deleter<TS_REQ_free>>;
using ts_resp_ptr = std::unique_ptr<TS_RESP, openssl_deleter<TS_RESP_free>>;
using ts_resp_ctx_ptr = std::unique_ptr<TS_RESP_CTX, openssl_deleter<TS_RESP_CTX_free>>;
using ts_verify_ctx_ptr = std::unique_ptr<TS_VERIFY_CTX, openssl_deleter<TS_VERIFY_CTX_free>>;
using tst_info_ptr = std::unique_ptr<TS_TST_INFO, openssl_deleter<TS_TST_INFO_free>>;
using msg_imprint_ptr = std::unique_ptr<TS_MSG_IMPRINT, openssl_deleter<TS_MSG_IMPRINT_free>>;
using pkcs7_ptr = std::unique_ptr<PKCS7, openssl_deleter<PKCS7_free>>;
using algor_ptr = std::unique_ptr<X509_ALGOR, openssl_deleter<X509_ALGOR_free>>;
using asn1_integer_ptr = std::unique_ptr<ASN1_INTEGER, openssl_deleter<ASN1_INTEGER_free>>;
using asn1_object_ptr = std::unique_ptr<ASN1_OBJECT, openssl_deleter<ASN1_OBJECT_free>>;
using x509_store_ptr = std::unique_ptr<X509_STORE, openssl_deleter<X509_STORE_free>>;
using x509_stack_ptr = std::unique_ptr<STACK_OF(X509), openssl_deleter<free_x509_stack>>;

// i2d_* into a string. Errors: internal naming `what`.
template <class T, class Encode>
result<std::string> encode_der(const T* object, Encode encode, std::string_view what) {
  int size = encode(object, nullptr);
  if (size <= 0)
    return openssl_failure(errc::internal, "encoding " + std::string(what));
  std::string out(static_cast<std::size_t>(size), '\0');
  auto* cursor = reinterpret_cast<unsigned char*>(out.data());
  if (encode(object, &cursor) != size)
    return openssl_failure(errc::internal, "encoding " + std::string(what));
  return out;
}

// d2i_* that must consume every byte: trailing data would be unsigned, unaccounted-for input.
// Returns null when the bytes are not exactly one such object.
template <class Ptr, class Decode>
Ptr decode_der_exact(std::string_view der, Decode decode) {
  const auto* start = reinterpret_cast<const unsigned char*>(der.data());
  const unsigned char* cursor = start;
  Ptr object(decode(nullptr, &cursor, static_cast<long>(der.size())));
  if (object && cursor != start + der.size())
    object.reset();
  return object;
}

}  // namespace saphan::tsa::detail
