#include "net/tls_context.hpp"

namespace saphan::net {

tls_context::tls_context(role r, pki::tls_files files,
                         std::shared_ptr<boost::asio::ssl::context> first)
    : role_(r), files_(std::move(files)), current_(std::move(first)) {}

result<std::shared_ptr<boost::asio::ssl::context>> tls_context::make(role r,
                                                                     const pki::tls_files& files) {
  using context = boost::asio::ssl::context;
  auto made =
      std::make_shared<context>(r == role::server ? context::tls_server : context::tls_client);
  if (r == role::server) {
    SAPHAN_TRY_VOID(pki::configure_server_context(made->native_handle(), files));
  } else {
    SAPHAN_TRY_VOID(pki::configure_client_context(made->native_handle(), files));
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
