// RFC 3161 over HTTP (section 3.4: POST application/timestamp-query, answer
// application/timestamp-reply): the authority's handler and the client that asks it.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "net/http.hpp"
#include "tsa/timestamp.hpp"

namespace saphan::tsa {

// The HTTP answer of a TSA to one request: POST / with Content-Type application/timestamp-query
// gets 200 and an application/timestamp-reply body (which may be a rejection); other methods
// 405, other paths 404, other content types 400, all as problem+json. Pure apart from signing.
net::http_response answer_http(const tsa_signer& signer, const serial_source& serials,
                               const net::http_request& request, timestamp now);

// Limits for a TSA server: bodies up to max_request_bytes, short deadlines.
net::http_limits server_limits();

// A handler for net::http_server that answers with answer_http at now_utc(). Signing one token
// (one ECDSA P-256 signature) takes tens of microseconds, so it runs on the I/O thread.
net::request_handler make_handler(tsa_signer signer, serial_source serials);

// Asks the TSA at `tsa` (an http:// or https:// endpoint; POST /) for a token over `digest`,
// with a fresh random nonce, and checks the reply with check_reply. Returns the DER
// TimeStampResp, to be verified with verify_token before it is trusted.
// `client` should be made with reply_client_limits() so oversized answers are cut off.
// Errors: provider_unreachable, provider_timeout (network, as net::http_client),
// provider_error (HTTP status other than 200), payload_too_large, timestamp_invalid (wrong
// content type, malformed reply, rejection, imprint or nonce mismatch), internal.
boost::asio::awaitable<result<std::string>> request_timestamp(net::http_client& client,
                                                              const net::endpoint& tsa,
                                                              const crypto::sha256_digest& digest,
                                                              std::chrono::milliseconds timeout);

// Client limits matching max_response_bytes.
net::http_limits reply_client_limits();

// request_timestamp on a private io_context, for the command line and tests. `tsa_url` is
// "http://host:port" or "https://host:port" (https needs `tls`). Blocks up to `timeout`.
result<std::string> request_timestamp_blocking(const std::string& tsa_url,
                                               const crypto::sha256_digest& digest,
                                               std::chrono::milliseconds timeout,
                                               std::shared_ptr<net::tls_context> tls = {});

}  // namespace saphan::tsa
