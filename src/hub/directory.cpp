#include "hub/directory.hpp"

#include <filesystem>
#include <system_error>
#include <vector>

#include "core/json.hpp"
#include "crypto/keys.hpp"
#include "crypto/pseudonym.hpp"
#include "evidence/audited_store.hpp"

namespace saphan::hub {

namespace fs = std::filesystem;

namespace {

// What init made so far, removed again unless init finishes: a failed init leaves the directory
// as it found it, so it can simply be run again.
class undo_on_failure {
 public:
  ~undo_on_failure() {
    if (done_)
      return;
    std::error_code ignored;
    for (auto it = made_.rbegin(); it != made_.rend(); ++it)
      fs::remove(*it, ignored);
  }
  void made(std::string path) { made_.push_back(std::move(path)); }
  void finished() { done_ = true; }

 private:
  std::vector<std::string> made_;
  bool done_ = false;
};

result<void> refuse_existing(const std::vector<std::string>& paths) {
  std::error_code ec;
  for (const auto& p : paths) {
    if (fs::exists(p, ec))
      return make_error(errc::already_exists, p + " already exists");
  }
  return ok();
}

}  // namespace

result<std::string> hub_directory::store_location() const {
  if (!store.empty())
    return store;
  std::error_code ec;
  if (!fs::is_regular_file(config_path(), ec))
    return store_path();
  auto doc = SAPHAN_TRY(read_json_file(config_path()));
  auto root_object = SAPHAN_TRY(json_object::of(doc, "config", errc::invalid_argument));
  auto given = SAPHAN_TRY(root_object.optional_string("store"));
  if (!given)
    return store_path();
  if (given->empty())
    return make_error(errc::invalid_argument, "config.store: must not be empty");
  if (is_postgresql_location(*given) || fs::path(*given).is_absolute())
    return *given;
  return (fs::path(root) / *given).lexically_normal().string();
}

result<void> init_hub_directory(const hub_directory& dir) {
  std::error_code ec;
  const auto location = SAPHAN_TRY(dir.store_location());
  const bool in_database = is_postgresql_location(location);
  if (!in_database && fs::exists(location, ec)) {
    return make_error(errc::already_exists, dir.root + " already holds a hub");
  }
  SAPHAN_TRY_VOID(refuse_existing({dir.hub_signing_key(), dir.hub_public_key(), dir.pseudonym_key(),
                                   dir.log_signing_key(), dir.log_public_key()}));
  undo_on_failure undo;
  std::vector<fs::path> missing;  // keys/ and those of its parents that do not exist yet
  for (auto p = fs::absolute(dir.keys_dir()); !fs::exists(p, ec); p = p.parent_path()) {
    missing.push_back(p);
  }
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    if (!fs::create_directory(*it, ec) || ec) {
      return make_error(errc::io_error, it->string() + ": " + ec.message());
    }
    undo.made(it->string());
  }
  fs::permissions(dir.keys_dir(), fs::perms::owner_all, fs::perm_options::replace, ec);
  if (ec)
    return make_error(errc::io_error, dir.keys_dir() + ": " + ec.message());

  // Keys first, store last: the store's presence is what marks a finished hub directory.
  auto signing = crypto::generate_signing_key();
  const std::string kid = "hub-" + crypto::random_id().substr(0, 8);
  undo.made(dir.hub_signing_key());
  SAPHAN_TRY_VOID(crypto::write_private_key_file(dir.hub_signing_key(), signing, kid));
  undo.made(dir.hub_public_key());
  SAPHAN_TRY_VOID(crypto::write_public_key_file(dir.hub_public_key(), signing.public_key, kid));
  undo.made(dir.pseudonym_key());
  SAPHAN_TRY_VOID(
      crypto::write_pseudonym_key_file(dir.pseudonym_key(), crypto::generate_pseudonym_key()));
  undo.made(dir.log_signing_key());
  undo.made(dir.log_public_key());
  SAPHAN_TRY_VOID(load_or_create_log_key(dir));
  if (!in_database) {
    for (const char* suffix : {"", "-wal", "-shm"})
      undo.made(location + suffix);
  }
  auto opened = SAPHAN_TRY(open_store(location));
  // A database is shared by every node of a hub: one that already holds a log or members is
  // another hub's, and keys made here would not match its log.
  if (in_database) {
    const auto entries = SAPHAN_TRY(opened->log_size());
    const auto members = SAPHAN_TRY(opened->list_members());
    if (entries != 0 || !members.empty())
      return make_error(errc::already_exists, "the database already holds a hub");
  }
  opened.reset();  // closed before it counts as finished
  undo.finished();
  return ok();
}

result<crypto::signing_jwk> load_or_create_log_key(const hub_directory& dir) {
  std::error_code ec;
  if (fs::exists(dir.log_signing_key(), ec))
    return crypto::read_signing_key_file(dir.log_signing_key());
  auto key = crypto::generate_signing_key();
  const std::string kid = "log-" + crypto::random_id().substr(0, 8);
  SAPHAN_TRY_VOID(crypto::write_public_key_file(dir.log_public_key(), key.public_key, kid));
  SAPHAN_TRY_VOID(crypto::write_private_key_file(dir.log_signing_key(), key, kid));
  return crypto::signing_jwk{key, kid};
}

result<std::unique_ptr<store>> open_hub_store_unaudited(const hub_directory& dir,
                                                        store_access access) {
  std::error_code ec;
  const auto location = SAPHAN_TRY(dir.store_location());
  // A hub directory is finished once its store exists (a file), or its keys (the store is a
  // PostgreSQL database, which init migrated).
  const auto marker = is_postgresql_location(location) ? dir.hub_signing_key() : location;
  if (!fs::is_regular_file(marker, ec)) {
    return make_error(errc::not_found,
                      dir.root + " is not a hub directory (run `saphan admin init --dir " +
                          dir.root + "` first)");
  }
  return open_store(location, access);
}

result<std::unique_ptr<store>> open_hub_store(const hub_directory& dir, std::string actor) {
  auto db = open_hub_store_unaudited(dir);
  if (!db)
    return db;
  auto key = SAPHAN_TRY(crypto::read_pseudonym_key_file(dir.pseudonym_key()));
  return evidence::make_audited_store(std::move(*db), std::move(key), std::move(actor));
}

}  // namespace saphan::hub
