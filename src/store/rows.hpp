// What both backends store the same way: domain objects as their JSON documents, keys and
// notifications as columns, the checks a row passes before it is written, the bounds of every
// read, and the stable errors of the store. Private to the store module; the SQLite store
// (sqlite_*.cpp) and the PostgreSQL store (pg_*.cpp) differ only in how they reach their rows.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "store/store.hpp"

namespace saphan::store_rows {

// Reads and lists are bounded; no caller needs more rows than these in one answer.
inline constexpr std::size_t max_page = 10000;
inline constexpr std::int64_t max_directory_rows = 100000;
inline constexpr std::size_t max_search_page = 1000;
inline constexpr std::size_t max_receipts_per_consent = 64;
inline constexpr std::size_t max_last_error_bytes = 512;

// A read limit as a bound parameter: at most `most`.
inline std::int64_t capped(std::size_t limit, std::size_t most = max_page) {
  return static_cast<std::int64_t>(limit < most ? limit : most);
}

// Every stored document converted, or the first error.
template <class T>
result<std::vector<T>> convert_all(const std::vector<std::string>& docs,
                                   result<T> (*convert)(std::string_view)) {
  std::vector<T> out;
  out.reserve(docs.size());
  for (const auto& doc : docs) {
    auto item = convert(doc);
    if (!item)
      return item.error();
    out.push_back(std::move(*item));
  }
  return out;
}

// A transaction that nests, as both backends run them: at depth 0 `begin(true)` opens a
// transaction and `finish(true)` commits it, deeper `begin(false)` opens a savepoint and
// `finish(false)` releases it; a body that fails or throws is undone (`undo(outer)`) and its
// error returned or its exception rethrown. `depth` counts the levels open.
using transaction_step = std::function<result<void>(bool outer)>;
result<void> run_nested(int& depth, const transaction_step& begin, const transaction_step& finish,
                        const transaction_step& undo, const std::function<result<void>()>& body);

// A numbered schema migration (each backend has its list: migrations.hpp, pg_migrations.hpp).
struct migration {
  int version;
  std::string_view name;
  std::string_view sql;
};

// storage_failure "stored <what> is invalid: <cause>".
error corrupt(std::string_view what, const error& cause);
// unknown_member "member <id> is not registered".
error unknown_member(const std::string& id);
// consent_not_found "consent <id> not found".
error consent_not_found(const std::string& id);
// Why a conditional consent update changed nothing: consent_not_found without a stored status,
// else conflict naming both statuses.
error missed_consent_update(const consent_id& id, consent_status expected,
                            const std::optional<std::string>& stored_status);
// search_too_broad: the search would read more than `scan_limit` entries; how to narrow it.
error search_too_broad(std::uint64_t scan_limit);
// not_found "notification <id> not found".
error notification_not_found(const std::string& id);

std::string member_doc(const member_record& member);
result<member_record> member_of_doc(std::string_view text);
result<dataset_entry> dataset_of_doc(std::string_view text);
result<consent_artefact> consent_of_doc(std::string_view text);
// The stored form, after checking that it reads back: nothing invalid enters the registry.
result<std::string> consent_doc(const consent_artefact& consent);
// A dataset with its policy replaced, as stored, after the catalog's checks on the new form.
result<std::string> dataset_doc_with_policy(dataset_entry entry, const access_policy& policy);

// Errors: those of validate(member_id), invalid_argument for an empty or overlong key id.
result<void> check_key(const member_key& key);
// A key from its stored columns: member, key_id, use, public_key, not_before and not_after
// (RFC 3339), and whether it is revoked.
struct key_columns {
  std::string member, key_id, use, public_key, not_before, not_after;
  bool revoked = false;
};
result<member_key> key_of_columns(const key_columns& columns);

// Errors: payload_too_large (an empty or overlong receipt).
result<void> check_receipt(const consent_receipt_record& receipt);
// Errors: payload_too_large (payload), invalid_argument (id).
result<void> check_notification(const outbox_notification& notification);
// The error text as stored: at most max_last_error_bytes.
std::string stored_last_error(const std::string& last_error);
// Its consumer must parse: storage_failure otherwise.
result<member_id> notification_consumer(std::string_view text);

}  // namespace saphan::store_rows
