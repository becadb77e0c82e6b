#include "store/rows.hpp"

#include "store/consent_memo.hpp"

namespace saphan::store_rows {
namespace {

constexpr std::size_t max_key_id_length = 256;

}  // namespace

result<void> run_nested(int& depth, const transaction_step& begin, const transaction_step& finish,
                        const transaction_step& undo, const std::function<result<void>()>& body) {
  const bool outer = depth == 0;
  SAPHAN_TRY_VOID(begin(outer));
  ++depth;
  result<void> outcome;
  try {
    outcome = body();
  } catch (...) {
    --depth;
    (void)undo(outer);  // the exception is the failure to report; rethrown as it came
    throw;
  }
  --depth;
  if (outcome)
    outcome = finish(outer);
  if (outcome)
    return ok();
  auto undone = undo(outer);
  if (!undone) {
    return make_error(errc::storage_failure,
                      outcome.error().detail + "; rollback failed: " + undone.error().detail);
  }
  return outcome;
}

error corrupt(std::string_view what, const error& cause) {
  return make_error(errc::storage_failure,
                    "stored " + std::string(what) + " is invalid: " + cause.detail);
}

error unknown_member(const std::string& id) {
  return make_error(errc::unknown_member, "member " + id + " is not registered");
}

error consent_not_found(const std::string& id) {
  return make_error(errc::consent_not_found, "consent " + id + " not found");
}

error missed_consent_update(const consent_id& id, consent_status expected,
                            const std::optional<std::string>& stored_status) {
  if (!stored_status)
    return consent_not_found(id.value);
  return make_error(errc::conflict, "consent " + id.value + ": expected status " +
                                        std::string(to_string(expected)) + ", stored status is " +
                                        *stored_status);
}

error search_too_broad(std::uint64_t scan_limit) {
  return make_error(errc::search_too_broad,
                    "the search would read more than " + std::to_string(scan_limit) +
                        " log entries; narrow it: name a member, dataset, kind, status, subject "
                        "or request id, or start nearer the entries wanted with before=<index> "
                        "(since and until do not shorten the walk, which goes from the newest "
                        "entry back)");
}

error notification_not_found(const std::string& id) {
  return make_error(errc::not_found, "notification " + id + " not found");
}

std::string member_doc(const member_record& member) {
  rapidjson::Document doc;
  member_to_json(member, doc, doc.GetAllocator());
  return write_json(doc);
}

result<member_record> member_of_doc(std::string_view text) {
  auto doc = parse_json(text);
  if (!doc)
    return corrupt("member", doc.error());
  auto member = member_from_json(*doc);
  if (!member)
    return corrupt("member", member.error());
  return std::move(*member);
}

result<dataset_entry> dataset_of_doc(std::string_view text) {
  auto entry = dataset_from_stored_json(text);
  if (!entry)
    return corrupt("dataset", entry.error());
  return std::move(*entry);
}

// Through the shared memo: a document stored or read a moment ago is not parsed again.
result<consent_artefact> consent_of_doc(std::string_view text) {
  auto consent = shared_consent_memo().parse(text);
  if (!consent)
    return corrupt("consent", consent.error());
  return std::move(*consent);
}

result<std::string> consent_doc(const consent_artefact& consent) {
  auto doc = consent_to_json(consent);
  SAPHAN_TRY_VOID(shared_consent_memo().parse(doc));
  return doc;
}

result<std::string> dataset_doc_with_policy(dataset_entry entry, const access_policy& policy) {
  entry.policy = policy;
  auto doc = dataset_to_json(entry);
  // Reading the new form back runs the catalog's checks (fields known to the schema, ...).
  SAPHAN_TRY_VOID(dataset_from_stored_json(doc));
  return doc;
}

result<void> check_key(const member_key& key) {
  SAPHAN_TRY_VOID(validate(key.member));
  if (key.key_id.empty() || key.key_id.size() > max_key_id_length) {
    return make_error(errc::invalid_argument,
                      "key_id: length must be 1.." + std::to_string(max_key_id_length));
  }
  return ok();
}

result<member_key> key_of_columns(const key_columns& c) {
  member_key key;
  auto member = parse_member_id(c.member);
  if (!member)
    return corrupt("key", member.error());
  key.member = std::move(*member);
  key.key_id = c.key_id;
  auto use = parse_key_use(c.use);
  if (!use)
    return corrupt("key", use.error());
  key.use = *use;
  key.public_key = c.public_key;
  auto not_before = parse_rfc3339(c.not_before);
  if (!not_before)
    return corrupt("key", not_before.error());
  auto not_after = parse_rfc3339(c.not_after);
  if (!not_after)
    return corrupt("key", not_after.error());
  key.not_before = *not_before;
  key.not_after = *not_after;
  key.revoked = c.revoked;
  return key;
}

result<void> check_receipt(const consent_receipt_record& r) {
  if (r.jws.empty() || r.jws.size() > max_receipt_bytes) {
    return make_error(errc::payload_too_large,
                      "receipt: 1.." + std::to_string(max_receipt_bytes) + " bytes");
  }
  return ok();
}

result<void> check_notification(const outbox_notification& n) {
  if (n.payload.empty() || n.payload.size() > max_notification_bytes) {
    return make_error(errc::payload_too_large,
                      "notification: 1.." + std::to_string(max_notification_bytes) + " bytes");
  }
  if (n.id.empty() || n.id.size() > max_term_length)
    return make_error(errc::invalid_argument, "notification id: 1..256 bytes");
  return ok();
}

std::string stored_last_error(const std::string& last_error) {
  return last_error.substr(0, max_last_error_bytes);
}

result<member_id> notification_consumer(std::string_view text) {
  auto consumer = parse_member_id(text);
  if (!consumer)
    return corrupt("notification consumer", consumer.error());
  return std::move(*consumer);
}

}  // namespace saphan::store_rows
