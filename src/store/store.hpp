// The storage interface: members, keys, datasets (with policies), consents, and the evidence
// log. Callers see only domain types; SQLite (sqlite_store) implements it today and PostgreSQL
// can implement it later without changing callers.
//
// Every mutating call is atomic on its own. `transaction` groups several calls: when the body
// returns an error (or throws), nothing it wrote remains.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "catalog/dataset.hpp"
#include "consent/consent.hpp"
#include "directory/member.hpp"

namespace saphan {

struct consent_filter {
  std::optional<std::string> subject;
  std::optional<member_id> consumer;
  std::optional<consent_status> status;
  std::size_t limit = 1000;
};

class store {
 public:
  virtual ~store() = default;

  // Members. add_member: already_exists if present. find_member: not_found / unknown_member.
  virtual result<void> add_member(const member_record& member) = 0;
  virtual result<void> update_member(const member_record& member) = 0;
  virtual result<member_record> find_member(const member_id& id) = 0;
  virtual result<std::vector<member_record>> list_members() = 0;

  // Keys: (member, key_id) unique; already_exists on duplicates.
  virtual result<void> add_key(const member_key& key) = 0;
  virtual result<void> revoke_key(const member_id& member, const std::string& key_id) = 0;
  virtual result<std::vector<member_key>> list_keys(const member_id& member) = 0;

  // Datasets. publish_dataset: already_exists for the same id and version; unknown_member if the
  // owner is not registered. find_dataset: unknown_dataset.
  virtual result<void> publish_dataset(const dataset_entry& entry) = 0;
  virtual result<void> update_policy(const dataset_id& id, const access_policy& policy) = 0;
  virtual result<dataset_entry> find_dataset(const dataset_id& id) = 0;
  virtual result<std::vector<dataset_entry>> list_datasets() = 0;

  // Consents. update_consent replaces the artefact only if its stored status equals
  // `expected_status` (else conflict), so two concurrent transitions cannot both win.
  virtual result<void> add_consent(const consent_artefact& consent) = 0;
  virtual result<void> update_consent(const consent_artefact& consent,
                                      consent_status expected_status) = 0;
  virtual result<consent_artefact> find_consent(const consent_id& id) = 0;
  virtual result<std::vector<consent_artefact>> list_consents(const consent_filter& filter) = 0;

  virtual result<void> transaction(const std::function<result<void>()>& body) = 0;

  // The schema version this store is at (after migrations).
  virtual result<int> schema_version() = 0;
};

struct sqlite_options {
  std::string path;           // file path; ":memory:" for tests
  int busy_timeout_ms = 5000;
};

// Opens (creating if needed) and migrates to the latest schema. WAL mode, foreign keys on.
// Errors: storage_failure with SQLite's message.
result<std::unique_ptr<store>> open_sqlite_store(const sqlite_options& options);

}  // namespace saphan
