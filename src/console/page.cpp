#include "console/page.hpp"

namespace saphan::console {
namespace {

struct nav_item {
  const char* path;
  text label;
};

constexpr nav_item auditor_nav[] = {
    {"/", text::nav_overview}, {"/search", text::nav_search}, {"/export", text::nav_export}};
constexpr nav_item citizen_nav[] = {{"/accesses", text::nav_accesses},
                                    {"/consents", text::nav_consents},
                                    {"/pdpa", text::nav_pdpa}};

std::string navigation(const console_config& config, const request_info& r) {
  std::string out = "<nav aria-label=\"" + t(r, text::main_nav) + "\"><ul>";
  const auto* begin =
      config.mode == console_mode::auditor ? std::begin(auditor_nav) : std::begin(citizen_nav);
  const auto* end =
      config.mode == console_mode::auditor ? std::end(auditor_nav) : std::end(citizen_nav);
  for (const auto* item = begin; item != end; ++item) {
    const bool here = r.path == item->path;
    out += std::string("<li><a href=\"") + item->path + "\"" +
           (here ? " aria-current=\"page\"" : "") + ">" + t(r, item->label) + "</a></li>";
  }
  return out + "</ul></nav>";
}

std::string language_switch(const request_info& r) {
  // A plain link per language: choosing a language changes nothing on the server but a cookie.
  std::string back = url_encode(r.path);
  std::string out =
      "<div class=\"lang\" role=\"group\" aria-label=\"" + t(r, text::language_label) + "\">";
  out += "<a href=\"/lang?to=en&amp;back=" + back + "\" lang=\"en\"" +
         (r.lang == language::en ? " aria-current=\"true\"" : "") + ">English</a> ";
  out += "<a href=\"/lang?to=th&amp;back=" + back + "\" lang=\"th\"" +
         (r.lang == language::th ? " aria-current=\"true\"" : "") + ">ไทย</a>";
  return out + "</div>";
}

std::string who_and_sign_out(const request_info& r) {
  if (!r.signed_in)
    return {};
  const auto& who = r.signed_in->who;
  return "<div class=\"who\"><span>" + t(r, text::signed_in_as) + " <strong>" +
         escape_html(who.name.empty() ? who.sub : who.name) + "</strong></span>" +
         "<form method=\"post\" action=\"/logout\"><input type=\"hidden\" name=\"csrf\" value=\"" +
         escape_html(r.signed_in->csrf) + "\"><button type=\"submit\">" + t(r, text::sign_out) +
         "</button></form></div>";
}

text message_for(errc code) {
  switch (code) {
    case errc::csrf_rejected:
      return text::csrf_refused;
    case errc::forbidden:
    case errc::invalid_citizen_id:
    case errc::unknown_member:
      return text::not_allowed;
    case errc::not_found:
      return text::not_found;
    case errc::unauthenticated:
      return text::sign_in_failed;
    case errc::invalid_argument:
    case errc::invalid_timestamp:
    case errc::malformed_body:
    case errc::search_too_broad:
    case errc::illegal_transition:
      return text::bad_request;
    default:
      return text::hub_failed;
  }
}

}  // namespace

std::string t(const request_info& request, text key) {
  return escape_html(tr(request.lang, key));
}

std::string render_page(const console_config& config, const request_info& r, std::string_view title,
                        std::string_view main_html, const std::vector<std::string>& scripts) {
  const auto app =
      t(r, config.mode == console_mode::auditor ? text::app_auditor : text::app_citizen);
  std::string out = "<!doctype html>\n<html lang=\"" + std::string(language_code(r.lang)) +
                    "\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
                    "content=\"width=device-width, initial-scale=1\"><title>" +
                    std::string(title) + " · " + app +
                    "</title><link rel=\"stylesheet\" href=\"/static/console.css\"></head><body>";
  out += "<a class=\"skip\" href=\"#main\">" + t(r, text::skip_to_content) + "</a>";
  out += "<header><a class=\"brand\" href=\"/\">" + app + "</a>";
  if (r.signed_in)
    out += navigation(config, r);
  out += language_switch(r) + who_and_sign_out(r) + "</header>";
  out += "<main id=\"main\" tabindex=\"-1\"><h1>" + std::string(title) + "</h1>";
  out += main_html;
  out += "</main>";
  for (const auto& s : scripts)
    out += "<script src=\"/static/" + s + "\"></script>";
  return out + "</body></html>\n";
}

page_answer error_page(const console_config& config, const request_info& r, const error& e) {
  const int status = http_status(e.code);
  std::string body = "<div class=\"error\" role=\"alert\"><p>" + t(r, message_for(e.code)) +
                     "</p><p><code>" + escape_html(to_string(e.code)) + "</code> " +
                     escape_html(e.detail) + "</p></div>";
  if (!r.signed_in)
    body += "<p><a class=\"button\" href=\"/login\">" + t(r, text::sign_in) + "</a></p>";
  return {status, "text/html; charset=utf-8",
          render_page(config, r, t(r, text::error_title), body)};
}

std::string table_head(const request_info& request, std::initializer_list<text> columns) {
  std::string out = "<thead><tr>";
  for (auto c : columns)
    out += "<th scope=\"col\">" + t(request, c) + "</th>";
  return out + "</tr></thead>";
}

std::string cell(std::string_view raw_text) {
  return "<td>" + escape_html(raw_text) + "</td>";
}

page_answer redirect(std::string location) {
  page_answer a;
  a.status = 303;
  a.location = std::move(location);
  return a;
}

page_answer json_answer(std::string body, int status) {
  return {status, "application/json", std::move(body)};
}

}  // namespace saphan::console
