// What JWS and JWE share: input limits and the extra protected-header members.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <string>

namespace saphan::crypto {

// Whole JWS/JWE texts and detached payloads above this are refused before any work.
inline constexpr std::size_t max_jose_input_bytes = 16u << 20;  // 16 MiB
// Decoded protected headers above this are refused (they travel in HTTP headers).
inline constexpr std::size_t max_protected_header_bytes = 8u << 10;  // 8 KiB
// Largest plaintext encrypt_to accepts: its compact JWE (base64url, 4/3, plus a header of up to
// 8 KiB) must stay within max_jose_input_bytes, or no recipient could open it.
inline constexpr std::size_t max_plaintext_bytes = (12u << 20) - (16u << 10);  // 12 MiB - 16 KiB
// Nesting allowed in a protected header (the epk member is one level deep).
inline constexpr std::size_t max_protected_header_depth = 4;

// Extra protected-header members with string values, e.g. {"rid": ..., "cns": ...}.
// Names must be 1..64 characters and must not be a member the library itself sets or one that
// changes how the object is processed (see jws.hpp / jwe.hpp).
using header_members = std::map<std::string, std::string, std::less<>>;

}  // namespace saphan::crypto
