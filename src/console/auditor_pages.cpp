// The auditor console's pages: the overview, the search, one entry (with its verification in
// the browser) and the evidence export. Everything comes from the hub's log API as this
// console's member (group auditor); nothing is kept.
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <array>
#include <charconv>

#include "console/json_view.hpp"
#include "console/log_entries.hpp"
#include "console/state.hpp"
#include "core/citizen_id.hpp"
#include "core/json.hpp"
#include "crypto/encoding.hpp"

// GCC 12 at -O2 reports asio's coroutine frames, which bring their own operator new and delete,
// as freed by a mismatched operator delete (a false positive, as in hub/exchange.cpp).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace saphan::console {
namespace {

constexpr int overview_hours = 24;
constexpr int overview_pages = 5;
constexpr std::size_t page_size = 50;
constexpr std::size_t top_rows = 5;

std::optional<std::uint64_t> parse_index(std::string_view text) {
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || v > (1ull << 62))
    return std::nullopt;
  return v;
}

// ---- overview --------------------------------------------------------------------------------

struct tally {
  std::map<std::string, std::uint64_t> counts;
  void add(const std::string& key) {
    if (!key.empty())
      ++counts[key];
  }
  std::vector<std::pair<std::string, std::uint64_t>> top(std::size_t n) const {
    std::vector<std::pair<std::string, std::uint64_t>> out(counts.begin(), counts.end());
    std::stable_sort(out.begin(), out.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    if (out.size() > n)
      out.resize(n);
    return out;
  }
};

constexpr std::array<const char*, 4> outcome_series = {"ok", "failed", "denied", "rejected"};

struct overview_data {
  std::array<std::array<std::uint64_t, overview_hours>, outcome_series.size()> per_hour{};
  tally refusals, consumers, datasets;
};

int hour_slot(const std::string& when, timestamp now) {
  auto t = parse_rfc3339(when);
  if (!t)
    return -1;
  const auto hours_ago = std::chrono::duration_cast<std::chrono::hours>(now - *t).count();
  if (hours_ago < 0 || hours_ago >= overview_hours)
    return -1;
  return overview_hours - 1 - static_cast<int>(hours_ago);
}

void count_entry(overview_data& d, const rapidjson::Value& e, timestamp now) {
  const auto kind = text_of(e, "kind");
  std::size_t series = 0;
  std::string when;
  if (kind == "exchange.outcome") {
    when = text_of(e, "at");
    series = text_of(e, "status") == "ok" ? 0 : 1;
  } else if (kind == "exchange.decision") {
    d.consumers.add(text_of(e, "consumer"));
    d.datasets.add(text_of(e, "dataset"));
    if (text_of(e, "decision") == "allow")
      return;  // counted by its outcome
    d.refusals.add(text_of(e, "reason"));
    when = text_of(e, "receivedAt");
    series = 2;
  } else {
    d.refusals.add(text_of(e, "reason"));
    when = text_of(e, "receivedAt");
    series = 3;
  }
  const int slot = hour_slot(when, now);
  if (slot >= 0)
    ++d.per_hour[series][static_cast<std::size_t>(slot)];
}

asio::awaitable<result<void>> collect(console_state& s, overview_data& d, const char* kind,
                                      timestamp now) {
  std::string before;
  const auto since = url_encode(format_rfc3339(now - std::chrono::hours(overview_hours)));
  for (int page = 0; page < overview_pages; ++page) {
    auto doc = co_await hub_json(
        s, std::string("/v1/log/search?limit=1000&kind=") + kind + "&since=" + since + before);
    if (!doc)
      co_return std::move(doc).error();
    for (const auto& row : array_of(*doc, "entries").GetArray()) {
      auto it = row.FindMember("entry");
      if (it != row.MemberEnd())
        count_entry(d, it->value, now);
    }
    if (!has_number(*doc, "before"))
      break;
    before = "&before=" + std::to_string(number_of(*doc, "before"));
  }
  co_return ok();
}

std::string chart_json(const overview_data& d, timestamp now) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  w.Key("labels");
  w.StartArray();
  for (int h = 0; h < overview_hours; ++h) {
    const auto at =
        std::chrono::floor<std::chrono::hours>(now - std::chrono::hours(overview_hours - 1 - h));
    const auto label = format_rfc3339(at).substr(11, 5);
    w.String(label.c_str());
  }
  w.EndArray();
  w.Key("series");
  w.StartObject();
  for (std::size_t i = 0; i < outcome_series.size(); ++i) {
    w.Key(outcome_series[i]);
    w.StartArray();
    for (auto n : d.per_hour[i])
      w.Uint64(n);
    w.EndArray();
  }
  w.EndObject();
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::string top_table(const request_info& r, text title, text column, const tally& t) {
  std::string out = "<section><h2>" + console::t(r, title) + "</h2>";
  const auto rows = t.top(top_rows);
  if (rows.empty())
    return out + "<p>" + console::t(r, text::nothing_found) + "</p></section>";
  out += "<table>" + table_head(r, {column, text::count}) + "<tbody>";
  for (const auto& [name, n] : rows)
    out += "<tr>" + cell(name) + cell(std::to_string(n)) + "</tr>";
  return out + "</tbody></table></section>";
}

// The TSA's counters from the hub's /metrics (Prometheus text).
std::string metric(std::string_view metrics, std::string_view name) {
  const auto line = "\n" + std::string(name) + " ";
  const auto at = ("\n" + std::string(metrics)).find(line);
  if (at == std::string::npos)
    return "-";
  const auto start = at + line.size() - 1;
  return std::string(metrics.substr(start, metrics.find('\n', start) - start));
}

asio::awaitable<std::string> head_section(console_state& s, const request_info& r) {
  std::string out = "<section><h2>" + t(r, text::latest_head) + "</h2>";
  auto head = co_await hub_json(s, "/v1/log/checkpoint");
  if (!head) {
    co_return out + "<p class=\"error\">" + escape_html(to_string(head.error().code)) + " " +
        escape_html(head.error().detail) + "</p></section>";
  }
  auto cp = head->FindMember("checkpoint");
  const auto& c = cp != head->MemberEnd() ? cp->value : *head;
  auto token = head->FindMember("timestampToken");
  const bool stamped = token != head->MemberEnd() && token->value.IsString();
  out += "<dl class=\"facts\"><dt>" + t(r, text::tree_size) + "</dt><dd id=\"head-size\">" +
         std::to_string(number_of(c, "tree_size")) + "</dd><dt>" + t(r, text::head_time) +
         "</dt><dd>" + escape_html(text_of(c, "timestamp")) + "</dd><dt>" +
         t(r, text::head_timestamped) + "</dt><dd>" + t(r, stamped ? text::yes : text::no) +
         "</dd></dl>";
  auto metrics = co_await s.hub->get("/metrics");
  const std::string m = metrics ? *metrics : std::string();
  out += "<h3>" + t(r, text::tsa_backlog) + "</h3><dl class=\"facts\"><dt>" +
         t(r, text::tsa_tokens) + "</dt><dd>" + escape_html(metric(m, "saphan_tsa_tokens_total")) +
         "</dd><dt>" + t(r, text::tsa_failures) + "</dt><dd>" +
         escape_html(metric(m, "saphan_tsa_failures_total")) + "</dd><dt>" +
         t(r, text::tsa_oldest_waiting) + "</dt><dd id=\"tsa-oldest-waiting\">" +
         escape_html(metric(m, "saphan_tsa_oldest_waiting_seconds")) + "</dd></dl>";
  co_return out + "</section>";
}

route_result overview(console_state& s, request_info& r) {
  overview_data d;
  const auto now = now_utc();
  for (const char* kind : {"exchange.decision", "exchange.outcome", "exchange.rejected"}) {
    auto got = co_await collect(s, d, kind, now);
    if (!got)
      co_return error_page(s.config, r, got.error());
  }
  std::string body = "<section><h2>" + t(r, text::exchanges_per_hour) + "</h2>";
  body += "<figure><canvas id=\"chart\" role=\"img\" aria-label=\"" + t(r, text::chart_caption) +
          "\" data-chart=\"" + escape_html(chart_json(d, now)) + "\"></canvas><figcaption>" +
          t(r, text::chart_caption) + ". " + t(r, text::overview_window) +
          "</figcaption></figure></section>";
  body += "<div class=\"grid\">" +
          top_table(r, text::refusals_by_reason, text::reason, d.refusals) +
          top_table(r, text::top_consumers, text::consumer, d.consumers) +
          top_table(r, text::top_datasets, text::dataset, d.datasets) +
          co_await head_section(s, r) + "</div>";
  co_return page_answer{
      200, "text/html; charset=utf-8",
      render_page(s.config, r, t(r, text::overview_title), body, {"chart.umd.js", "overview.js"})};
}

// ---- search ------------------------------------------------------------------------------

struct search_field {
  const char* name;
  text label;
  bool local;  // filtered here, on the page the hub returns (the hub's search has no such term)
};

constexpr search_field search_fields[] = {
    {"since", text::since, false},        {"until", text::until, false},
    {"member", text::member, false},      {"dataset", text::dataset, false},
    {"purpose", text::purpose, true},     {"lawfulBasis", text::lawful_basis, true},
    {"status", text::status, false},      {"kind", text::kind, false},
    {"subject", text::citizen_id, false},
};

std::string param(const request_info& r, const char* name) {
  auto it = r.query.find(name);
  return it == r.query.end() ? std::string() : it->second;
}

std::string search_form(const request_info& r) {
  std::string out = "<form method=\"get\" action=\"/search\" class=\"search\">";
  for (const auto& f : search_fields) {
    const std::string id = std::string("f-") + f.name;
    out += "<label for=\"" + id + "\">" + t(r, f.label) + "</label><input id=\"" + id +
           "\" name=\"" + f.name + "\" value=\"" + escape_html(param(r, f.name)) + "\"" +
           (std::string_view(f.name) == "subject" ? " inputmode=\"numeric\" autocomplete=\"off\""
                                                  : "") +
           ">";
  }
  return out + "<button type=\"submit\">" + t(r, text::search_button) + "</button></form>";
}

std::string hub_search_target(const request_info& r) {
  std::string target = "/v1/log/search?limit=" + std::to_string(page_size);
  for (const auto& f : search_fields) {
    const auto value = param(r, f.name);
    if (!f.local && !value.empty())
      target += std::string("&") + f.name + "=" + url_encode(value);
  }
  if (auto before = param(r, "before"); !before.empty())
    target += "&before=" + url_encode(before);
  return target;
}

bool passes_local_filters(const request_info& r, const rapidjson::Value& e) {
  for (const auto& f : search_fields) {
    const auto wanted = param(r, f.name);
    if (f.local && !wanted.empty() && text_of(e, f.name) != wanted)
      return false;
  }
  return true;
}

std::string entry_time(const rapidjson::Value& e) {
  for (const char* k : {"receivedAt", "at", "until", "requestedAt", "grantedAt"}) {
    auto v = text_of(e, k);
    if (!v.empty())
      return v;
  }
  return {};
}

std::string result_row(const rapidjson::Value& row) {
  const auto index = std::to_string(number_of(row, "index"));
  auto it = row.FindMember("entry");
  static const rapidjson::Value none(rapidjson::kObjectType);
  const auto& e = it != row.MemberEnd() ? it->value : none;
  const auto verdict =
      text_of(e, "decision").empty() ? text_of(e, "status") : text_of(e, "decision");
  return "<tr><td><a href=\"/entry/" + index + "\">" + index + "</a></td>" + cell(entry_time(e)) +
         cell(text_of(e, "kind")) +
         cell(text_of(e, "consumer").empty() ? text_of(e, "peer") : text_of(e, "consumer")) +
         cell(text_of(e, "dataset")) + cell(text_of(e, "purpose")) +
         cell(text_of(e, "lawfulBasis")) + cell(verdict) + cell(text_of(e, "reason")) + "</tr>";
}

route_result search(console_state& s, request_info& r) {
  std::string body = search_form(r);
  if (auto subject = param(r, "subject"); !subject.empty()) {
    if (auto valid = validate_thai_id(subject); !valid)
      co_return error_page(s.config, r, valid.error());
  }
  const bool asked = std::any_of(std::begin(search_fields), std::end(search_fields),
                                 [&](const auto& f) { return r.query.count(f.name); });
  if (!asked) {
    co_return page_answer{200, "text/html; charset=utf-8",
                          render_page(s.config, r, t(r, text::search_title), body)};
  }
  auto doc = co_await hub_json(s, hub_search_target(r));
  if (!doc)
    co_return error_page(s.config, r, doc.error());
  body += "<section aria-live=\"polite\"><h2>" + t(r, text::results) + "</h2>";
  std::string rows;
  for (const auto& row : array_of(*doc, "entries").GetArray()) {
    auto it = row.FindMember("entry");
    if (it != row.MemberEnd() && passes_local_filters(r, it->value))
      rows += result_row(row);
  }
  if (rows.empty()) {
    body += "<p>" + t(r, text::nothing_found) + "</p>";
  } else {
    body += "<table id=\"results\">" +
            table_head(r, {text::index, text::time, text::kind, text::consumer, text::dataset,
                           text::purpose, text::lawful_basis, text::decision, text::reason}) +
            "<tbody>" + rows + "</tbody></table>";
  }
  if (!param(r, "purpose").empty() || !param(r, "lawfulBasis").empty())
    body += "<p class=\"note\">" + t(r, text::filtered_note) + "</p>";
  if (has_number(*doc, "before")) {
    std::string next = "/search?before=" + std::to_string(number_of(*doc, "before"));
    for (const auto& f : search_fields) {
      if (auto v = param(r, f.name); !v.empty())
        next += std::string("&") + f.name + "=" + url_encode(v);
    }
    body += "<p><a rel=\"next\" href=\"" + escape_html(next) + "\">" + t(r, text::next_page) +
            "</a></p>";
  }
  body += "</section>";
  co_return page_answer{200, "text/html; charset=utf-8",
                        render_page(s.config, r, t(r, text::search_title), body)};
}

// ---- one entry ----------------------------------------------------------------------------

std::string fact(const request_info& r, text label, const std::string& value) {
  return "<dt>" + t(r, label) + "</dt><dd>" + escape_html(value.empty() ? "-" : value) + "</dd>";
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items)
    out += (out.empty() ? "" : ", ") + i;
  return out;
}

