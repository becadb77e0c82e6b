// Internal to src/console: what a handler knows about one request, and the page frame every
// HTML answer is built in (language switch, navigation, sign-out form with the CSRF token).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "console/config.hpp"
#include "console/html.hpp"
#include "console/i18n.hpp"
#include "console/session.hpp"
#include "core/error.hpp"

namespace saphan::console {

struct request_info {
  std::string method;
  std::string path;                          // without the query
  std::map<std::string, std::string> query;  // decoded
  std::map<std::string, std::string> form;   // a POST's urlencoded body, decoded
  std::string header_csrf;                   // X-CSRF-Token
  language lang = language::en;
  std::optional<session> signed_in;
};

// What a route answers, before the server adds the security headers.
struct page_answer {
  int status = 200;
  std::string content_type = "text/html; charset=utf-8";
  std::string body;
  std::string location;  // a redirect when set (status 303 or 302)
  std::vector<std::string> cookies;
  std::string download_name;  // Content-Disposition: attachment when set
};

// The whole HTML document around `main_html` (already escaped by the caller), with a title,
// the navigation of the mode, the language switch and, when signed in, the person and a sign-out
// form. `scripts` are paths under /static/.
std::string render_page(const console_config& config, const request_info& request,
                        std::string_view title, std::string_view main_html,
                        const std::vector<std::string>& scripts = {});

// An error page for `e`: the message people can act on (from the text tables), the stable code,
// and the detail escaped.
page_answer error_page(const console_config& config, const request_info& request, const error& e);

// An escaped text in `request.lang`.
std::string t(const request_info& request, text key);

// Helpers for the tables the pages are made of.
std::string table_head(const request_info& request, std::initializer_list<text> columns);
std::string cell(std::string_view raw_text);  // <td> with the text escaped

page_answer redirect(std::string location);
page_answer json_answer(std::string body, int status = 200);

}  // namespace saphan::console
