// The one escape function every page uses for what it did not write itself (entries of the log,
// answers of the hub, claims of the provider, query parameters), and URL encoding for links.
// Pages are built server-side as text; the page scripts only ever set textContent.
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace saphan::console {

// & < > " ' become character references; bytes that are not UTF-8 become U+FFFD, and control
// characters other than tab and newline are dropped, so nothing from the log can open a tag, an
// attribute or a script, whatever context it is put in (text or a quoted attribute).
std::string escape_html(std::string_view text);

// An RFC 3339 UTC time of the hub ("2026-12-04T19:48:22.798098Z") as people read it
// ("2026-12-04 19:48:22 UTC"); anything of another shape comes back as it was (to be escaped).
std::string readable_time(std::string_view rfc3339);

// RFC 3986 percent-encoding of everything but the unreserved characters: for query values.
std::string url_encode(std::string_view text);

// A query string's name=value pairs, decoded ('+' is a space). Pairs that do not decode, empty
// names, names or values over 512 bytes and more than 32 pairs make it nullopt-like: false.
bool parse_query(std::string_view query,
                 const std::function<void(std::string name, std::string value)>& each);

}  // namespace saphan::console
