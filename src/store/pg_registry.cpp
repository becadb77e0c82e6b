// The registry part of the PostgreSQL store: members, keys, datasets and consents, each stored as
// its JSON document beside the columns it is found by (as in the SQLite store, rows.hpp).
#include "store/pg_store_impl.hpp"

namespace saphan::pg {

result<void> pg_store::require_member(const std::string& id) {
  auto found = SAPHAN_TRY(first_text("SELECT id FROM members WHERE id = $1", {text(id)}));
  if (!found)
    return unknown_member(id);
  return ok();
}

result<void> pg_store::add_member(const member_record& member) {
  SAPHAN_TRY_VOID(validate(member.id));
  std::lock_guard lock(mutex());
  const auto id = to_string(member.id);
  return write([&] {
    return insert_new("member " + id,
                      "INSERT INTO members(id, doc) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                      {text(id), text(member_doc(member))});
  });
}

result<void> pg_store::update_member(const member_record& member) {
  SAPHAN_TRY_VOID(validate(member.id));
  std::lock_guard lock(mutex());
  const auto id = to_string(member.id);
  return write([&]() -> result<void> {
    auto done = SAPHAN_TRY(
        c_.run("UPDATE members SET doc = $1 WHERE id = $2", {text(member_doc(member)), text(id)}));
    if (done.changed() == 0)
      return unknown_member(id);
    return ok();
  });
}

result<member_record> pg_store::find_member(const member_id& id) {
  std::lock_guard lock(mutex());
  const auto key = to_string(id);
  auto doc = SAPHAN_TRY(first_text("SELECT doc FROM members WHERE id = $1", {text(key)}));
  if (!doc)
    return unknown_member(key);
  return member_of_doc(*doc);
}

result<std::vector<member_record>> pg_store::list_members() {
  std::lock_guard lock(mutex());
  auto docs =
      SAPHAN_TRY(texts("SELECT doc FROM members ORDER BY id LIMIT $1", {int8(max_directory_rows)}));
  return convert_all(docs, member_of_doc);
}

result<void> pg_store::add_key(const member_key& key) {
  SAPHAN_TRY_VOID(check_key(key));
  std::lock_guard lock(mutex());
  const auto member = to_string(key.member);
  return write([&]() -> result<void> {
    SAPHAN_TRY_VOID(require_member(member));
    return insert_new("key " + key.key_id + " of " + member,
                      "INSERT INTO member_keys(member_id, key_id, use, public_key, not_before, "
                      "not_after, revoked) VALUES ($1, $2, $3, $4, $5, $6, $7 <> 0) "
                      "ON CONFLICT DO NOTHING",
                      {text(member), text(key.key_id), text(to_string(key.use)),
                       text(key.public_key), text(format_rfc3339(key.not_before)),
                       text(format_rfc3339(key.not_after)), int8(key.revoked ? 1 : 0)});
  });
}

result<void> pg_store::revoke_key(const member_id& member, const std::string& key_id) {
  std::lock_guard lock(mutex());
  const auto owner = to_string(member);
  return write([&]() -> result<void> {
    auto done = SAPHAN_TRY(
        c_.run("UPDATE member_keys SET revoked = true WHERE member_id = $1 AND key_id = $2",
               {text(owner), text(key_id)}));
    if (done.changed() == 0)
      return make_error(errc::not_found, "key " + key_id + " of " + owner + " is not registered");
    return ok();
  });
}

result<std::vector<member_key>> pg_store::list_keys(const member_id& member) {
  std::lock_guard lock(mutex());
  auto found =
      SAPHAN_TRY(c_.run("SELECT member_id, key_id, use, public_key, not_before, not_after, revoked "
                        "FROM member_keys WHERE member_id = $1 ORDER BY key_id LIMIT $2",
                        {text(to_string(member)), int8(max_directory_rows)}));
  std::vector<member_key> keys;
  for (int i = 0; i < found.size(); ++i) {
    auto revoked = SAPHAN_TRY(found.integer(i, 6));
    auto key = SAPHAN_TRY(
        key_of_columns({found.text(i, 0), found.text(i, 1), found.text(i, 2), found.text(i, 3),
                        found.text(i, 4), found.text(i, 5), revoked != 0}));
    keys.push_back(std::move(key));
  }
  return keys;
}

result<void> pg_store::publish_dataset(const dataset_entry& entry) {
  SAPHAN_TRY_VOID(validate(entry.id));
  std::lock_guard lock(mutex());
  const auto id = to_string(entry.id);
  const auto owner = to_string(entry.id.owner);
  return write([&]() -> result<void> {
    SAPHAN_TRY_VOID(require_member(owner));
    return insert_new("dataset " + id,
                      "INSERT INTO datasets(id, name, version, owner, doc) "
                      "VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                      {text(id), text(unversioned(entry.id)), text(entry.id.version), text(owner),
                       text(dataset_to_json(entry))});
  });
}

result<void> pg_store::update_policy(const dataset_id& id, const access_policy& policy) {
  std::lock_guard lock(mutex());
  return write([&]() -> result<void> {
    // FOR UPDATE: a policy change on another node waits, and this one applies to its result.
    const auto key = to_string(id);
    auto stored =
        SAPHAN_TRY(first_text("SELECT doc FROM datasets WHERE id = $1 FOR UPDATE", {text(key)}));
    if (!stored)
      return make_error(errc::unknown_dataset, "dataset " + key + " is not published");
    auto doc = SAPHAN_TRY(dataset_doc_with_policy(SAPHAN_TRY(dataset_of_doc(*stored)), policy));
    SAPHAN_TRY_VOID(c_.run("UPDATE datasets SET doc = $1 WHERE id = $2", {text(doc), text(key)}));
    return ok();
  });
}

result<dataset_entry> pg_store::find_dataset(const dataset_id& id) {
  std::lock_guard lock(mutex());
  const auto key = to_string(id);
  auto doc = SAPHAN_TRY(first_text("SELECT doc FROM datasets WHERE id = $1", {text(key)}));
  if (!doc)
    return make_error(errc::unknown_dataset, "dataset " + key + " is not published");
  return dataset_of_doc(*doc);
}

result<std::vector<dataset_entry>> pg_store::list_datasets() {
  std::lock_guard lock(mutex());
  auto docs = SAPHAN_TRY(
      texts("SELECT doc FROM datasets ORDER BY id LIMIT $1", {int8(max_directory_rows)}));
  return convert_all(docs, dataset_of_doc);
}

result<void> pg_store::add_consent(const consent_artefact& consent) {
  auto doc = SAPHAN_TRY(consent_doc(consent));
  std::lock_guard lock(mutex());
  return write([&] {
    return insert_new(
        "consent " + consent.id.value,
        "INSERT INTO consents(id, subject, consumer, status, doc, valid_until_us) "
        "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
        {text(consent.id.value), text(consent.subject), text(to_string(consent.consumer)),
         text(to_string(consent.status)), text(doc), int8_of_time(consent.valid_until)});
  });
}

result<void> pg_store::update_consent(const consent_artefact& consent,
                                      consent_status expected_status) {
  auto doc = SAPHAN_TRY(consent_doc(consent));
  std::lock_guard lock(mutex());
  return write([&]() -> result<void> {
    // One conditional UPDATE: under READ COMMITTED a concurrent update of the row (another
    // node's) makes this one wait and test the status again on the row it committed, so two
    // transitions from the same status cannot both win.
    auto done = SAPHAN_TRY(
        c_.run("UPDATE consents SET subject = $1, consumer = $2, status = $3, doc = $4, "
               "valid_until_us = $5 WHERE id = $6 AND status = $7",
               {text(consent.subject), text(to_string(consent.consumer)),
                text(to_string(consent.status)), text(doc), int8_of_time(consent.valid_until),
                text(consent.id.value), text(to_string(expected_status))}));
    if (done.changed() == 1)
      return ok();
    auto status = SAPHAN_TRY(
        first_text("SELECT status FROM consents WHERE id = $1", {text(consent.id.value)}));
    return missed_consent_update(consent.id, expected_status, status);
  });
}

result<consent_artefact> pg_store::find_consent(const consent_id& id) {
  std::lock_guard lock(mutex());
  auto doc = SAPHAN_TRY(first_text("SELECT doc FROM consents WHERE id = $1", {text(id.value)}));
  if (!doc)
    return consent_not_found(id.value);
  return consent_of_doc(*doc);
}

result<std::vector<consent_artefact>> pg_store::list_consents(const consent_filter& filter) {
  std::lock_guard lock(mutex());
  // One fixed statement for every combination: a criterion not given is a null parameter.
  std::vector<param> params = {filter.subject ? text(*filter.subject) : null_text(),
                               filter.consumer ? text(to_string(*filter.consumer)) : null_text(),
                               filter.status ? text(to_string(*filter.status)) : null_text(),
                               int8(capped(filter.limit))};
  auto docs =
      SAPHAN_TRY(texts("SELECT doc FROM consents WHERE ($1::text IS NULL OR subject = $1) AND "
                       "($2::text IS NULL OR consumer = $2) AND ($3::text IS NULL OR status = $3) "
                       "ORDER BY id LIMIT $4",
                       params));
  return convert_all(docs, consent_of_doc);
}

result<std::vector<consent_artefact>> pg_store::list_expiring_consents(timestamp by,
                                                                       std::size_t limit) {
  std::lock_guard lock(mutex());
  auto docs =
      SAPHAN_TRY(texts("SELECT doc FROM consents WHERE status = 'active' AND valid_until_us <= $1 "
                       "ORDER BY valid_until_us, id LIMIT $2",
                       {int8_of_time(by), int8(capped(limit))}));
  return convert_all(docs, consent_of_doc);
}

result<std::int64_t> pg_store::registry_version() {
  std::lock_guard lock(mutex());
  // Bumped by triggers on every change of members, keys and datasets, from any connection.
  auto found = SAPHAN_TRY(c_.run("SELECT v FROM registry_version WHERE id = 1"));
  if (found.empty())
    return make_error(errc::storage_failure, "registry_version: no row");
  return found.integer(0, 0);
}

}  // namespace saphan::pg
