// The evidence export, built as a job the page polls: the latest signed tree head, then every
// entry up to its size, page by page from the hub's /v1/log/entries, written as
// saphan-evidence-export/1 (the header names the log key the auditor pinned, not one the hub
// hands out). The file is kept only until it is downloaded, or for a few minutes; a verifier
// (`saphan audit verify --log-key`) recomputes the whole tree from it.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "console/json_view.hpp"
#include "console/log_entries.hpp"
#include "console/state.hpp"
#include "core/json.hpp"
#include "crypto/encoding.hpp"
#include "crypto/keys.hpp"

// GCC 12 at -O2 reports asio's coroutine frames, which bring their own operator new and delete,
// as freed by a mismatched operator delete (a false positive, as in hub/exchange.cpp).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace saphan::console {
namespace {

constexpr std::uint64_t entries_per_call = 1000;
constexpr std::chrono::minutes kept_for{10};

void update(console_state& s, const std::string& id, const std::function<void(export_job&)>& f) {
  std::lock_guard lock(s.jobs_mutex);
  if (auto it = s.jobs.find(id); it != s.jobs.end())
    f(it->second);
}

asio::awaitable<result<std::string>> build_export(console_state& s, const std::string& id) {
  auto head_body = co_await s.hub->get("/v1/log/checkpoint");
  if (!head_body)
    co_return std::move(head_body).error();
  auto head = parse_json(*head_body, {64 * 1024, 8});
  if (!head || !head->IsObject() || !head->HasMember("checkpoint"))
    co_return make_error(errc::malformed_json, "checkpoint answer");
  const auto& cp = (*head)["checkpoint"];
  const auto size = number_of(cp, "tree_size");
  if (size == 0 || size > s.config.max_export_entries)
    co_return make_error(errc::invalid_argument, "the log's signed size " + std::to_string(size) +
                                                     " is outside 1..maxExportEntries");
  update(s, id, [&](export_job& j) { j.total = size; });
  std::string file =
      export_header_line(text_of(cp, "origin"), s.log_key_jwk, format_rfc3339(now_utc()), size);
  for (std::uint64_t start = 0; start < size;) {
    const auto end = std::min(size, start + entries_per_call);
    auto body = co_await s.hub->get("/v1/log/entries?start=" + std::to_string(start) +
                                    "&end=" + std::to_string(end));
    if (!body)
      co_return std::move(body).error();
    auto page = read_entries_page(*body);
    if (!page)
      co_return std::move(page).error();
    if (page->entries.empty())
      co_return make_error(errc::storage_failure,
                           "the hub returned no entries at " + std::to_string(start));
    for (const auto& e : page->entries) {
      if (e.index != start || !e.readable)
        co_return make_error(errc::storage_failure,
                             "entry " + std::to_string(start) + " missing or unreadable");
      auto line = export_entry_line(e);
      if (!line)
        co_return std::move(line).error();
      file += *line;
      ++start;
    }
    update(s, id, [&](export_job& j) { j.done = start; });
  }
  auto token = head->FindMember("timestampToken");
  file += "{\"checkpoint\":" + write_json(cp) + ",\"timestampToken\":" +
          (token != head->MemberEnd() && token->value.IsString() ? write_json(token->value)
                                                                 : std::string("null")) +
          "}\n";
  co_return file;
}

asio::awaitable<void> run_export(console_state& s, std::string id) {
  auto built = co_await build_export(s, id);
  update(s, id, [&](export_job& j) {
    j.finished = true;
    if (built)
      j.file = std::move(*built);
    else
      j.failure = built.error();
  });
}

// Jobs past their time are dropped; callers hold jobs_mutex.
void drop_old_jobs(console_state& s, timestamp now) {
  for (auto it = s.jobs.begin(); it != s.jobs.end();)
    it = now - it->second.started > kept_for ? s.jobs.erase(it) : std::next(it);
}

}  // namespace

route_result start_export(console_state& s, request_info& r) {
  const auto id = crypto::base64url_encode(crypto::random_bytes(16));
  {
    std::lock_guard lock(s.jobs_mutex);
    drop_old_jobs(s, now_utc());
    if (s.jobs.size() >= max_export_jobs)
      co_return error_page(
          s.config, r,
          make_error(errc::overloaded, "exports are being prepared; try again in a few minutes"));
    export_job job;
    job.owner = session_owner(*r.signed_in);
    job.started = now_utc();
    s.jobs.emplace(id, std::move(job));
  }
  asio::co_spawn(s.io, run_export(s, id), asio::detached);
  co_return redirect("/export?job=" + id);
}

page_answer export_progress(console_state& s, const request_info& r, std::string_view id) {
  std::lock_guard lock(s.jobs_mutex);
  auto it = s.jobs.find(std::string(id));
  if (it == s.jobs.end() || it->second.owner != session_owner(*r.signed_in))
    return json_answer("{\"code\":\"not_found\"}", 404);
  const auto& j = it->second;
  std::string body = "{\"done\":" + std::to_string(j.done) +
                     ",\"total\":" + std::to_string(j.total) +
                     ",\"finished\":" + (j.finished ? "true" : "false");
  if (j.failure)
    body += ",\"code\":\"" + std::string(to_string(j.failure->code)) + "\"";
  return json_answer(body + "}");
}

page_answer export_download(console_state& s, const request_info& r, std::string_view id) {
  std::lock_guard lock(s.jobs_mutex);
  auto it = s.jobs.find(std::string(id));
  if (it == s.jobs.end() || it->second.owner != session_owner(*r.signed_in) ||
      !it->second.finished || it->second.failure)
    return error_page(s.config, r, make_error(errc::not_found, "no finished export with this id"));
  page_answer a{200, "application/jsonl", std::move(it->second.file)};
  a.download_name = "saphan-evidence-export.jsonl";
  s.jobs.erase(it);  // handed over: the console keeps no copy
  return a;
}

}  // namespace saphan::console
