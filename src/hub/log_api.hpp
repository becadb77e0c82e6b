// The evidence log's read API, as pure-ish request -> JSON functions over a store (server.cpp
// only routes). Every registered member may check the tree (heads, proofs, leaf hashes); an
// entry's content goes only to the members it concerns and to the "auditor" group
// (log_access.hpp), others get its leaf hash. A search by citizen ID needs "auditor", a search
// by another member too; the citizen view needs "citizen-portal" (the agency app through which
// a citizen signs in) or "auditor".
//
//   GET  /v1/log/checkpoint                      latest signed tree head (+ RFC 3161 token)
//   POST /v1/log/checkpoint                      sign a head now (auditors; once a second)
//   GET  /v1/log/entries?start=A&end=B           entries A..B-1 (at most 1000)
//   GET  /v1/log/leaves?start=A&end=B            their leaf hashes only (at most 1000)
//   GET  /v1/log/proof/inclusion?index=I&size=N  audit path of entry I in the tree of size N
//   GET  /v1/log/proof/consistency?from=M&to=N   consistency proof between two sizes
//   GET  /v1/log/search?since=&until=&member=&dataset=&status=&kind=&subject=&before=&limit=
//   GET  /v1/citizen/<citizen id>/accesses?before=&limit=
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
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

// Heads signed on demand: at most one per `interval` for the whole hub.
class checkpoint_gate {
 public:
  static constexpr std::chrono::seconds interval{1};
  bool try_pass(timestamp now);

 private:
  std::mutex mutex_;
  std::optional<timestamp> last_;
};

struct log_api_context {
  store& db;
  const evidence::log_identity& log;
  std::function<std::string(std::string_view)> pseudonym;  // citizen ID -> log pseudonym
  checkpoint_gate& checkpoints;
};

// The API's paths begin with one of these.
inline constexpr std::string_view log_path_prefix = "/v1/log/";
inline constexpr std::string_view citizen_path_prefix = "/v1/citizen/";

// True when `path` belongs to this API.
bool is_log_api_path(std::string_view path);

// Answers one request for `caller` (the TLS member, already known to be registered) with a JSON
// body. Errors: not_found (unknown path or entry), method_not_allowed, invalid_argument (bad
// parameters, naming them; not UTF-8; an unknown kind), forbidden (missing group),
// rate_limited (a head signed on demand within the last second), invalid_citizen_id,
// storage_failure.
result<std::string> answer_log_api(const log_api_context& context, bool post,
                                   const api_target& target, const member_record& caller,
                                   timestamp now);

}  // namespace saphan::hub
