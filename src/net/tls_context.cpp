#include "net/tls_context.hpp"

namespace saphan::net {

tls_context::tls_context(role r, pki::tls_files files,
                         std::shared_ptr<boost::asio::ssl::context> first)
    : role_(r), files_(std::move(files)), current_(std::move(first)) {}

result<std::shared_ptr<boost::asio::ssl::context>> tls_context::make(role r,
                                                                     const pki::tls_files& files) {
  using context = boost::asio::ssl::context;
  const bool serves = r == role::server || r == role::web_server;
  auto made = std::make_shared<context>(serves ? context::tls_server : context::tls_client);
  auto* native = made->native_handle();
  switch (r) {
    case role::server:
      SAPHAN_TRY_VOID(pki::configure_server_context(native, files));
      break;
    case role::client:
      SAPHAN_TRY_VOID(pki::configure_client_context(native, files));
      break;
    case role::web_server:
      SAPHAN_TRY_VOID(pki::configure_web_server_context(native, files.certificate_chain_path,
                                                        files.private_key_path));
      break;
    case role::web_client:
      SAPHAN_TRY_VOID(pki::configure_web_client_context(native, files.ca_certificate_path));
      break;
  }
  return made;
}

result<std::shared_ptr<tls_context>> tls_context::open(role r, const pki::tls_files& files) {
  auto first = SAPHAN_TRY(make(r, files));
  return std::shared_ptr<tls_context>(new tls_context(r, files, std::move(first)));
}

std::shared_ptr<boost::asio::ssl::context> tls_context::current() const {
  std::lock_guard lock(mutex_);
  return current_;
}

result<void> tls_context::reload() {
  auto next = SAPHAN_TRY(make(role_, files_));
  {
    std::lock_guard lock(mutex_);
    current_ = std::move(next);
  }
  generation_.fetch_add(1, std::memory_order_acq_rel);
  return ok();
}

}  // namespace saphan::net
