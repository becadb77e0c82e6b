// The connector's configuration file (JSON). Paths inside it are relative to the file's folder.
// Parsing checks shape, types and bounds and names the offending member on every error
// ("config.provider.listen: ..."); loading keys, schemas and adapters happens in service.hpp.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/identifiers.hpp"
#include "core/result.hpp"
#include "net/endpoint.hpp"

namespace saphan::connector {

inline constexpr std::size_t max_config_bytes = 1 << 20;
inline constexpr std::size_t max_provider_datasets = 256;

struct listen_address {
  std::string host;        // an IP address
  std::uint16_t port = 0;  // 0 = any free port
};

struct provider_dataset_config {
  dataset_id id;
  std::string schema_path;    // resolved against the config's folder
  std::string subject_field;  // the record member holding the subject's identifier
  std::string adapter_json;   // the "adapter" object, as JSON text (made by make_adapter)
};

// The agency system's URL that verified notifications are passed to: "http://host:port/path"
// (plain HTTP inside the agency, like the local API).
struct webhook_url {
  net::endpoint endpoint;
  std::string path = "/";
};

// Where the hub sends consent notifications (hub/notifier.hpp): a TLS listener that requires a
// client certificate (the hub's), and the agency webhook they are passed to.
struct notification_config {
  listen_address listen;
  std::optional<webhook_url> webhook;  // none: verified notifications are only logged
};

// Errors: invalid_argument naming the rule (not http://, a path over 1024 characters or with
// characters outside RFC 3986's, a query or fragment).
result<webhook_url> parse_webhook_url(std::string_view url);

struct consumer_config {
  listen_address listen;  // loopback only: the local API is plain HTTP
  // "tokenFile", resolved against the config's folder; empty: every local process may call the
  // API. When set, every call but /healthz needs `Authorization: Bearer <token>`
  // (connector/consumer_auth.hpp).
  std::string token_file;
  std::optional<notification_config> notifications;  // "notifications": {"listen","webhook"?}
};

struct provider_config {
  listen_address listen;
  std::string pseudonym_key_path;
  std::vector<provider_dataset_config> datasets;
};

struct tls_paths {
  std::string certificate;
  std::string key;
  std::string ca;   // the CA this connector pins: every peer and signer must chain to it
  std::string crl;  // that CA's revocation list; empty: none
};

struct connector_config {
  std::string base_dir;
  member_id member;
  std::optional<net::endpoint> hub;  // required when the consumer side is on
  std::string hub_url;
  tls_paths tls;
  std::string signing_key_path;
  std::string signing_certificate_path;  // the CA's certificate for the signing key (x5c)
  member_id hub_member;  // the hub's certificates (TLS and signing) must name this member
  std::chrono::seconds freshness{300};
  std::chrono::milliseconds timeout{10000};
  int threads = 2;
  std::optional<consumer_config> consumer;
  std::optional<provider_config> provider;
};

// Parses the file's text. At least one of "consumer" and "provider" must be present.
// Errors: invalid_argument with a detail "config.<member>: <rule>".
result<connector_config> parse_connector_config(std::string_view text, const std::string& base_dir);

// Reads `path` (bounded) and parses it with the file's folder as base_dir.
result<connector_config> read_connector_config(const std::string& path);

// "127.0.0.1:8080", "[::1]:8080". Errors: invalid_argument naming the rule.
result<listen_address> parse_listen_address(std::string_view text);
bool is_loopback(const std::string& ip_address);

}  // namespace saphan::connector
