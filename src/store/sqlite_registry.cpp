// The registry part of the SQLite store: members, keys, datasets and consents, each stored as its
// JSON document beside the columns it is found by.
#include <algorithm>
#include <array>

#include "store/sql_values.hpp"
#include "store/sqlite_store_impl.hpp"

namespace saphan::sqlite {
result<void> sqlite_store::require_member(const std::string& id) {
  auto found = SAPHAN_TRY(first_text("SELECT id FROM members WHERE id = ?", id));
  if (!found)
    return unknown_member(id);
  return ok();
}

result<void> sqlite_store::explain_missed_update(const consent_id& id, consent_status expected) {
  auto status = SAPHAN_TRY(first_text("SELECT status FROM consents WHERE id = ?", id.value));
  return missed_consent_update(id, expected, status);
}

result<member_key> sqlite_store::key_of_row(const statement& s) {
  return key_of_columns(
      {s.text(0), s.text(1), s.text(2), s.text(3), s.text(4), s.text(5), s.integer(6) != 0});
}

result<void> sqlite_store::add_member(const member_record& member) {
  SAPHAN_TRY_VOID(validate(member.id));
  std::lock_guard lock(mutex);
  const auto id = to_string(member.id);
  return insert_new("member " + id,
                    "INSERT INTO members(id, doc) VALUES(?, ?) ON CONFLICT DO NOTHING", id,
                    member_doc(member));
}

result<void> sqlite_store::update_member(const member_record& member) {
  SAPHAN_TRY_VOID(validate(member.id));
  std::lock_guard lock(mutex);
  const auto id = to_string(member.id);
  auto changed = SAPHAN_TRY(run("UPDATE members SET doc = ? WHERE id = ?", member_doc(member), id));
  if (changed == 0)
    return unknown_member(id);
  return ok();
}

result<member_record> sqlite_store::find_member(const member_id& id) {
  std::lock_guard lock(mutex);
  const auto key = to_string(id);
  auto doc = SAPHAN_TRY(first_text("SELECT doc FROM members WHERE id = ?", key));
  if (!doc)
    return unknown_member(key);
  return member_of_doc(*doc);
}

result<std::vector<member_record>> sqlite_store::list_members() {
  std::lock_guard lock(mutex);
  auto docs = SAPHAN_TRY(texts("SELECT doc FROM members ORDER BY id LIMIT ?", max_directory_rows));
  return convert_all(docs, member_of_doc);
}

result<void> sqlite_store::add_key(const member_key& key) {
  SAPHAN_TRY_VOID(check_key(key));
  std::lock_guard lock(mutex);
  const auto member = to_string(key.member);
  return atomically([&]() -> result<void> {
    SAPHAN_TRY_VOID(require_member(member));
    return insert_new("key " + key.key_id + " of " + member,
                      "INSERT INTO member_keys(member_id, key_id, use, public_key, not_before, "
                      "not_after, revoked) VALUES(?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                      member, key.key_id, to_string(key.use), key.public_key,
                      format_rfc3339(key.not_before), format_rfc3339(key.not_after),
                      std::int64_t{key.revoked ? 1 : 0});
  });
}

result<void> sqlite_store::revoke_key(const member_id& member, const std::string& key_id) {
  std::lock_guard lock(mutex);
  const auto owner = to_string(member);
  auto changed =
      run("UPDATE member_keys SET revoked = 1 WHERE member_id = ? AND key_id = ?", owner, key_id);
  if (!changed)
    return changed.error();
  if (*changed == 0) {
    return make_error(errc::not_found, "key " + key_id + " of " + owner + " is not registered");
  }
  return ok();
}

result<std::vector<member_key>> sqlite_store::list_keys(const member_id& member) {
  std::lock_guard lock(mutex);
  const auto owner = to_string(member);
  return with(
      "SELECT member_id, key_id, use, public_key, not_before, not_after, revoked "
      "FROM member_keys WHERE member_id = ? ORDER BY key_id LIMIT ?",
      [&](statement& s) -> result<std::vector<member_key>> {
        SAPHAN_TRY_VOID(sqlite::bind_all(s, owner, max_directory_rows));
        return collect_rows<member_key>(s, key_of_row);
      });
}

result<void> sqlite_store::publish_dataset(const dataset_entry& entry) {
  SAPHAN_TRY_VOID(validate(entry.id));
  std::lock_guard lock(mutex);
  const auto id = to_string(entry.id);
  const auto owner = to_string(entry.id.owner);
  return atomically([&]() -> result<void> {
    SAPHAN_TRY_VOID(require_member(owner));
    return insert_new("dataset " + id,
                      "INSERT INTO datasets(id, name, version, owner, doc) "
                      "VALUES(?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                      id, unversioned(entry.id), entry.id.version, owner, dataset_to_json(entry));
  });
}

result<void> sqlite_store::update_policy(const dataset_id& id, const access_policy& policy) {
  std::lock_guard lock(mutex);
  return atomically([&]() -> result<void> {
    auto doc = SAPHAN_TRY(dataset_doc_with_policy(SAPHAN_TRY(find_dataset(id)), policy));
    SAPHAN_TRY_VOID(run("UPDATE datasets SET doc = ? WHERE id = ?", doc, to_string(id)));
    return ok();
  });
}

result<dataset_entry> sqlite_store::find_dataset(const dataset_id& id) {
  std::lock_guard lock(mutex);
  const auto key = to_string(id);
  auto doc = SAPHAN_TRY(first_text("SELECT doc FROM datasets WHERE id = ?", key));
  if (!doc)
    return make_error(errc::unknown_dataset, "dataset " + key + " is not published");
  return dataset_of_doc(*doc);
}

result<std::vector<dataset_entry>> sqlite_store::list_datasets() {
  std::lock_guard lock(mutex);
  auto docs = SAPHAN_TRY(texts("SELECT doc FROM datasets ORDER BY id LIMIT ?", max_directory_rows));
  return convert_all(docs, dataset_of_doc);
}

result<void> sqlite_store::add_consent(const consent_artefact& consent) {
  auto doc = SAPHAN_TRY(consent_doc(consent));
  std::lock_guard lock(mutex);
  return insert_new("consent " + consent.id.value,
                    "INSERT INTO consents(id, subject, consumer, status, doc, valid_until_us) "
                    "VALUES(?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    consent.id.value, consent.subject, to_string(consent.consumer),
                    to_string(consent.status), doc, micros_of(consent.valid_until));
}

result<void> sqlite_store::update_consent(const consent_artefact& consent,
                                          consent_status expected_status) {
  auto doc = SAPHAN_TRY(consent_doc(consent));
  std::lock_guard lock(mutex);
  return atomically([&]() -> result<void> {
    // A use (every consented exchange) changes the document only. An UPDATE that sets no
    // indexed column leaves the four consent indexes alone: two fewer random pages per commit.
    if (consent.status == expected_status) {
      auto changed =
          run("UPDATE consents SET doc = ? WHERE id = ? AND status = ? AND subject = ? AND "
              "consumer = ? AND valid_until_us = ?",
              doc, consent.id.value, to_string(expected_status), consent.subject,
              to_string(consent.consumer), micros_of(consent.valid_until));
      if (!changed)
        return changed.error();
      if (*changed == 1)
        return ok();
    }
    auto changed =
        run("UPDATE consents SET subject = ?, consumer = ?, status = ?, doc = ?, "
            "valid_until_us = ? WHERE id = ? AND status = ?",
            consent.subject, to_string(consent.consumer), to_string(consent.status), doc,
            micros_of(consent.valid_until), consent.id.value, to_string(expected_status));
    if (!changed)
      return changed.error();
    if (*changed == 1)
      return ok();
    return explain_missed_update(consent.id, expected_status);
  });
}

result<consent_artefact> sqlite_store::find_consent(const consent_id& id) {
  std::lock_guard lock(mutex);
  auto doc = SAPHAN_TRY(first_text("SELECT doc FROM consents WHERE id = ?", id.value));
  if (!doc)
    return consent_not_found(id.value);
  return consent_of_doc(*doc);
}

result<std::vector<consent_artefact>> sqlite_store::list_consents(const consent_filter& filter) {
  std::lock_guard lock(mutex);
  // One fixed statement per combination of filters, so each uses its index; values are bound.
  static constexpr std::array<std::string_view, 8> by_filters = {
      "SELECT doc FROM consents ORDER BY id LIMIT ?",
      "SELECT doc FROM consents WHERE subject = ? ORDER BY id LIMIT ?",
      "SELECT doc FROM consents WHERE consumer = ? ORDER BY id LIMIT ?",
      "SELECT doc FROM consents WHERE subject = ? AND consumer = ? ORDER BY id LIMIT ?",
      "SELECT doc FROM consents WHERE status = ? ORDER BY id LIMIT ?",
      "SELECT doc FROM consents WHERE subject = ? AND status = ? ORDER BY id LIMIT ?",
      "SELECT doc FROM consents WHERE consumer = ? AND status = ? ORDER BY id LIMIT ?",
      "SELECT doc FROM consents WHERE subject = ? AND consumer = ? AND status = ? "
      "ORDER BY id LIMIT ?",
  };
  const std::size_t which =
      (filter.subject ? 1u : 0u) | (filter.consumer ? 2u : 0u) | (filter.status ? 4u : 0u);
  return with(by_filters[which], [&](statement& s) -> result<std::vector<consent_artefact>> {
    int index = 0;
    if (filter.subject)
      SAPHAN_TRY_VOID(s.bind(++index, *filter.subject));
    if (filter.consumer)
      SAPHAN_TRY_VOID(s.bind(++index, to_string(*filter.consumer)));
    if (filter.status)
      SAPHAN_TRY_VOID(s.bind(++index, to_string(*filter.status)));
    auto limit = static_cast<std::int64_t>(std::min(filter.limit, max_page));
    SAPHAN_TRY_VOID(s.bind(++index, limit));
    auto docs = SAPHAN_TRY(collect_texts(s));
    return convert_all(docs, consent_of_doc);
  });
}

result<std::vector<consent_artefact>> sqlite_store::list_expiring_consents(timestamp by,
                                                                           std::size_t limit) {
  std::lock_guard lock(mutex);
  return with(
      "SELECT doc FROM consents WHERE status = 'active' AND valid_until_us <= ? "
      "ORDER BY valid_until_us, id LIMIT ?",
      [&](statement& s) -> result<std::vector<consent_artefact>> {
        SAPHAN_TRY_VOID(s.bind(1, micros_of(by)));
        SAPHAN_TRY_VOID(s.bind(2, static_cast<std::int64_t>(std::min(limit, max_page))));
        auto docs = SAPHAN_TRY(collect_texts(s));
        return convert_all(docs, consent_of_doc);
      });
}

result<std::int64_t> sqlite_store::registry_version() {
  std::lock_guard lock(mutex);
  // Bumped by triggers on every change of members, keys and datasets, from any connection.
  return with("SELECT v FROM registry_version WHERE id = 1",
              [](statement& s) -> result<std::int64_t> {
                auto row = SAPHAN_TRY(s.step());
                if (!row)
                  return make_error(errc::storage_failure, "registry_version: no row");
                return s.integer(0);
              });
}

}  // namespace saphan::sqlite
