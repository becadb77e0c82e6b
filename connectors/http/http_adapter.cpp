#include "connectors/http/http_adapter.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include "net/socket_stream.hpp"

namespace saphan::connector {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr std::string_view subject_placeholder = "{subject}";
constexpr std::size_t max_header_bytes = 16 * 1024;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

class http_adapter final : public record_adapter {
 public:
  http_adapter(url_template url, std::chrono::milliseconds timeout)
      : url_(std::move(url)), timeout_(timeout) {}

  result<std::optional<std::string>> fetch(std::string_view subject) override {
    if (subject.size() > max_subject_bytes) {
      return make_error(errc::invalid_argument,
                        "subject longer than " + std::to_string(max_subject_bytes) + " bytes");
    }
    auto target = url_.before + percent_encode(subject) + url_.after;
    // A private io_context per call: the caller is a worker thread that may block, and the
    // deadline needs asynchronous operations (Beast's synchronous calls ignore expires_after).
    std::optional<result<std::optional<std::string>>> out;
    asio::io_context io;
    asio::co_spawn(
        io,
        [this, target, &out]() -> asio::awaitable<void> { out.emplace(co_await exchange(target)); },
        [&out](std::exception_ptr e) {
          if (e && !out)
            out.emplace(make_error(errc::provider_error, "http adapter: request failed"));
        });
    // The stream's timer bounds connect, write and read; this also bounds name resolution.
    io.run_for(timeout_ + std::chrono::milliseconds(500));
    if (!out)
      return failure("resolve", beast::error::timeout);
    return std::move(*out);
  }

  std::string_view type() const override { return "http"; }

 private:
  asio::awaitable<result<std::optional<std::string>>> exchange(std::string target) const {
    auto executor = co_await asio::this_coro::executor;
    net::socket_stream stream(executor);
    stream.expires_after(timeout_);
    tcp::resolver resolver(executor);
    auto [resolve_ec, endpoints] =
        co_await resolver.async_resolve(url_.host, std::to_string(url_.port), use_tuple);
    if (resolve_ec)
      co_return failure("resolve", resolve_ec);
    auto connect_ec = co_await net::connect_to_any(stream, endpoints);
    if (connect_ec)
      co_return failure("connect", connect_ec);

    http::request<http::empty_body> request{http::verb::get, target, 11};
    request.set(http::field::host, url_.host + ":" + std::to_string(url_.port));
    request.set(http::field::accept, "application/json");
    request.set(http::field::user_agent, "saphan-connector");
    request.keep_alive(false);
    auto [write_ec, written] = co_await http::async_write(stream, request, use_tuple);
    if (write_ec)
      co_return failure("send", write_ec);

    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(max_header_bytes));
    parser.body_limit(max_record_bytes);
    auto [read_ec, read] = co_await http::async_read(stream, buffer, parser, use_tuple);
    if (read_ec == http::error::body_limit) {
      co_return make_error(
          errc::payload_too_large,
          "http adapter: answer over " + std::to_string(max_record_bytes) + " bytes");
    }
    if (read_ec)
      co_return failure("read", read_ec);
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    co_return interpret(parser.release());
  }

  static result<std::optional<std::string>> interpret(http::response<http::string_body> response) {
    if (response.result() == http::status::ok) {
      return std::optional<std::string>{std::move(response.body())};
    }
    if (response.result() == http::status::not_found)
      return std::optional<std::string>{};
    return make_error(errc::provider_error, "http adapter: backend answered HTTP " +
                                                std::to_string(response.result_int()));
  }

  error failure(std::string_view step, const beast::error_code& ec) const {
    auto where = url_.host + ":" + std::to_string(url_.port);
    if (ec == beast::error::timeout) {
      return make_error(errc::provider_timeout, "http adapter: " + std::string(step) + " " + where +
                                                    " took longer than " +
                                                    std::to_string(timeout_.count()) + " ms");
    }
    return make_error(errc::provider_error,
                      "http adapter: " + std::string(step) + " " + where + ": " + ec.message());
  }

