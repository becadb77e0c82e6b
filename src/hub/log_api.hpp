// The evidence log's read API, as pure-ish request -> JSON functions over a store (server.cpp
// only routes). Any registered member may read the log (entries hold pseudonyms, never
// records); a search by citizen ID needs the "auditor" group, and the citizen view needs
// "citizen-portal" (the agency app through which a citizen signs in) or "auditor".
//
//   GET  /v1/log/checkpoint                      latest signed tree head (+ RFC 3161 token)
//   POST /v1/log/checkpoint                      sign a head now (on demand)
//   GET  /v1/log/entries?start=A&end=B           entries A..B-1 (at most 1000)
//   GET  /v1/log/proof/inclusion?index=I&size=N  audit path of entry I in the tree of size N
//   GET  /v1/log/proof/consistency?from=M&to=N   consistency proof between two sizes
//   GET  /v1/log/search?since=&until=&member=&dataset=&status=&kind=&subject=&before=&limit=
//   GET  /v1/citizen/<citizen id>/accesses?before=&limit=
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "directory/member.hpp"
#include "evidence/log.hpp"
#include "store/store.hpp"

namespace saphan::hub {

// A request target split into its path and decoded query parameters.
struct api_target {
  std::string path;
  std::map<std::string, std::string> params;
};

// Errors: invalid_argument (bad percent-encoding, a repeated or empty name, over 16 parameters,
// a name or value over 256 bytes).
result<api_target> parse_target(std::string_view target);

struct log_api_context {
  store& db;
  const evidence::log_identity& log;
  std::function<std::string(std::string_view)> pseudonym;  // citizen ID -> log pseudonym
};

// The API's paths begin with one of these.
inline constexpr std::string_view log_path_prefix = "/v1/log/";
inline constexpr std::string_view citizen_path_prefix = "/v1/citizen/";

// True when `path` belongs to this API.
bool is_log_api_path(std::string_view path);

// Answers one request for `caller` (the TLS member, already known to be registered) with a JSON
// body. Errors: not_found (unknown path or entry), method_not_allowed, invalid_argument (bad
// parameters, naming them), forbidden (missing group), invalid_citizen_id, storage_failure.
result<std::string> answer_log_api(const log_api_context& context, bool post,
                                   const api_target& target, const member_record& caller,
                                   timestamp now);

}  // namespace saphan::hub
