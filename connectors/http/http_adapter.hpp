// HTTP adapter: asks an agency's existing REST service for the record,
//     GET http://host:port/persons/{subject}
// 200 -> the body is the record (JSON), 404 -> no record, anything else -> provider_error.
// It blocks (it runs on the connector's worker pool), but every step has the configured deadline.
// See README.md for the config keys.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "connectors/adapter.hpp"

namespace saphan::connector {

// RFC 3986 percent-encoding of everything but the unreserved characters (A-Z a-z 0-9 - . _ ~).
std::string percent_encode(std::string_view text);

struct url_template {
  std::string host;
  std::uint16_t port = 80;
  std::string before;  // the target up to {subject}, e.g. "/persons/"
  std::string after;   // the rest of the target, e.g. "?view=full"
};

// "http://host[:port]/path-with-{subject}" with exactly one {subject}, in the path or query.
// Errors: invalid_argument naming the rule.
result<url_template> parse_url_template(std::string_view text);

// Errors: invalid_argument naming the member.
result<std::shared_ptr<record_adapter>> make_http_adapter(const rapidjson::Value& config,
                                                          const std::string& where,
                                                          const std::string& base_dir);

}  // namespace saphan::connector
