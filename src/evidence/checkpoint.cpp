#include "evidence/checkpoint.hpp"

#include <array>

#include "core/json.hpp"
#include "crypto/encoding.hpp"
#include "merkle/merkle.hpp"

namespace saphan::evidence {
namespace {

using rapidjson::SizeType;
using rapidjson::Value;

constexpr std::array<std::string_view, 6> checkpoint_members = {
    "origin", "tree_size", "root_hash", "timestamp", "key_id", "signature"};

// RFC 4648 section 4 with padding: the note format uses the standard alphabet, as checkpoints in
// the transparency-dev ecosystem do, so existing tooling can read the root line.
std::string base64_standard(std::string_view bytes) {
  static constexpr std::string_view alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t v = (std::uint32_t{static_cast<std::uint8_t>(bytes[i])} << 16) |
                            (std::uint32_t{static_cast<std::uint8_t>(bytes[i + 1])} << 8) |
                            std::uint32_t{static_cast<std::uint8_t>(bytes[i + 2])};
    for (int shift = 18; shift >= 0; shift -= 6)
      out.push_back(alphabet[(v >> shift) & 63]);
  }
  const std::size_t rest = bytes.size() - i;
  if (rest == 0)
    return out;
  std::uint32_t v = std::uint32_t{static_cast<std::uint8_t>(bytes[i])} << 16;
  if (rest == 2)
    v |= std::uint32_t{static_cast<std::uint8_t>(bytes[i + 1])} << 8;
  out.push_back(alphabet[(v >> 18) & 63]);
  out.push_back(alphabet[(v >> 12) & 63]);
  out.push_back(rest == 2 ? alphabet[(v >> 6) & 63] : '=');
  out.push_back('=');
  return out;
}

error invalid(std::string_view field, std::string_view rule) {
  return make_error(errc::invalid_argument,
                    "checkpoint." + std::string(field) + ": " + std::string(rule));
}

// Printable ASCII only: a newline would let one origin forge the line structure of the note.
result<void> check_origin(std::string_view origin) {
  if (origin.empty() || origin.size() > max_origin_bytes) {
    return invalid("origin", "must be 1 to 256 characters");
  }
  for (char c : origin) {
    if (c < 0x20 || c > 0x7e)
      return invalid("origin", "must be printable ASCII (no newline)");
  }
  return ok();
}

bool is_key_id_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == ':' || c == '/' || c == '-';
}

result<void> check_key_id(std::string_view key_id) {
  if (key_id.empty() || key_id.size() > max_key_id_bytes) {
    return invalid("key_id", "must be 1 to 128 characters");
  }
  for (char c : key_id) {
    if (!is_key_id_char(c))
      return invalid("key_id", "must use only [A-Za-z0-9._:/-]");
  }
  return ok();
}

result<void> check_fields(const checkpoint& cp) {
  SAPHAN_TRY_VOID(check_origin(cp.origin));
  SAPHAN_TRY_VOID(check_key_id(cp.key_id));
  if (cp.tree_size > merkle::max_tree_size)
    return invalid("tree_size", "must be at most 2^63-1");
  return ok();
}

Value text(std::string_view s, rapidjson::Document::AllocatorType& alloc) {
  return Value(s.data(), static_cast<SizeType>(s.size()), alloc);
}

result<void> check_members(const Value& object) {
  if (auto unknown = find_unexpected_member(object, checkpoint_members))
    return invalid(unknown->name.substr(0, 64), "unknown member");
  // All six are required below; more than six members means one is repeated.
  if (object.MemberCount() > checkpoint_members.size()) {
    return make_error(errc::malformed_json, "checkpoint: a member appears more than once");
  }
  return ok();
}

template <std::size_t N>
result<std::string> decode_fixed(const json_object& obj, std::string_view name) {
  auto encoded = SAPHAN_TRY(obj.string(name));
  auto raw = crypto::base64url_decode(encoded);
  if (!raw || raw->size() != N) {
    return invalid(name, "must be " + std::to_string(N) + " bytes in unpadded base64url");
  }
  return std::move(*raw);
}

