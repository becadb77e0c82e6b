// The PostgreSQL store: the registry part (pg_registry.cpp), the outbox (pg_outbox.cpp), the
// log part (pg_log.cpp) and transactions (pg_store.cpp), on one connection
// (pg_connection.hpp). Private to the store module. Its errors are the SQLite store's
// (sqlite_store_impl.hpp), from the same helpers (rows.hpp).
#pragma once

#include <cstdint>
#include <string>

#include "store/pg_connection.hpp"
#include "store/rows.hpp"
#include "store/store.hpp"

namespace saphan::pg {

using namespace store_rows;

class pg_store final : public store {
 public:
  explicit pg_store(connection c) : c_(std::move(c)) {}

  // ---- the registry (pg_registry.cpp) ----
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

  // ---- receipts and the notification outbox (pg_outbox.cpp) ----
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

  // ---- the log (pg_log.cpp) ----
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

  // ---- transactions (pg_store.cpp) ----
  result<void> transaction(const std::function<result<void>(store&)>& body) override;
  result<int> schema_version() override;
  result<void> check_writable() override;

 private:
  std::recursive_mutex& mutex() { return *c_.mutex; }

  // A write on its own: one transaction, or a savepoint inside the caller's.
  result<void> write(const std::function<result<void>()>& body) { return c_.atomically(body); }
  // An INSERT ... ON CONFLICT DO NOTHING that changed nothing hit an existing key.
  result<void> insert_new(const std::string& what, std::string_view sql,
                          const std::vector<param>& params);
  // The first column of the first row as text, if there is a row.
  result<std::optional<std::string>> first_text(std::string_view sql,
                                                const std::vector<param>& params);
  // The first column of every row as text.
  result<std::vector<std::string>> texts(std::string_view sql, const std::vector<param>& params);
  result<void> require_member(const std::string& id);
  result<std::vector<checkpoint_record>> checkpoints_where(std::string_view sql,
                                                           const std::vector<param>& params);

  connection c_;
};

// Log positions and times as bound int8 (sql_values.hpp).
param int8_of_index(std::uint64_t value);
param int8_of_time(timestamp t);

}  // namespace saphan::pg
