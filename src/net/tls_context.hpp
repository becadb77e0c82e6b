// A TLS context that can be replaced while connections use it, so that a member's certificate and
// key (and the CA bundle) can be rotated without a restart. Each new connection takes the current
// context; a connection in flight keeps the one it started with (its SSL object holds its own
// reference to the SSL_CTX), so a reload drops nothing.
#pragma once

#include <boost/asio/ssl/context.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>

#include "core/result.hpp"
#include "pki/pki.hpp"

namespace saphan::net {

class tls_context {
 public:
  // server/client: mutual TLS between members (pki::configure_server_context and
  // configure_client_context). web_server: HTTPS for people's browsers (no client certificate;
  // files name the certificate and key). web_client: to a web server that is not a member, such
  // as an OpenID provider (files name only the CA that server's certificate must chain to).
  enum class role { server, client, web_server, web_client };

  // Errors: as pki::configure_server_context / configure_client_context.
  static result<std::shared_ptr<tls_context>> open(role r, const pki::tls_files& files);

  std::shared_ptr<boost::asio::ssl::context> current() const;
  // Counts the reloads: a client pools connections by it, so that none made with a replaced
  // certificate is reused.
  std::uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

  // Reads the same files again into a new context and puts it in use. A file that fails to load
  // (say a key written before its certificate) leaves the current context in use, and the error
  // is returned.
  result<void> reload();

  const pki::tls_files& files() const { return files_; }

 private:
  tls_context(role r, pki::tls_files files, std::shared_ptr<boost::asio::ssl::context> first);
  static result<std::shared_ptr<boost::asio::ssl::context>> make(role r,
                                                                 const pki::tls_files& files);

  role role_;
  pki::tls_files files_;
  mutable std::mutex mutex_;
  std::shared_ptr<boost::asio::ssl::context> current_;
  std::atomic<std::uint64_t> generation_{0};
};

}  // namespace saphan::net
