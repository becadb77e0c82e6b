// The plain parts of HTTP networking that configuration and decisions need: where a peer is,
// what limits apply, and who a connected peer is. Kept apart from http.hpp so that code which
// only names these does not compile Boost.Beast.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/identifiers.hpp"
#include "core/result.hpp"

namespace saphan::net {

struct http_limits {
  std::size_t max_header_bytes = 8 * 1024;
  std::size_t max_body_bytes = 1024 * 1024;
  std::chrono::milliseconds handshake_timeout{5000};
  std::chrono::milliseconds request_timeout{10000};  // reading one request, and writing its answer
  std::chrono::milliseconds idle_timeout{30000};     // between requests on a kept-alive connection
  std::size_t max_connections = 4096;
  std::size_t max_in_flight = 1024;  // requests being handled at once; beyond: 503 + Retry-After
};

// What a handler sees of the connection.
struct peer_info {
  std::optional<member_id> member;  // from the verified client certificate (TLS servers only)
  std::string member_error;         // why there is no member, when there is none
  std::string address;
  // Of the client certificate, when there is one: for the directory's registered certificates
  // and the CA's revocation list.
  std::string certificate_fingerprint;  // SHA-256 of the DER, lowercase hex
  std::string certificate_serial;       // uppercase hex
};

struct endpoint {
  std::string host;
  std::uint16_t port = 0;
  bool tls = true;
  // The member the server's certificate must name; none: any certificate of the CA will do.
  std::optional<member_id> member;
};

// Parses "https://host:port" or "http://host:port" (no path). Errors: invalid_argument.
result<endpoint> parse_endpoint(std::string_view url);

}  // namespace saphan::net
