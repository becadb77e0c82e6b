// RFC 9457 problem+json: how every Saphan server states an error, and how a client reads the
// stable code back. No HTTP library here: the bodies are plain text, so tools and adapters that do
// not speak Beast use them too.
#pragma once

#include <string>
#include <string_view>

#include "core/error.hpp"

namespace saphan::net {

// The problem+json body for an error: type urn:saphan:problem:<code>, title, status, code, and the
// detail and instance when given.
std::string problem_json(const error& e, std::string_view instance = {});

// Reads the code back from a problem+json body; provider_error naming the HTTP status when the
// body names no known code.
error parse_problem(std::string_view body, int http_status);

}  // namespace saphan::net
