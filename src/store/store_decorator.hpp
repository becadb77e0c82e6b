// A store in front of another: passes every call through, so a decorator (the audit trail of
// registry changes, the registry cache) overrides only the calls it changes. A transaction's body
// is handed the decorator, so the calls it makes go through the decorator too.
#pragma once

#include <memory>
#include <utility>

#include "store/store.hpp"

namespace saphan {

class store_decorator : public store {
 public:
  explicit store_decorator(std::unique_ptr<store> inner) : inner_(std::move(inner)) {}

  result<void> add_member(const member_record& m) override { return inner_->add_member(m); }
  result<void> update_member(const member_record& m) override { return inner_->update_member(m); }
  result<member_record> find_member(const member_id& id) override {
    return inner_->find_member(id);
  }
  result<std::vector<member_record>> list_members() override { return inner_->list_members(); }
  result<void> add_key(const member_key& k) override { return inner_->add_key(k); }
  result<void> revoke_key(const member_id& member, const std::string& key_id) override {
    return inner_->revoke_key(member, key_id);
  }
  result<std::vector<member_key>> list_keys(const member_id& member) override {
    return inner_->list_keys(member);
  }
  result<void> publish_dataset(const dataset_entry& d) override {
    return inner_->publish_dataset(d);
  }
  result<void> update_policy(const dataset_id& id, const access_policy& policy) override {
    return inner_->update_policy(id, policy);
  }
  result<dataset_entry> find_dataset(const dataset_id& id) override {
    return inner_->find_dataset(id);
  }
  result<std::vector<dataset_entry>> list_datasets() override { return inner_->list_datasets(); }
  result<std::int64_t> registry_version() override { return inner_->registry_version(); }
  result<void> add_consent(const consent_artefact& c) override { return inner_->add_consent(c); }
  result<void> update_consent(const consent_artefact& c, consent_status expected) override {
    return inner_->update_consent(c, expected);
  }
  result<consent_artefact> find_consent(const consent_id& id) override {
    return inner_->find_consent(id);
  }
  result<std::vector<consent_artefact>> list_consents(const consent_filter& f) override {
    return inner_->list_consents(f);
  }
  result<std::vector<consent_artefact>> list_expiring_consents(timestamp by,
                                                               std::size_t limit) override {
    return inner_->list_expiring_consents(by, limit);
  }
  result<void> add_consent_receipt(const consent_receipt_record& r) override {
    return inner_->add_consent_receipt(r);
  }
  result<std::vector<consent_receipt_record>> list_consent_receipts(const consent_id& id) override {
    return inner_->list_consent_receipts(id);
  }
  result<void> add_notification(const outbox_notification& n) override {
    return inner_->add_notification(n);
  }
  result<std::vector<outbox_notification>> due_notifications(timestamp now,
                                                             std::size_t limit) override {
    return inner_->due_notifications(now, limit);
  }
  result<void> reschedule_notification(const std::string& id, std::uint32_t attempts,
                                       timestamp next_attempt,
                                       const std::string& last_error) override {
    return inner_->reschedule_notification(id, attempts, next_attempt, last_error);
  }
  result<void> remove_notification(const std::string& id) override {
    return inner_->remove_notification(id);
  }

  result<std::uint64_t> log_size() override { return inner_->log_size(); }
  result<void> append_log(std::uint64_t first, const std::vector<log_append>& entries,
                          const std::vector<merkle::stored_node>& nodes) override {
    return inner_->append_log(first, entries, nodes);
  }
  result<std::vector<decided_request>> decided_request_ids(timestamp since) override {
    return inner_->decided_request_ids(since);
  }
  result<std::vector<log_row>> read_log(std::uint64_t from, std::size_t limit) override {
    return inner_->read_log(from, limit);
  }
  result<std::vector<crypto::sha256_digest>> read_log_nodes(
      const std::vector<merkle::node_id>& ids) override {
    return inner_->read_log_nodes(ids);
  }
  result<std::vector<log_row>> search_log(const log_filter& f) override {
    return inner_->search_log(f);
  }
  result<void> add_checkpoint(const checkpoint_record& c) override {
    return inner_->add_checkpoint(c);
  }
  result<std::optional<checkpoint_record>> latest_checkpoint() override {
    return inner_->latest_checkpoint();
  }
  result<checkpoint_record> find_checkpoint(std::uint64_t size) override {
    return inner_->find_checkpoint(size);
  }
  result<std::vector<checkpoint_record>> read_checkpoints(std::uint64_t from,
                                                          std::size_t limit) override {
    return inner_->read_checkpoints(from, limit);
  }
  result<std::vector<checkpoint_record>> untimestamped_checkpoints(std::size_t limit) override {
    return inner_->untimestamped_checkpoints(limit);
  }
  result<void> set_checkpoint_timestamp(std::uint64_t size, const std::string& token) override {
    return inner_->set_checkpoint_timestamp(size, token);
  }

  result<void> transaction(const std::function<result<void>(store&)>& body) override {
    return inner_->transaction([&](store&) { return body(*this); });
  }
  result<int> schema_version() override { return inner_->schema_version(); }
  result<void> check_writable() override { return inner_->check_writable(); }

 protected:
  store& inner() { return *inner_; }

 private:
  std::unique_ptr<store> inner_;
};

}  // namespace saphan
