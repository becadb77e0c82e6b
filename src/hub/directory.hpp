// The hub directory on disk: <dir>/store.db (the embedded store) and <dir>/keys/ (hub secrets).
// The store may live elsewhere: "store" in <dir>/hub.json (a postgresql:// connection string, or
// a file path relative to it) moves it for every command that opens the directory.
// The one place that knows its layout: `saphan admin init`, the hub, the other commands, the
// demo and the tests all make and open hub directories through it.
#pragma once

#include <memory>
#include <string>

#include "crypto/keys.hpp"
#include "store/store.hpp"

namespace saphan::hub {

struct hub_directory {
  std::string root;
  // The store's location when a configuration other than <root>/hub.json gives it (the hub's
  // --config); empty: <root>/hub.json's "store", else store_path().
  std::string store = {};

  std::string store_path() const { return root + "/store.db"; }
  std::string config_path() const { return root + "/hub.json"; }
  // Where the store is (see `store`). Errors: those of load_hub_config's "store".
  result<std::string> store_location() const;
  std::string keys_dir() const { return root + "/keys"; }
  std::string hub_signing_key() const { return keys_dir() + "/hub-signing.jwk"; }
  std::string hub_public_key() const { return keys_dir() + "/hub-signing.pub.jwk"; }
  // The CA's certificate for the hub's signing key (`saphan ca issue --signing-key`): every
  // signature of the hub carries it, and connectors check it against the CA they pin.
  std::string hub_signing_certificate() const { return keys_dir() + "/hub-signing.crt"; }
  std::string pseudonym_key() const { return keys_dir() + "/pseudonym.key"; }
  // The evidence log's own key: it signs tree heads, and auditors pin its public half.
  std::string log_signing_key() const { return keys_dir() + "/log-signing.jwk"; }
  std::string log_public_key() const { return keys_dir() + "/log-signing.pub.jwk"; }
};

// Creates the directory, the store and the hub's keys: an Ed25519 signing key (with its
// public half for connectors) and the secret that keys subject pseudonyms in the log. Errors:
// already_exists if it holds a store.
result<void> init_hub_directory(const hub_directory& dir);

// The log key, created on first use so hub directories made before the Merkle log keep working.
result<crypto::signing_jwk> load_or_create_log_key(const hub_directory& dir);

// Opens an initialised hub for administration: every registry change (members, keys, datasets,
// policies, consents) commits together with its evidence entry, consents under the subject's
// pseudonym (keys/pseudonym.key). `actor` names who changes.
// Errors: not_found when `dir` is not a hub directory; those of crypto::read_pseudonym_key_file.
result<std::unique_ptr<store>> open_hub_store(const hub_directory& dir,
                                              std::string actor = "admin-cli");

// The plain store, for the hub's own connections (the exchange path writes its own entries).
// `access` read_only: a connection that only reads (the log API's); the store must have been
// opened read-write once, which migrates it.
result<std::unique_ptr<store>> open_hub_store_unaudited(
    const hub_directory& dir, store_access access = store_access::read_write);

}  // namespace saphan::hub
