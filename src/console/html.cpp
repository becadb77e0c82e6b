#include "console/html.hpp"

#include "core/json.hpp"
#include "crypto/encoding.hpp"

namespace saphan::console {
namespace {

constexpr std::string_view replacement = "\xEF\xBF\xBD";  // U+FFFD
constexpr std::size_t max_query_pairs = 32;
constexpr std::size_t max_query_part = 512;

void escape_valid(std::string_view text, std::string& out) {
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    switch (ch) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        if ((c < 0x20 && ch != '\t' && ch != '\n') || c == 0x7f)
          break;
        out.push_back(ch);
    }
  }
}

}  // namespace

std::string escape_html(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  while (!text.empty()) {
    const auto bad = first_invalid_utf8(text);
    if (!bad) {
      escape_valid(text, out);
      break;
    }
    escape_valid(text.substr(0, *bad), out);
    out += replacement;
    text.remove_prefix(*bad + 1);
  }
  return out;
}

std::string readable_time(std::string_view t) {
  // The shape is checked position by position: digits where digits go, the separators, a Z.
  constexpr std::string_view shape = "dddd-dd-ddTdd:dd:dd";
  if (t.size() < shape.size() + 1 || t.back() != 'Z')
    return std::string(t);
  for (std::size_t i = 0; i < shape.size(); ++i) {
    const bool digit = t[i] >= '0' && t[i] <= '9';
    if (shape[i] == 'd' ? !digit : t[i] != shape[i])
      return std::string(t);
  }
  return std::string(t.substr(0, 10)) + " " + std::string(t.substr(11, 8)) + " UTC";
}

std::string url_encode(std::string_view text) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    const bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                            (c >= '0' && c <= '9') || ch == '-' || ch == '.' || ch == '_' ||
                            ch == '~';
    if (unreserved) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

bool parse_query(std::string_view query,
                 const std::function<void(std::string name, std::string value)>& each) {
  std::size_t pairs = 0;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const auto pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty())
      continue;
    if (++pairs > max_query_pairs)
      return false;
    const auto eq = pair.find('=');
    auto name = crypto::percent_decode(pair.substr(0, eq), true);
    auto value = crypto::percent_decode(
        eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1), true);
    if (!name || !value || name->empty() || name->size() > max_query_part ||
        value->size() > max_query_part || !is_utf8(*name) || !is_utf8(*value)) {
      return false;
    }
    each(std::move(*name), std::move(*value));
  }
  return true;
}

}  // namespace saphan::console
