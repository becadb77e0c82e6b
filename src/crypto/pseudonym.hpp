// The secret that keys subject pseudonyms: the hub's (<hub dir>/keys/pseudonym.key), under which
// the evidence log stores every citizen ID, and a provider connector's, under which it
// pseudonymises records. A fixed-size key that wipes itself, its key file, and the pseudonym.
#pragma once

#include <string>
#include <string_view>

#include "core/result.hpp"
#include "crypto/keys.hpp"

namespace saphan::crypto {

struct pseudonym_key_tag {};
// 32 secret bytes, wiped on destruction.
using pseudonym_key = secret_key_bytes<pseudonym_key_tag, 32>;

// A new key from libsodium's CSPRNG.
pseudonym_key generate_pseudonym_key();

// Errors: invalid_argument when `bytes` is not exactly 32 bytes.
result<pseudonym_key> pseudonym_key_from_bytes(std::string_view bytes);

// A key file holds the 32 bytes as base64url without padding (trailing white space, such as the
// newline an editor adds, is allowed when reading). Written atomically with mode 0600.
// Errors: io_error naming the path.
result<void> write_pseudonym_key_file(const std::string& path, const pseudonym_key& key);
// Errors: io_error and payload_too_large naming the path (missing, unreadable, over 1 KiB),
// invalid_argument "<path>: need 32 base64url bytes".
result<pseudonym_key> read_pseudonym_key_file(const std::string& path);

// The keyed pseudonym of a citizen ID, as the hub's evidence log stores it: lower-case hex of
// HMAC-SHA-256(key, citizen). The same citizen gives the same pseudonym under one key, so a
// lookup by citizen ID recomputes it; without the key it reveals nothing.
std::string subject_pseudonym(const pseudonym_key& key, std::string_view citizen);

}  // namespace saphan::crypto
