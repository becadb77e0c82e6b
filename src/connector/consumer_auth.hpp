// The consumer side's local API token. Whoever can call the local API spends the agency's
// consents, so a connector may require every call to carry `Authorization: Bearer <token>`, the
// token read at start-up from the file `consumer.tokenFile` names. Only /healthz stays open.
//
// The file holds the token and at most one line end, and may be readable by its owner alone (as
// ssh insists for private keys): a token that every local account can read protects nothing.
#pragma once

#include <sys/types.h>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "crypto/hash.hpp"

namespace saphan::connector {

inline constexpr std::size_t min_api_token_length = 32;
inline constexpr std::size_t max_api_token_length = 512;
inline constexpr std::string_view authorization_header = "Authorization";
inline constexpr std::string_view www_authenticate_header = "WWW-Authenticate";

// The token of one connector, kept as its SHA-256 only: the token itself is not held in memory
// once read, and a presented token is hashed and compared in constant time, so neither its
// content nor its length shows in the time a refusal takes.
class api_token {
 public:
  // From a token file's text: the token with one trailing "\n" or "\r\n" removed, 32..512
  // characters of RFC 6750's b64token (A-Z a-z 0-9 - . _ ~ + /, then "=" padding only at the
  // end). Errors: invalid_argument naming the rule, never the token.
  static result<api_token> parse(std::string_view file_text);

  // Whether `authorization` (the Authorization header's value, empty when absent) is
  // "Bearer <this token>"; the scheme is case-insensitive, one space after it.
  // Errors: unauthenticated ("Authorization: a bearer token is required" when there is no bearer
  // token, "Authorization: the bearer token is not this connector's" when it is another).
  result<void> check(std::string_view authorization) const;

 private:
  explicit api_token(const crypto::sha256_digest& digest) : digest_(digest) {}
  crypto::sha256_digest digest_;
};

// The token of an Authorization value "Bearer <token>" (scheme case-insensitive, one space);
// none for an absent or empty header, another scheme, or a scheme alone.
std::optional<std::string_view> bearer_token_of(std::string_view authorization);

// A token file's permission bits: none for group or others (0600 or 0400).
// Errors: invalid_argument naming the mode found.
result<void> check_token_file_mode(mode_t mode);

// Reads and checks the token file at `path` (a regular file, mode, size, content).
// Errors: invalid_argument or io_error, the detail naming the rule.
result<api_token> read_api_token_file(const std::string& path);

// The WWW-Authenticate value of a refusal (RFC 6750 section 3): the scheme and realm, and
// error="invalid_token" when a bearer token was presented but is not the right one.
std::string bearer_challenge(bool token_presented);

}  // namespace saphan::connector
