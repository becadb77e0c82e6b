#include "store/read_only_store.hpp"

#include <string>

#include "store/store_decorator.hpp"

namespace saphan {
namespace {

error refused(std::string_view call) {
  return make_error(errc::internal, "this store is read-only: " + std::string(call) + " refused");
}

class read_only_store final : public store_decorator {
 public:
  using store_decorator::store_decorator;

  result<void> add_member(const member_record&) override { return refused("add_member"); }
  result<void> update_member(const member_record&) override { return refused("update_member"); }
  result<void> add_key(const member_key&) override { return refused("add_key"); }
  result<void> revoke_key(const member_id&, const std::string&) override {
    return refused("revoke_key");
  }
  result<void> publish_dataset(const dataset_entry&) override { return refused("publish_dataset"); }
  result<void> update_policy(const dataset_id&, const access_policy&) override {
    return refused("update_policy");
  }
  result<void> add_consent(const consent_artefact&) override { return refused("add_consent"); }
  result<void> update_consent(const consent_artefact&, consent_status) override {
    return refused("update_consent");
  }
  result<void> add_consent_receipt(const consent_receipt_record&) override {
    return refused("add_consent_receipt");
  }
  result<void> add_notification(const outbox_notification&) override {
    return refused("add_notification");
  }
  result<void> reschedule_notification(const std::string&, std::uint32_t, timestamp,
                                       const std::string&) override {
    return refused("reschedule_notification");
  }
  result<void> remove_notification(const std::string&) override {
    return refused("remove_notification");
  }
  result<void> append_log(std::uint64_t, const std::vector<log_append>&,
                          const std::vector<merkle::stored_node>&) override {
    return refused("append_log");
  }
  result<void> add_checkpoint(const checkpoint_record&) override {
    return refused("add_checkpoint");
  }
  result<void> set_checkpoint_timestamp(std::uint64_t, const std::string&) override {
    return refused("set_checkpoint_timestamp");
  }
  result<void> check_writable() override { return refused("check_writable"); }
  // A transaction takes the write lock (BEGIN IMMEDIATE); reads need none, each call sees one
  // consistent snapshot of its own.
  result<void> transaction(const std::function<result<void>(store&)>&) override {
    return refused("transaction");
  }
};

}  // namespace

std::unique_ptr<store> read_only(std::unique_ptr<store> inner) {
  return std::make_unique<read_only_store>(std::move(inner));
}

}  // namespace saphan