asio::awaitable<result<raw_entry>> read_entry(console_state& s, std::uint64_t index) {
  auto body = co_await s.hub->get("/v1/log/entries?start=" + std::to_string(index) +
                                  "&end=" + std::to_string(index + 1));
  if (!body)
    co_return std::move(body).error();
  auto page = read_entries_page(*body);
  if (!page)
    co_return std::move(page).error();
  if (page->entries.size() != 1 || page->entries.front().index != index ||
      !page->entries.front().readable)
    co_return make_error(errc::not_found, "entry " + std::to_string(index));
  co_return std::move(page->entries.front());
}

// The outcome that names this decision (decisionIndex), searched by its request id.
asio::awaitable<std::optional<std::uint64_t>> outcome_of(console_state& s,
                                                         const std::string& request_id,
                                                         std::uint64_t decision) {
  if (request_id.empty())
    co_return std::nullopt;
  auto doc = co_await hub_json(
      s, "/v1/log/search?kind=exchange.outcome&limit=100&requestId=" + url_encode(request_id));
  if (!doc)
    co_return std::nullopt;
  for (const auto& row : array_of(*doc, "entries").GetArray()) {
    auto it = row.FindMember("entry");
    if (it != row.MemberEnd() && number_of(it->value, "decisionIndex") == decision &&
        has_number(it->value, "decisionIndex"))
      co_return number_of(row, "index");
  }
  co_return std::nullopt;
}

