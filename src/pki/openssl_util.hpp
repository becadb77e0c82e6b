// Internal to pki/: owning pointers for OpenSSL objects and error-queue reporting.
#pragma once

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "core/time.hpp"

namespace saphan::pki::detail {

template <auto free_fn>
struct openssl_deleter {
  template <class T>
  void operator()(T* p) const noexcept {
    free_fn(p);
  }
};

using pkey_ptr = std::unique_ptr<EVP_PKEY, openssl_deleter<EVP_PKEY_free>>;
using x509_ptr = std::unique_ptr<X509, openssl_deleter<X509_free>>;
using bio_ptr = std::unique_ptr<BIO, openssl_deleter<BIO_free_all>>;
using bignum_ptr = std::unique_ptr<BIGNUM, openssl_deleter<BN_free>>;
using general_names_ptr = std::unique_ptr<GENERAL_NAMES, openssl_deleter<GENERAL_NAMES_free>>;
using extension_ptr = std::unique_ptr<X509_EXTENSION, openssl_deleter<X509_EXTENSION_free>>;

// Drains OpenSSL's (thread-local) error queue into one error: "<what>: <reason>; <reason>".
// Draining matters: a stale entry would otherwise be blamed on the next, unrelated failure.
error openssl_failure(errc code, std::string_view what);

// A password callback that refuses: an encrypted key must fail to load, never prompt on a tty.
int refuse_passphrase(char* buffer, int size, int rwflag, void* user) noexcept;

// PEM parsing from memory. Errors: payload_too_large, invalid_argument naming `what`.
result<x509_ptr> parse_certificate_pem(std::string_view pem, std::string_view what);
result<pkey_ptr> parse_private_key_pem(std::string_view pem, std::string_view what);

// A certificate time (UTC) and serial number (uppercase hex), as the rest of Saphan reads them.
// Errors: invalid_argument (unreadable time), internal.
result<timestamp> time_of(const ASN1_TIME* t);
result<std::string> serial_hex(const ASN1_INTEGER* serial);

// PEM encoding. Keys go through a BIO whose buffer OpenSSL wipes when it is freed.
result<std::string> encode_certificate_pem(X509* certificate);

}  // namespace saphan::pki::detail
