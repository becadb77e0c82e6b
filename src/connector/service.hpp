// The running connector: loads what the config names (keys, schemas, adapters, TLS), serves the
// consumer side's local API and/or the provider side's /v1/provide, and stops on SIGINT/SIGTERM.
//
// I/O runs on `threads` I/O threads; adapters, signatures, encryption and schema validation run on
// a separate worker pool of the same size, so a slow backend never stalls the network.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "connector/config.hpp"
#include "core/result.hpp"

namespace saphan::connector {

class connector_service {
 public:
  // Loads every file the config names; errors name the config member ("config.hubKey: ...").
  static result<std::unique_ptr<connector_service>> create(const connector_config& config);
  ~connector_service();
  connector_service(const connector_service&) = delete;
  connector_service& operator=(const connector_service&) = delete;

  // Binds the listeners (port 0 picks a free port) and takes over SIGINT/SIGTERM, so a signal
  // that arrives once the addresses are announced stops the connector cleanly, and SIGHUP, which
  // reloads the certificates and keys the config names (rotation without a restart).
  // Errors: io_error naming the address.
  result<void> start();
  std::optional<std::uint16_t> consumer_port() const;
  std::optional<std::uint16_t> provider_port() const;
  // "connector <member> consumer http://127.0.0.1:8080 provider https://127.0.0.1:9443"
  std::string describe() const;

  // Serves until stop() or SIGINT/SIGTERM; returns when every thread has ended.
  void run();
  void stop();

 private:
  struct state;
  explicit connector_service(std::unique_ptr<state> s);
  // SIGINT/SIGTERM stop the connector; SIGHUP reloads its credentials (the CA and CRL, TLS
  // certificate and key, signing key and certificate) and waits again.
  void wait_for_signals();
  std::unique_ptr<state> state_;
};

}  // namespace saphan::connector