  const url_template url_;
  const std::chrono::milliseconds timeout_;
};

bool is_unreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

// Characters a host or target may hold without further thought; anything else in a template is
// refused, so the request line can never be split by a stray space or line break.
bool is_safe_url_char(char c) {
  return c > ' ' && c < 0x7f && c != '"' && c != '<' && c != '>' && c != '\\' && c != '^' &&
         c != '`' && c != '|' && c != '#';
}

result<std::uint16_t> parse_port(std::string_view text) {
  if (text.empty() || text.size() > 5 ||
      text.find_first_not_of("0123456789") != std::string_view::npos) {
    return make_error(errc::invalid_argument, "urlTemplate: port must be a number");
  }
  auto port = std::stoul(std::string(text));
  if (port == 0 || port > 65535)
    return make_error(errc::invalid_argument, "urlTemplate: port out of range");
  return static_cast<std::uint16_t>(port);
}

}  // namespace

std::string percent_encode(std::string_view text) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (is_unreserved(c)) {
      out.push_back(c);
      continue;
    }
    auto byte = static_cast<unsigned char>(c);
    out.push_back('%');
    out.push_back(hex[byte >> 4]);
    out.push_back(hex[byte & 0x0f]);
  }
  return out;
}

result<url_template> parse_url_template(std::string_view text) {
  constexpr std::string_view scheme = "http://";
  if (text.substr(0, scheme.size()) != scheme) {
    return make_error(
        errc::invalid_argument,
        "urlTemplate: must start with http:// (the backend sits next to the connector)");
  }
  if (text.size() > 2048)
    return make_error(errc::invalid_argument, "urlTemplate: longer than 2048 characters");
  for (char c : text) {
    if (!is_safe_url_char(c))
      return make_error(errc::invalid_argument, "urlTemplate: a character not allowed in a URL");
  }
  auto rest = text.substr(scheme.size());
  auto slash = rest.find('/');
  if (slash == std::string_view::npos)
    return make_error(errc::invalid_argument, "urlTemplate: needs a path");
  auto authority = rest.substr(0, slash);
  auto target = rest.substr(slash);
  url_template out;
  auto colon = authority.rfind(':');
  if (colon != std::string_view::npos && authority.find(']') == std::string_view::npos) {
    auto port = SAPHAN_TRY(parse_port(authority.substr(colon + 1)));
    out.port = port;
    authority = authority.substr(0, colon);
  }
  if (authority.empty() || authority.find('@') != std::string_view::npos) {
    return make_error(errc::invalid_argument, "urlTemplate: needs a host (and no user info)");
  }
  out.host = std::string(authority);
  auto at = target.find(subject_placeholder);
  if (at == std::string_view::npos ||
      target.find(subject_placeholder, at + 1) != std::string_view::npos) {
    return make_error(errc::invalid_argument, "urlTemplate: must hold {subject} exactly once");
  }
  out.before = std::string(target.substr(0, at));
  out.after = std::string(target.substr(at + subject_placeholder.size()));
  return out;
}

result<std::shared_ptr<record_adapter>> make_http_adapter(const rapidjson::Value& config,
                                                          const std::string& where,
                                                          const std::string& /*base_dir*/) {
  SAPHAN_TRY_VOID(reject_unknown_members(config, where, {"type", "urlTemplate", "timeoutMs"}));
  json_object obj(config, where, errc::invalid_argument);
  auto text = SAPHAN_TRY(obj.string("urlTemplate"));
  auto url = parse_url_template(text);
  if (!url)
    return make_error(errc::invalid_argument, where + "." + url.error().detail);
  auto timeout = SAPHAN_TRY(bounded_integer(obj, "timeoutMs", 1, 60000, 3000));
  return std::shared_ptr<record_adapter>(
      std::make_shared<http_adapter>(std::move(*url), std::chrono::milliseconds(timeout)));
}

}  // namespace saphan::connector
