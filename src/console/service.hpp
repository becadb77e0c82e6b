// The running console: loads what the config names (web certificate, member certificate, the
// pinned log key, the page assets), serves HTTPS to people and stops on SIGINT/SIGTERM.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "console/config.hpp"
#include "core/result.hpp"

namespace saphan::console {

struct console_state;

class console_service {
 public:
  // Errors name the config member ("config.web: ...").
  static result<std::unique_ptr<console_service>> create(const console_config& config);
  ~console_service();
  console_service(const console_service&) = delete;
  console_service& operator=(const console_service&) = delete;

  // Binds the listener and takes over SIGINT/SIGTERM. Errors: io_error naming the address.
  result<void> start();
  // "console auditor TH/GOV/OAG/audit https://127.0.0.1:8452"
  std::string describe() const;
  void run();
  void stop();

 private:
  explicit console_service(std::unique_ptr<console_state> s);
  std::unique_ptr<console_state> state_;
};

}  // namespace saphan::console
