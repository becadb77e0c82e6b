// The lines of the "saphan-evidence-export/1" format (export.hpp) as the writer, the verifier
// and the prover share them: the JSON writer, the members of each kind of line, and the checks of
// a line's values. Private to the evidence module.
#pragma once

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <array>
#include <span>
#include <string>
#include <string_view>

#include "core/json.hpp"
#include "crypto/encoding.hpp"
#include "crypto/hash.hpp"
#include "evidence/export.hpp"

namespace saphan::evidence::lines {

using rapidjson::SizeType;
using rapidjson::Value;

// Validating writer: an entry that is not UTF-8 cannot travel as a JSON string, and saying so
// beats writing a line no verifier can read back.
using json_writer =
    rapidjson::Writer<rapidjson::StringBuffer, rapidjson::UTF8<>, rapidjson::UTF8<>,
                      rapidjson::CrtAllocator, rapidjson::kWriteValidateEncodingFlag>;

constexpr std::size_t checkpoint_page = 1000;
constexpr std::size_t entry_page = 10000;
// Lines are flat objects; the header's logKey is the deepest member.
constexpr std::size_t max_line_depth = 4;

constexpr std::array<std::string_view, 6> header_members = {
    "format", "origin", "logKey", "tsaCertificates", "exportedAt", "treeSize"};
constexpr std::array<std::string_view, 2> entry_members = {"index", "entry"};
constexpr std::array<std::string_view, 2> checkpoint_line_members = {"checkpoint",
                                                                     "timestampToken"};
constexpr std::array<std::string_view, 6> proof_members = {"index", "treeSize", "leafHash",
                                                           "path",  "rootHash", "checkpoint"};

inline std::string_view text_of(const Value& v) {
  return {v.GetString(), v.GetStringLength()};
}

inline std::string b64(const crypto::sha256_digest& d) {
  return crypto::base64url_encode(d.view());
}

// False when `s` is not UTF-8. Checked first: the validating writer alone would read the missing
// bytes of a truncated last sequence from past the end of `s`.
inline bool put_string(json_writer& w, std::string_view s) {
  return is_utf8(s) && w.String(s.data(), static_cast<SizeType>(s.size()));
}

inline void put_key(json_writer& w, std::string_view s) {
  w.Key(s.data(), static_cast<SizeType>(s.size()));
}

// Progress is reported at every multiple of `every`, and once at the end unless the end is one;
// work shorter than one step reports nothing (a small export needs no progress line).
inline bool on_progress_step(std::uint64_t done, std::uint64_t every) {
  return every != 0 && done % every == 0;
}
inline bool ends_progress(std::uint64_t done, std::uint64_t every) {
  return every != 0 && done > every && done % every != 0;
}

inline std::string finish(const rapidjson::StringBuffer& buffer) {
  return std::string(buffer.GetString(), buffer.GetSize());
}

// Same rule as a checkpoint's origin: printable ASCII keeps the note's line structure intact.
result<void> check_origin(std::string_view origin, std::string_view where);

// Exactly the listed members, each once. Unknown or repeated members are refused so that two
// readers can never see different values in one line.
result<void> check_members(const Value& object, std::span<const std::string_view> names,
                           std::string_view where);

result<std::uint64_t> read_size(const Value& v, std::string_view where);

result<std::string> read_string(const Value& v, std::string_view where, std::size_t max_bytes);

}  // namespace saphan::evidence::lines
