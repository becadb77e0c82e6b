// The directory: members (agencies and their subsystems) and their keys.
#pragma once

#include <string>
#include <vector>

#include "core/identifiers.hpp"
#include "core/json.hpp"
#include "core/time.hpp"
#include "law/classification.hpp"

namespace saphan {

// A suspended member is refused at every endpoint of the hub until it is resumed; its entries
// and keys stay as they are.
enum class member_status { active, suspended };

std::string_view to_string(member_status status) noexcept;
result<member_status> parse_member_status(std::string_view text);

struct member_record {
  member_id id;
  std::string name;                 // e.g. "Department of Provincial Administration"
  std::vector<std::string> groups;  // named groups policies may refer to, e.g. "justice"
  classification clearance = classification::open;  // highest level it may receive
  member_status status = member_status::active;

  friend bool operator==(const member_record&, const member_record&) = default;
};

// Group names, as members list them and policies name them ("group:<name>"): [a-z0-9-]{1,64}.
bool is_group_name(std::string_view text) noexcept;

enum class key_use { signing, encryption, tls };

std::string_view to_string(key_use use) noexcept;
result<key_use> parse_key_use(std::string_view text);

struct member_key {
  member_id member;
  std::string key_id;  // "kid", unique per member
  key_use use = key_use::signing;
  // base64url raw key (Ed25519/X25519), or for tls the PEM certificate (its SHA-256 fingerprint,
  // lowercase hex, is the key_id the hub looks a client certificate up by)
  std::string public_key;
  timestamp not_before{};
  timestamp not_after{};
  bool revoked = false;
};

// JSON forms (as in config/members/*.json). Parsing validates ids and names the bad field.
result<member_record> member_from_json(const rapidjson::Value& value);
void member_to_json(const member_record& member, rapidjson::Value& out,
                    rapidjson::Document::AllocatorType& alloc);

}  // namespace saphan