std::string verification_box(const console_state& s, const request_info& r, const raw_entry& e) {
  // Everything the script needs, as data: the entry's exact bytes, the pinned key, the texts.
  return "<section id=\"verify\" aria-live=\"polite\" data-index=\"" + std::to_string(e.index) +
         "\" data-entry=\"" + crypto::base64url_encode(e.bytes) + "\" data-log-key=\"" +
         escape_html(s.log_key_x) + "\" data-log-kid=\"" + escape_html(s.log_key_id) +
         "\" data-text-verified=\"" + t(r, text::verified) + "\" data-text-failed=\"" +
         t(r, text::verify_failed) + "\" data-text-leaf=\"" + t(r, text::verify_entry_hash) +
         "\" data-text-root=\"" + t(r, text::verify_root) + "\" data-text-signature=\"" +
         t(r, text::verify_signature) + "\"><h2>" + t(r, text::verification) +
         "</h2><p id=\"verify-status\" class=\"pending\">" + t(r, text::verify_pending) +
         "</p><ul id=\"verify-steps\"></ul></section>";
}

route_result entry_page(console_state& s, request_info& r, std::uint64_t index) {
  auto entry = co_await read_entry(s, index);
  if (!entry)
    co_return error_page(s.config, r, entry.error());
  auto doc = parse_json(entry->bytes, {64 * 1024, 16});
  static const rapidjson::Value none(rapidjson::kObjectType);
  const rapidjson::Value& e = doc && doc->IsObject() ? *doc : none;
  const auto kind = text_of(e, "kind");
  std::string body = "<dl class=\"facts\">" + fact(r, text::index, std::to_string(index)) +
                     fact(r, text::kind, kind) + fact(r, text::time, entry_time(e)) +
                     fact(r, text::request_id, text_of(e, "requestId")) +
                     fact(r, text::consumer, text_of(e, "consumer")) +
                     fact(r, text::dataset, text_of(e, "dataset")) +
                     fact(r, text::purpose, text_of(e, "purpose")) +
                     fact(r, text::decision, text_of(e, "decision")) +
                     fact(r, text::reason, text_of(e, "reason")) +
                     fact(r, text::lawful_basis, text_of(e, "lawfulBasis")) +
                     fact(r, text::legal_instrument, text_of(e, "legalInstrument")) +
                     fact(r, text::consent_id, text_of(e, "consentId")) +
                     fact(r, text::fields_requested, joined(texts_of(e, "fieldsRequested"))) +
                     fact(r, text::fields_granted, joined(texts_of(e, "fieldsGranted"))) +
                     fact(r, text::status, text_of(e, "status"));
  if (kind == "exchange.outcome") {
    body += "<dt>" + t(r, text::timings) + "</dt><dd>" + t(r, text::provider_ms) + ": " +
            std::to_string(number_of(e, "providerMicros") / 1000) + " · " + t(r, text::total_ms) +
            ": " + std::to_string(number_of(e, "totalMicros") / 1000) + "</dd>";
    if (has_number(e, "decisionIndex")) {
      const auto d = std::to_string(number_of(e, "decisionIndex"));
      body += "<dt>" + t(r, text::linked_decision) + "</dt><dd><a href=\"/entry/" + d + "\">" + d +
              "</a></dd>";
    }
  }
  if (kind == "exchange.decision") {
    auto outcome = co_await outcome_of(s, text_of(e, "requestId"), index);
    body += "<dt>" + t(r, text::linked_outcome) + "</dt><dd>" +
            (outcome ? "<a id=\"outcome-link\" href=\"/entry/" + std::to_string(*outcome) + "\">" +
                           std::to_string(*outcome) + "</a>"
                     : std::string("-")) +
            "</dd>";
  }
  body += "</dl>" + verification_box(s, r, *entry);
  body += "<details><summary>" + t(r, text::raw_entry) + "</summary><pre id=\"raw-entry\">" +
          escape_html(entry->bytes) + "</pre></details>";
  co_return page_answer{
      200, "text/html; charset=utf-8",
      render_page(s.config, r, t(r, text::entry_title) + " " + std::to_string(index), body,
                  {"verify.js"})};
}