result<saphan::timestamp> parse_canonical_time(const json_object& obj) {
  auto textual = SAPHAN_TRY(obj.string("timestamp"));
  auto parsed = parse_rfc3339(textual);
  if (!parsed) {
    return make_error(errc::invalid_timestamp,
                      "checkpoint.timestamp: " + std::move(parsed).error().detail);
  }
  // One accepted spelling per instant, so the JSON and the signed note cannot disagree.
  if (format_rfc3339(*parsed) != textual) {
    return make_error(errc::invalid_timestamp,
                      "checkpoint.timestamp: must be canonical: UTC with 'Z', 6 fraction "
                      "digits or none");
  }
  return *parsed;
}

result<checkpoint> read_checkpoint(const json_object& obj) {
  checkpoint cp;
  auto origin = SAPHAN_TRY(obj.string("origin"));
  cp.origin = std::move(origin);
  auto size = SAPHAN_TRY(obj.integer("tree_size"));
  if (size < 0)
    return invalid("tree_size", "must not be negative");
  cp.tree_size = static_cast<std::uint64_t>(size);
  auto root = SAPHAN_TRY(decode_fixed<crypto::sha256_digest::size>(obj, "root_hash"));
  auto digest = SAPHAN_TRY(crypto::sha256_from_bytes(root));
  cp.root_hash = digest;
  auto time = SAPHAN_TRY(parse_canonical_time(obj));
  cp.timestamp = time;
  auto key_id = SAPHAN_TRY(obj.string("key_id"));
  cp.key_id = std::move(key_id);
  auto signature = SAPHAN_TRY(decode_fixed<ed25519_signature_bytes>(obj, "signature"));
  cp.signature = std::move(signature);
  SAPHAN_TRY_VOID(check_fields(cp));
  return cp;
}

}  // namespace

std::string checkpoint_signed_text(const checkpoint& cp) {
  std::string note;
  note.reserve(cp.origin.size() + 96);
  note.append(cp.origin).push_back('\n');
  note.append(std::to_string(cp.tree_size)).push_back('\n');
  note.append(base64_standard(cp.root_hash.view())).push_back('\n');
  note.append(format_rfc3339(cp.timestamp)).push_back('\n');
  return note;
}

result<checkpoint> sign_checkpoint(std::string origin, std::uint64_t tree_size,
                                   const crypto::sha256_digest& root_hash, ::saphan::timestamp time,
                                   std::string key_id, const crypto::ed25519_secret_key& key) {
  checkpoint cp{std::move(origin), tree_size, root_hash, time, std::move(key_id), {}};
  SAPHAN_TRY_VOID(check_fields(cp));
  cp.signature = crypto::sign_ed25519(checkpoint_signed_text(cp), key);
  return cp;
}

result<void> verify_checkpoint(const checkpoint& cp, const crypto::ed25519_public_key& key) {
  SAPHAN_TRY_VOID(check_fields(cp));
  if (cp.signature.size() != ed25519_signature_bytes) {
    return invalid("signature", "must be 64 bytes, got " + std::to_string(cp.signature.size()));
  }
  if (!crypto::verify_ed25519(checkpoint_signed_text(cp), cp.signature, key)) {
    return make_error(errc::bad_signature, "checkpoint.signature: does not verify for origin '" +
                                               cp.origin + "', tree_size " +
                                               std::to_string(cp.tree_size) + ", key_id '" +
                                               cp.key_id + "'");
  }
  return ok();
}

std::string checkpoint_to_json(const checkpoint& cp) {
  rapidjson::Document doc(rapidjson::kObjectType);
  auto& alloc = doc.GetAllocator();
  doc.AddMember("origin", text(cp.origin, alloc), alloc);
  doc.AddMember("tree_size", Value(static_cast<std::int64_t>(cp.tree_size)), alloc);
  doc.AddMember("root_hash", text(crypto::base64url_encode(cp.root_hash.view()), alloc), alloc);
  doc.AddMember("timestamp", text(format_rfc3339(cp.timestamp), alloc), alloc);
  doc.AddMember("key_id", text(cp.key_id, alloc), alloc);
  doc.AddMember("signature", text(crypto::base64url_encode(cp.signature), alloc), alloc);
  return write_json(doc);
}

result<checkpoint> checkpoint_from_json(std::string_view json) {
  auto doc = SAPHAN_TRY(parse_json(json, json_limits{max_checkpoint_json_bytes, 2}));
  auto obj = SAPHAN_TRY(json_object::of(doc, "checkpoint"));
  SAPHAN_TRY_VOID(check_members(doc));
  return read_checkpoint(obj);
}

}  // namespace saphan::evidence
