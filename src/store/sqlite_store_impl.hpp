// The SQLite store: the registry part (sqlite_registry.cpp), the log part (sqlite_log.cpp) and
// transactions (sqlite_store.cpp), on one connection (sqlite_connection.hpp). Private to the
// store module.
//
// Error choices: an absent member is unknown_member (find_member, update_member, and as the owner
// of a key or dataset); an absent key is not_found; list_keys of an unknown member is empty.
// A stored document that no longer parses is storage_failure (the file is damaged).
#pragma once

#include <cstdint>
#include <string>

#include "store/rows.hpp"
#include "store/sqlite_connection.hpp"
#include "store/store.hpp"

namespace saphan::sqlite {

using namespace store_rows;

class sqlite_store final : public store, private connection {
 public:
  using connection::connection;

  // ---- the registry (sqlite_registry.cpp) ----
  result<void> add_member(const member_record& member) override;
  result<void> update_member(const member_record& member) override;
  result<member_record> find_member(const member_id& id) override;
  result<std::vector<member_record>> list_members() override;
  result<void> add_key(const member_key& key) override;
  result<void> revoke_key(const member_id& member, const std::string& key_id) override;
  result<std::vector<member_key>> list_keys(const member_id& member) override;
  result<void> publish_dataset(const dataset_entry& entry) override;
  result<void> update_policy(const dataset_id& id, const access_policy& policy) override;
  result<dataset_entry> find_dataset(const dataset_id& id) override;
  result<std::vector<dataset_entry>> list_datasets() override;
  result<void> add_consent(const consent_artefact& consent) override;
  result<void> update_consent(const consent_artefact& consent,
                              consent_status expected_status) override;
  result<consent_artefact> find_consent(const consent_id& id) override;
  result<std::vector<consent_artefact>> list_consents(const consent_filter& filter) override;
  result<std::vector<consent_artefact>> list_expiring_consents(timestamp by,
                                                               std::size_t limit) override;
  result<std::int64_t> registry_version() override;

  // ---- receipts and the notification outbox (sqlite_outbox.cpp) ----
  result<void> add_consent_receipt(const consent_receipt_record& receipt) override;
  result<std::vector<consent_receipt_record>> list_consent_receipts(
      const consent_id& consent) override;
  result<void> add_notification(const outbox_notification& notification) override;
  result<std::vector<outbox_notification>> due_notifications(timestamp now,
                                                             std::size_t limit) override;
  result<void> reschedule_notification(const std::string& id, std::uint32_t attempts,
                                       timestamp next_attempt,
                                       const std::string& last_error) override;
  result<void> remove_notification(const std::string& id) override;

  // ---- the log (sqlite_log.cpp) ----
  result<std::uint64_t> log_size() override;
  result<void> append_log(std::uint64_t first, const std::vector<log_append>& entries,
                          const std::vector<merkle::stored_node>& nodes) override;
  result<std::vector<decided_request>> decided_request_ids(timestamp since) override;
  result<std::vector<log_row>> read_log(std::uint64_t from, std::size_t limit) override;
  result<std::vector<crypto::sha256_digest>> read_log_nodes(
      const std::vector<merkle::node_id>& ids) override;
  result<std::vector<log_row>> search_log(const log_filter& f) override;
  result<void> add_checkpoint(const checkpoint_record& c) override;
  result<std::optional<checkpoint_record>> latest_checkpoint() override;
  result<checkpoint_record> find_checkpoint(std::uint64_t tree_size) override;
  result<std::vector<checkpoint_record>> read_checkpoints(std::uint64_t from_size,
                                                          std::size_t limit) override;
  result<std::vector<checkpoint_record>> untimestamped_checkpoints(std::size_t limit) override;
  result<void> set_checkpoint_timestamp(std::uint64_t tree_size,
                                        const std::string& token_der) override;

  // ---- transactions (sqlite_store.cpp) ----
  result<void> transaction(const std::function<result<void>(store&)>& body) override;
  result<int> schema_version() override;
  result<void> check_writable() override;

 private:
  result<void> require_member(const std::string& id);

  result<void> explain_missed_update(const consent_id& id, consent_status expected);

  static result<member_key> key_of_row(const statement& s);

  result<void> insert_log_entry(std::uint64_t index, const log_append& e);

  result<void> insert_node(const merkle::stored_node& n);

  static result<std::vector<log_row>> collect_log_rows(statement& s);

  template <class... Args>
  result<std::vector<checkpoint_record>> checkpoints_where(std::string_view sql,
                                                           const Args&... args);
};

}  // namespace saphan::sqlite
