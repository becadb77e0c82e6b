#include "crypto/pseudonym.hpp"

#include <cstring>

#include "core/files.hpp"
#include "crypto/encoding.hpp"
#include "crypto/hash.hpp"

namespace saphan::crypto {
namespace {

constexpr std::size_t max_key_file_bytes = 1024;

// A std::string holding secret bytes, wiped when it goes out of scope.
struct wiped_text {
  std::string text;
  ~wiped_text() { wipe_secret(text.data(), text.size()); }
};

std::string_view without_trailing_space(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' '))
    text.remove_suffix(1);
  return text;
}

}  // namespace

pseudonym_key generate_pseudonym_key() {
  wiped_text bytes{random_bytes(pseudonym_key::size)};
  pseudonym_key key;
  std::memcpy(key.data(), bytes.text.data(), pseudonym_key::size);
  return key;
}

result<pseudonym_key> pseudonym_key_from_bytes(std::string_view bytes) {
  if (bytes.size() != pseudonym_key::size) {
    return make_error(errc::invalid_argument, "pseudonym key: must be exactly " +
                                                  std::to_string(pseudonym_key::size) +
                                                  " bytes, got " + std::to_string(bytes.size()));
  }
  pseudonym_key key;
  std::memcpy(key.data(), bytes.data(), pseudonym_key::size);
  return key;
}

result<void> write_pseudonym_key_file(const std::string& path, const pseudonym_key& key) {
  wiped_text text{base64url_encode(key.view())};
  return write_file_atomic(path, text.text, 0600);
}

result<pseudonym_key> read_pseudonym_key_file(const std::string& path) {
  auto read = SAPHAN_TRY(read_file(path, max_key_file_bytes));
  wiped_text text{std::move(read)};
  auto decoded = base64url_decode(without_trailing_space(text.text));
  if (!decoded)
    return make_error(errc::invalid_argument, path + ": need 32 base64url bytes");
  wiped_text bytes{std::move(*decoded)};
  auto key = pseudonym_key_from_bytes(bytes.text);
  if (!key)
    return make_error(errc::invalid_argument, path + ": need 32 base64url bytes");
  return key;
}

std::string subject_pseudonym(const pseudonym_key& key, std::string_view citizen) {
  return hmac_sha256(key.view(), citizen).to_hex();
}

}  // namespace saphan::crypto
