#include "cli/hub_directory.hpp"

#include <filesystem>
#include <system_error>

#include "core/files.hpp"
#include "crypto/encoding.hpp"
#include "crypto/keys.hpp"

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
  auto opened = open_sqlite_store({dir.store_path()});
  if (!opened) return std::move(opened).error();
  return ok();
}

result<std::unique_ptr<store>> open_hub_store(const hub_directory& dir) {
  std::error_code ec;
  if (!fs::is_regular_file(dir.store_path(), ec)) {
    return make_error(errc::not_found,
                      dir.root + " is not a hub directory (run `saphan admin init --dir " + dir.root +
                          "` first)");
  }
  return open_sqlite_store({dir.store_path()});
}

}  // namespace saphan::cli
