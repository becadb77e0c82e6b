// The hub directory on disk: <dir>/store.db (the embedded store) and <dir>/keys/ (hub secrets).
#pragma once

#include <memory>
#include <string>

#include "store/store.hpp"

namespace saphan::cli {

struct hub_directory {
  std::string root;

  std::string store_path() const { return root + "/store.db"; }
  std::string keys_dir() const { return root + "/keys"; }
  std::string hub_signing_key() const { return keys_dir() + "/hub-signing.jwk"; }
  std::string hub_public_key() const { return keys_dir() + "/hub-signing.pub.jwk"; }
  std::string pseudonym_key() const { return keys_dir() + "/pseudonym.key"; }
};

// Creates the directory, the store and the hub's keys: an Ed25519 signing key (with its
// public half for connectors) and the secret that keys subject pseudonyms in the log. Errors: already_exists if it holds a store.
result<void> init_hub_directory(const hub_directory& dir);

// Opens an initialised hub. Errors: not_found when `dir` is not a hub directory.
result<std::unique_ptr<store>> open_hub_store(const hub_directory& dir);

}  // namespace saphan::cli
