// Internal to src/crypto: parsing and writing the parts JWS and JWE share.
#pragma once

#include <rapidjson/document.h>

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "crypto/jose.hpp"

namespace saphan::crypto::detail {

// Splits a compact serialization into exactly `parts` pieces at '.'.
// Errors: `code` naming the count found.
result<std::vector<std::string_view>> split_compact(std::string_view text, std::size_t parts,
                                                    errc code, std::string_view what);

// Decodes and parses a base64url protected header: bounded size and depth, an object, no
// member named twice (parsers that keep the first and those that keep the last would disagree
// on what was signed). Errors: `code`, detail prefixed by `what`.
result<rapidjson::Document> parse_protected_header(std::string_view encoded, errc code,
                                                   std::string_view what);

// The string-valued members of a header except the `skip` ones.
header_members collect_string_members(const rapidjson::Value& header,
                                      std::initializer_list<std::string_view> skip);

// Checks extra member names: 1..64 characters, not in `reserved`. Errors: invalid_argument.
result<void> check_extra_members(const header_members& extra,
                                 std::initializer_list<std::string_view> reserved,
                                 std::string_view what);

// A member list written as a compact JSON object in the given order. Values are strings,
// except those given as raw JSON (already serialised objects). Errors: invalid_argument when a
// name or value is not valid UTF-8.
struct json_member {
  std::string_view name;
  std::string_view value;
  bool raw_json = false;
};
result<std::string> write_object(const std::vector<json_member>& members);

}  // namespace saphan::crypto::detail