// ---- what the page scripts fetch -------------------------------------------------------------

route_result pass_through(console_state& s, const request_info& r, std::string target) {
  auto body = co_await s.hub->get(std::move(target));
  if (!body) {
    co_return json_answer("{\"code\":\"" + std::string(to_string(body.error().code)) + "\"}",
                          http_status(body.error().code));
  }
  (void)r;
  co_return json_answer(std::move(*body));
}

route_result proof(console_state& s, const request_info& r) {
  auto index = parse_index(param(r, "index"));
  auto size = parse_index(param(r, "size"));
  if (!index || !size)
    co_return json_answer("{\"code\":\"invalid_argument\"}", 400);
  co_return co_await pass_through(
      s, r,
      "/v1/log/proof/inclusion?index=" + std::to_string(*index) + "&size=" + std::to_string(*size));
}

page_answer export_page(console_state& s, const request_info& r) {
  std::string body = "<p>" + t(r, text::export_intro) + "</p>";
  const auto job = param(r, "job");
  if (job.empty()) {
    body +=
        "<form method=\"post\" action=\"/export\"><input type=\"hidden\" name=\"csrf\" value=\"" +
        escape_html(r.signed_in->csrf) + "\"><button type=\"submit\">" + t(r, text::export_start) +
        "</button></form>";
  } else {
    body += "<section id=\"export\" aria-live=\"polite\" data-job=\"" + escape_html(job) +
            "\" data-text-ready=\"" + t(r, text::export_ready) + "\" data-text-failed=\"" +
            t(r, text::export_failed) + "\"><label for=\"export-progress\">" +
            t(r, text::export_progress) +
            "</label> <progress id=\"export-progress\" max=\"1\" "
            "value=\"0\"></progress> <span id=\"export-count\"></span><p id=\"export-status\"></p>"
            "<p><a id=\"export-link\" class=\"button\" hidden href=\"/export/" +
            escape_html(url_encode(job)) + "/download\">" + t(r, text::export_download) +
            "</a></p></section>";
  }
  return {200, "text/html; charset=utf-8",
          render_page(s.config, r, t(r, text::export_title), body, {"export.js"})};
}

}  // namespace

