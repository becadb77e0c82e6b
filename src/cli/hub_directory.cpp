#include "cli/hub_directory.hpp"

#include <filesystem>
#include <system_error>

#include "core/files.hpp"
#include "crypto/encoding.hpp"
#include "crypto/keys.hpp"
#include "evidence/audited_store.hpp"

namespace saphan::cli {

namespace fs = std::filesystem;

result<void> init_hub_directory(const hub_directory& dir) {
  std::error_code ec;
  if (fs::exists(dir.store_path(), ec)) {
    return make_error(errc::already_exists, dir.root + " already holds a hub");
  }
  fs::create_directories(dir.keys_dir(), ec);
  if (ec) return make_error(errc::io_error, dir.keys_dir() + ": " + ec.message());
  fs::permissions(dir.keys_dir(), fs::perms::owner_all, fs::perm_options::replace, ec);
  if (fs::exists(dir.hub_signing_key(), ec)) {
    return make_error(errc::already_exists, dir.hub_signing_key() + " already exists");
  }
  // Keys first, store last: the store's presence is what marks a finished hub directory.
  auto signing = crypto::generate_signing_key();
  const std::string kid = "hub-" + crypto::random_id().substr(0, 8);
  SAPHAN_TRY_VOID(crypto::write_private_key_file(dir.hub_signing_key(), signing, kid));
  SAPHAN_TRY_VOID(crypto::write_public_key_file(dir.hub_public_key(), signing.public_key, kid));
  SAPHAN_TRY_VOID(write_file_atomic(dir.pseudonym_key(),
                                    crypto::base64url_encode(crypto::random_bytes(32)), 0600));
  auto log_key = load_or_create_log_key(dir);
  if (!log_key) return std::move(log_key).error();
  auto opened = open_sqlite_store({dir.store_path()});
  if (!opened) return std::move(opened).error();
  return ok();
}

result<crypto::signing_jwk> load_or_create_log_key(const hub_directory& dir) {
  std::error_code ec;
  if (fs::exists(dir.log_signing_key(), ec)) return crypto::read_signing_key_file(dir.log_signing_key());
  auto key = crypto::generate_signing_key();
  const std::string kid = "log-" + crypto::random_id().substr(0, 8);
  SAPHAN_TRY_VOID(crypto::write_public_key_file(dir.log_public_key(), key.public_key, kid));
  SAPHAN_TRY_VOID(crypto::write_private_key_file(dir.log_signing_key(), key, kid));
  return crypto::signing_jwk{key, kid};
}

result<std::unique_ptr<store>> open_hub_store_unaudited(const hub_directory& dir) {
  std::error_code ec;
  if (!fs::is_regular_file(dir.store_path(), ec)) {
    return make_error(errc::not_found,
                      dir.root + " is not a hub directory (run `saphan admin init --dir " + dir.root +
                          "` first)");
  }
  return open_sqlite_store({dir.store_path()});
}

result<std::unique_ptr<store>> open_hub_store(const hub_directory& dir, std::string actor) {
  auto db = open_hub_store_unaudited(dir);
  if (!db) return db;
  auto secret_text = read_file(dir.pseudonym_key(), 1024);
  if (!secret_text) return std::move(secret_text).error();
  auto secret = crypto::base64url_decode(*secret_text);
  if (!secret || secret->size() < 32) {
    return make_error(errc::invalid_argument, dir.pseudonym_key() + ": need 32 base64url bytes");
  }
  return evidence::make_audited_store(std::move(*db), std::move(*secret), std::move(actor));
}

}  // namespace saphan::cli
