// RFC 3161 over HTTP: the TSA's answer to one request, and the client that asks a TSA.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <cctype>

#include "tsa/http.hpp"

namespace saphan::tsa {
namespace {

namespace asio = net::asio;
namespace http = net::http;

template <class Text>
std::string_view view_of(const Text& text) {
  return std::string_view(text.data(), text.size());
}

// "application/timestamp-query; charset=x" and any letter case name the same media type.
bool media_type_is(std::string_view header, std::string_view wanted) {
  auto semicolon = header.find(';');
  if (semicolon != std::string_view::npos)
    header = header.substr(0, semicolon);
  while (!header.empty() && (header.back() == ' ' || header.back() == '\t'))
    header.remove_suffix(1);
  while (!header.empty() && (header.front() == ' ' || header.front() == '\t'))
    header.remove_prefix(1);
  if (header.size() != wanted.size())
    return false;
  for (std::size_t i = 0; i < header.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(header[i])) != wanted[i])
      return false;
  }
  return true;
}

struct handler_state {
  tsa_signer signer;
  serial_source serials;
};

asio::awaitable<net::http_response> answer_now(std::shared_ptr<const handler_state> state,
                                               const net::http_request& request) {
  co_return answer_http(state->signer, state->serials, request, now_utc());
}

asio::awaitable<void> request_into(net::http_client& client, net::endpoint tsa,
                                   crypto::sha256_digest digest, std::chrono::milliseconds timeout,
                                   std::optional<result<std::string>>& out) {
  out.emplace(co_await request_timestamp(client, tsa, digest, timeout));
}

}  // namespace

net::http_response answer_http(const tsa_signer& signer, const serial_source& serials,
                               const net::http_request& request, timestamp now) {
  auto problem = [&](errc code, std::string detail) {
    return net::make_problem(request.version(), request.keep_alive(),
                             make_error(code, std::move(detail)));
  };
  if (view_of(request.target()) != "/")
    return problem(errc::not_found, "target: the TSA answers POST / only");
  if (request.method() != http::verb::post) {
    auto response = problem(errc::method_not_allowed, "method: time-stamp queries are POSTed");
    response.set(http::field::allow, "POST");
    return response;
  }
  if (!media_type_is(view_of(request[http::field::content_type]), query_content_type)) {
    return problem(errc::invalid_argument,
                   "Content-Type: must be " + std::string(query_content_type));
  }
  if (request.body().size() > max_request_bytes) {
    return problem(errc::payload_too_large,
                   "body: larger than " + std::to_string(max_request_bytes) + " bytes");
  }
  auto reply = signer.respond(request.body(), serials, now);
  // The detail of an internal failure stays in the TSA: a client can do nothing with it.
  if (!reply)
    return problem(reply.error().code, "the time-stamp response could not be made");
  return net::make_response(request.version(), request.keep_alive(), http::status::ok,
                            std::move(*reply), reply_content_type);
}

net::http_limits server_limits() {
  net::http_limits limits;
  limits.max_header_bytes = 8 * 1024;
  limits.max_body_bytes = max_request_bytes;
  limits.handshake_timeout = std::chrono::milliseconds(5000);
  limits.request_timeout = std::chrono::milliseconds(5000);
  limits.idle_timeout = std::chrono::milliseconds(30000);
  limits.max_connections = 256;
  limits.max_in_flight = 64;
  return limits;
}

net::http_limits reply_client_limits() {
  net::http_limits limits;
  limits.max_body_bytes = max_response_bytes;
  return limits;
}

net::request_handler make_handler(tsa_signer signer, serial_source serials) {
  auto state =
      std::make_shared<const handler_state>(handler_state{std::move(signer), std::move(serials)});
  // Not a coroutine itself: the state travels by value into answer_now's frame.
  return [state](net::http_request& request, const net::peer_info&) {
    return answer_now(state, request);
  };
}

asio::awaitable<result<std::string>> request_timestamp(net::http_client& client,
                                                       const net::endpoint& tsa,
                                                       const crypto::sha256_digest& digest,
                                                       std::chrono::milliseconds timeout) {
  auto nonce = random_nonce();
  if (!nonce)
    co_return std::move(nonce).error();
  auto query = make_request(digest, *nonce);
  if (!query)
    co_return std::move(query).error();
  net::http_request request{http::verb::post, "/", 11};
  request.set(http::field::content_type, query_content_type);
  request.set(http::field::accept, reply_content_type);
  request.body() = std::move(*query);
  auto response = co_await client.send(tsa, std::move(request), timeout);
  if (!response)
    co_return std::move(response).error();
  if (response->result() != http::status::ok) {
    co_return make_error(errc::provider_error, "TSA " + tsa.host + ":" + std::to_string(tsa.port) +
                                                   " answered HTTP " +
                                                   std::to_string(response->result_int()));
  }
  if (!media_type_is(view_of((*response)[http::field::content_type]), reply_content_type)) {
    co_return make_error(errc::timestamp_invalid,
                         "reply: Content-Type must be " + std::string(reply_content_type));
  }
  if (response->body().size() > max_response_bytes) {
    co_return make_error(errc::payload_too_large,
                         "reply: larger than " + std::to_string(max_response_bytes) + " bytes");
  }
  auto checked = check_reply(response->body(), digest, *nonce);
  if (!checked)
    co_return std::move(checked).error();
  co_return std::move(response->body());
}

result<std::string> request_timestamp_blocking(const std::string& tsa_url,
                                               const crypto::sha256_digest& digest,
                                               std::chrono::milliseconds timeout,
                                               std::shared_ptr<net::tls_context> tls) {
  auto tsa = net::parse_endpoint(tsa_url);
  if (!tsa)
    return std::move(tsa).error();
  if (tsa->tls && !tls)
    return make_error(errc::invalid_argument, "tsa_url: https needs a TLS client context");
  asio::io_context io;
  net::http_client client(io.get_executor(), std::move(tls), reply_client_limits());
  std::optional<result<std::string>> out;
  asio::co_spawn(io, request_into(client, *tsa, digest, timeout, out), asio::detached);
  io.run();
  if (!out)
    return make_error(errc::internal, "time-stamp request ended without an answer");
  return std::move(*out);
}

}  // namespace saphan::tsa