route_result auditor_route(console_state& s, request_info& r) {
  const auto& p = r.path;
  if (r.method == "POST") {
    if (p == "/export")
      co_return co_await start_export(s, r);
    co_return error_page(s.config, r, make_error(errc::not_found, p.substr(0, 80)));
  }
  if (p == "/")
    co_return co_await overview(s, r);
  if (p == "/search")
    co_return co_await search(s, r);
  if (p.starts_with("/entry/")) {
    auto index = parse_index(std::string_view(p).substr(7));
    if (!index)
      co_return error_page(s.config, r, make_error(errc::invalid_argument, "entry: an index"));
    co_return co_await entry_page(s, r, *index);
  }
  if (p == "/api/checkpoint")
    co_return co_await pass_through(s, r, "/v1/log/checkpoint");
  if (p == "/api/proof")
    co_return co_await proof(s, r);
  if (p == "/export")
    co_return export_page(s, r);
  if (p.starts_with("/api/export/"))
    co_return export_progress(s, r, std::string_view(p).substr(12));
  if (p.starts_with("/export/") && p.ends_with("/download"))
    co_return export_download(s, r, std::string_view(p).substr(8, p.size() - 8 - 9));
  co_return error_page(s.config, r, make_error(errc::not_found, p.substr(0, 80)));
}

}  // namespace saphan::console
