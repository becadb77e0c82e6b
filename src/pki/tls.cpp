// TLS 1.3 contexts with mutual authentication, and reading the peer's member identity.
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "core/files.hpp"
#include "pki/openssl_util.hpp"
#include "pki/pki.hpp"

namespace saphan::pki {
namespace {

using detail::openssl_failure;

// Leaf plus at most a few intermediates; a longer chain from a peer is not one of ours.
constexpr int max_verify_depth = 4;
// Ties resumed sessions to this configuration: OpenSSL refuses to resume a session with a
// verified client unless the context names one.
constexpr unsigned char session_id_context[] = "saphan-mtls";

result<void> require_tls13_only(SSL_CTX* context) {
  if (SSL_CTX_set_min_proto_version(context, TLS1_3_VERSION) != 1 ||
      SSL_CTX_set_max_proto_version(context, TLS1_3_VERSION) != 1) {
    return openssl_failure(errc::internal, "restricting the context to TLS 1.3");
  }
  return ok();
}

result<void> load_own_identity(SSL_CTX* context, const tls_files& files) {
  SSL_CTX_set_default_passwd_cb(context, detail::refuse_passphrase);
  if (SSL_CTX_use_certificate_chain_file(context, files.certificate_chain_path.c_str()) != 1) {
    return openssl_failure(errc::io_error,
                           files.certificate_chain_path + ": cannot load certificate chain");
  }
  // The key is parsed here rather than by SSL_CTX_use_PrivateKey_file so that "cannot read",
  // "not a key" and "wrong key" stay three distinct errors.
  auto key_pem = SAPHAN_TRY(read_file(files.private_key_path, max_pem_bytes));
  auto key = detail::parse_private_key_pem(key_pem, files.private_key_path);
  OPENSSL_cleanse(key_pem.data(), key_pem.size());
  if (!key)
    return std::move(key).error();
  if (SSL_CTX_use_PrivateKey(context, key->get()) != 1 || SSL_CTX_check_private_key(context) != 1) {
    return openssl_failure(errc::invalid_argument, files.private_key_path + ": does not match " +
                                                       files.certificate_chain_path);
  }
  return ok();
}

result<void> trust_ca(SSL_CTX* context, const tls_files& files) {
  if (SSL_CTX_load_verify_locations(context, files.ca_certificate_path.c_str(), nullptr) != 1) {
    return openssl_failure(errc::io_error, files.ca_certificate_path + ": cannot load CA file");
  }
  SSL_CTX_set_verify_depth(context, max_verify_depth);
  return ok();
}

result<void> configure_common(SSL_CTX* context, const tls_files& files) {
  if (context == nullptr)
    return make_error(errc::invalid_argument, "no SSL_CTX");
  ERR_clear_error();
  SAPHAN_TRY_VOID(require_tls13_only(context));
  // An idle connection gives its ~34 KB of record buffers back: a hub holds thousands of
  // keep-alive connections that are quiet most of the time.
  SSL_CTX_set_mode(context, SSL_MODE_RELEASE_BUFFERS);
  SAPHAN_TRY_VOID(load_own_identity(context, files));
  return trust_ca(context, files);
}

bool is_ip_address(const std::string& host) {
  ASN1_OCTET_STRING* address = a2i_IPADDRESS(host.c_str());
  if (address == nullptr) {
    ERR_clear_error();
    return false;
  }
  ASN1_OCTET_STRING_free(address);
  return true;
}

}  // namespace

result<void> configure_server_context(SSL_CTX* context, const tls_files& files) {
  SAPHAN_TRY_VOID(configure_common(context, files));
  // Advertising the CA lets a client holding several certificates pick the one we accept.
  STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(files.ca_certificate_path.c_str());
  if (names == nullptr) {
    return openssl_failure(errc::io_error, files.ca_certificate_path + ": cannot read CA names");
  }
  SSL_CTX_set_client_CA_list(context, names);
  SSL_CTX_set_verify(context, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  if (SSL_CTX_set_session_id_context(context, session_id_context, sizeof session_id_context - 1) !=
      1) {
    return openssl_failure(errc::internal, "setting the session id context");
  }
  return ok();
}

result<void> configure_client_context(SSL_CTX* context, const tls_files& files) {
  SAPHAN_TRY_VOID(configure_common(context, files));
  SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nullptr);
  return ok();
}

namespace {

result<void> allow_tls12_and_13(SSL_CTX* context) {
  if (SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_max_proto_version(context, TLS1_3_VERSION) != 1) {
    return openssl_failure(errc::internal, "restricting the context to TLS 1.2 and 1.3");
  }
  return ok();
}

}  // namespace

result<void> configure_web_server_context(SSL_CTX* context,
                                          const std::string& certificate_chain_path,
                                          const std::string& private_key_path) {
  if (context == nullptr)
    return make_error(errc::invalid_argument, "no SSL_CTX");
  ERR_clear_error();
  SAPHAN_TRY_VOID(allow_tls12_and_13(context));
  SSL_CTX_set_mode(context, SSL_MODE_RELEASE_BUFFERS);
  SAPHAN_TRY_VOID(load_own_identity(context, {certificate_chain_path, private_key_path, {}}));
  SSL_CTX_set_verify(context, SSL_VERIFY_NONE, nullptr);
  return ok();
}

result<void> configure_web_client_context(SSL_CTX* context,
                                          const std::string& ca_certificate_path) {
  if (context == nullptr)
    return make_error(errc::invalid_argument, "no SSL_CTX");
  ERR_clear_error();
  SAPHAN_TRY_VOID(allow_tls12_and_13(context));
  SAPHAN_TRY_VOID(trust_ca(context, {{}, {}, ca_certificate_path}));
  SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nullptr);
  return ok();
}

