// Byte encodings used by JOSE and the evidence log. Bytes travel in std::string throughout the
// crypto module (one container, no copies between vector and string at every call).
#pragma once

#include <string>
#include <string_view>

#include "core/result.hpp"

namespace saphan::crypto {

// RFC 4648 section 5 (URL- and filename-safe alphabet), without padding, as JOSE requires.
std::string base64url_encode(std::string_view bytes);

// Strict inverse of base64url_encode: rejects padding, characters outside the alphabet
// (including whitespace), impossible lengths (4n+1) and non-zero trailing bits, so that every
// byte string has exactly one accepted encoding. Errors: invalid_argument naming the offset.
result<std::string> base64url_decode(std::string_view text);

// RFC 4648 section 4 (standard alphabet, '=' padding), as X.509 certificates travel in a JWS
// "x5c" header. The decoder is as strict as base64url_decode: padding only at the end and only as
// much as the length needs, no '-' or '_', no whitespace. Errors: invalid_argument.
std::string base64_encode(std::string_view bytes);
result<std::string> base64_decode(std::string_view text);

// Lower-case hexadecimal.
std::string hex_encode(std::string_view bytes);

// Accepts upper- or lower-case hex of even length. Errors: invalid_argument.
result<std::string> hex_decode(std::string_view text);

// URL percent-decoding (RFC 3986 %XX, either case). `plus_is_space` for form-encoded query
// strings, where '+' stands for a space. Errors: invalid_argument, "truncated percent-encoding"
// or "bad percent-encoding".
result<std::string> percent_decode(std::string_view text, bool plus_is_space = false);

}  // namespace saphan::crypto
