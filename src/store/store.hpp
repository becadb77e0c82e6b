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

// One entry of the hash-chained evidence table. Indexes start at 0 and have no gaps;
// entry_hash = SHA-256(prev_hash || entry_json); the first entry's prev_hash is 32 zero bytes.
// Hashes are lower-case hex.
struct evidence_row {
  std::int64_t index = 0;
  std::string entry_json;
  std::string entry_hash_hex;
  std::string prev_hash_hex;
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

  // Evidence. append_evidence takes a JSON object (its optional "kind" string is indexed),
  // chains it to the last entry and returns the stored row. Errors: malformed_json,
  // payload_too_large, storage_failure. read_evidence returns up to `limit` rows (capped at
  // 10000) with index >= from_index, in order.
  virtual result<evidence_row> append_evidence(const std::string& entry_json) = 0;
  virtual result<std::vector<evidence_row>> read_evidence(std::int64_t from_index,
                                                          std::size_t limit) = 0;

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
