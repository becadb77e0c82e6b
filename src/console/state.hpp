// Internal to src/console: the state one running console shares between its requests, and the
// routes of each mode (auditor_pages.cpp, citizen_pages.cpp, export_job.cpp).
#pragma once

#include <boost/asio.hpp>

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "console/config.hpp"
#include "console/page.hpp"
#include "console/session.hpp"
#include "console/upstream.hpp"
#include "net/http.hpp"

namespace saphan::console {

namespace asio = boost::asio;

inline constexpr std::size_t max_export_jobs = 4;

struct export_job {
  std::string owner;  // the session id's hash: only that session may see or fetch it
  std::uint64_t done = 0;
  std::uint64_t total = 0;
  bool finished = false;
  std::optional<error> failure;
  std::string file;  // the export, once finished
  timestamp started{};
};

struct console_state {
  explicit console_state(console_config c) : config(std::move(c)), sessions(config.session) {}
  console_config config;
  asio::io_context io;
  std::shared_ptr<net::tls_context> web_tls;
  std::unique_ptr<net::http_server> server;
  std::unique_ptr<hub_api> hub;
  std::unique_ptr<provider_client> op;
  session_table sessions;
  std::map<std::string, std::string> assets;  // /static/<name> -> its bytes
  std::string log_key_jwk;                    // compact public JWK (auditor)
  std::string log_key_x;                      // its raw key, base64url
  std::string log_key_id;
  std::unique_ptr<asio::signal_set> signals;
  std::uint16_t port = 0;
  std::mutex jobs_mutex;
  std::map<std::string, export_job> jobs;  // by job id
};

using route_result = asio::awaitable<page_answer>;

// The hub's answer as a JSON document, or the error (a page shows it).
asio::awaitable<result<rapidjson::Document>> hub_json(console_state& s, std::string target);

route_result auditor_route(console_state& s, request_info& r);
route_result citizen_route(console_state& s, request_info& r);

// Export jobs (auditor): POST /export starts one, /api/export/<id> tells its progress,
// /export/<id>/download hands the file over.
route_result start_export(console_state& s, request_info& r);
page_answer export_progress(console_state& s, const request_info& r, std::string_view id);
page_answer export_download(console_state& s, const request_info& r, std::string_view id);

std::string session_owner(const session& s);

}  // namespace saphan::console