result<void> set_peer_host(SSL* connection, std::string_view host) {
  if (connection == nullptr)
    return make_error(errc::invalid_argument, "no SSL connection");
  if (host.empty() || host.size() > max_dns_name_bytes ||
      host.find('\0') != std::string_view::npos) {
    return make_error(errc::invalid_argument,
                      "host: must be 1.." + std::to_string(max_dns_name_bytes) + " bytes");
  }
  std::string name(host);
  if (is_ip_address(name)) {
    // RFC 6066 forbids IP literals in SNI, so only the certificate check is set.
    if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(connection), name.c_str()) != 1) {
      return openssl_failure(errc::internal, "setting the expected peer IP address");
    }
    return ok();
  }
  if (SSL_set1_host(connection, name.c_str()) != 1 ||
      SSL_set_tlsext_host_name(connection, name.c_str()) != 1) {
    return openssl_failure(errc::internal, "setting the expected peer host name");
  }
  return ok();
}

result<member_id> peer_member(SSL* connection) {
  if (connection == nullptr)
    return make_error(errc::unauthenticated, "no TLS connection");
  X509* certificate = SSL_get0_peer_certificate(connection);
  if (certificate == nullptr) {
    return make_error(errc::unauthenticated, "peer presented no certificate");
  }
  // Belt and braces: the contexts above fail the handshake on a bad chain, but a connection
  // configured elsewhere (SSL_VERIFY_NONE) must not yield an identity.
  long verdict = SSL_get_verify_result(connection);
  if (verdict != X509_V_OK) {
    return make_error(errc::unauthenticated, std::string("peer certificate not verified: ") +
                                                 X509_verify_cert_error_string(verdict));
  }
  return member_from_certificate(certificate);
}

result<peer_certificate> peer_certificate_of(SSL* connection) {
  X509* certificate = connection ? SSL_get0_peer_certificate(connection) : nullptr;
  if (certificate == nullptr)
    return make_error(errc::unauthenticated, "peer presented no certificate");
  peer_certificate out;
  out.fingerprint = SAPHAN_TRY(certificate_fingerprint(certificate));
  out.serial = SAPHAN_TRY(detail::serial_hex(X509_get0_serialNumber(certificate)));
  return out;
}

result<void> require_peer_member(SSL* connection, const member_id& expected) {
  auto actual = SAPHAN_TRY(peer_member(connection));
  if (actual != expected) {
    return make_error(errc::certificate_mismatch, "certificate names member " + to_string(actual) +
                                                      ", request claims " + to_string(expected));
  }
  return ok();
}

}  // namespace saphan::pki
