// The storage interface, backend-neutral: the registry (members, keys, datasets with their
// policies, consents) and the evidence log. Callers see only domain types; a store is opened from
// one location (open_store), and which backend serves it is the backend's own business: SQLite
// for a file path (store/sqlite_store.hpp, the default: nothing to set up), PostgreSQL for a
// postgresql:// connection string (store/pg_store.hpp: hub nodes on several machines share one
// database). Both keep the same rows in the same shape (store/rows.hpp) and pass the same tests
// (tests/store/, run against each).
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
#include "merkle/merkle.hpp"

namespace saphan {

struct consent_filter {
  std::optional<std::string> subject;
  std::optional<member_id> consumer;
  std::optional<consent_status> status;
  std::size_t limit = 1000;
};

// A signed consent receipt (a compact JWS by the hub) for one event of a consent, as kept for the
// citizen to fetch again.
struct consent_receipt_record {
  consent_id consent;
  std::string event;  // "granted", "rejected", "revoked"
  timestamp at{};
  std::uint64_t log_index = 0;  // the evidence entry of that event
  std::string jws;
};

// A notification waiting in the outbox until the consumer's connector acknowledges it (then it is
// removed). `payload` is the JSON the hub signs when it sends.
struct outbox_notification {
  std::string id;
  member_id consumer;
  std::string payload;
  std::uint32_t attempts = 0;  // failed deliveries so far
  timestamp next_attempt{};
  std::string last_error;  // of the latest failed delivery, for operators
};

inline constexpr std::size_t max_receipt_bytes = 32 * 1024;
inline constexpr std::size_t max_notification_bytes = 8 * 1024;

// ---- Evidence log rows (the RFC 9162 tree math lives in evidence/; the store keeps bytes) ----

// What an entry is found by. The evidence layer extracts these from the entry and the store keeps
// them in indexed columns beside the hashed entry bytes. Empty strings mean "not applicable".
struct log_terms {
  timestamp at{};          // the hub's receipt time (UTC, microseconds)
  std::string kind;        // "exchange.decision", "consent.granted", "dataset.published", ...
  std::string request_id;  // exchanges only
  std::string consumer;    // member ids as text
  std::string provider;
  std::string dataset;  // versioned dataset id as text
  std::string status;   // "allow", "ok", or a stable error code
  std::string subject;  // keyed pseudonym (hex) of the citizen, never the citizen ID
};

struct log_append {
  std::string entry;  // the exact bytes that are hashed: leaf = H(0x00 || entry)
  log_terms terms;
};

// A request id the hub decided on, as its replay guard keys it (ids are the consumer's own).
struct decided_request {
  std::string consumer;
  std::string request_id;
  timestamp received_at{};
};

struct log_row {
  std::uint64_t index = 0;
  std::string entry;
};

// Search: every given criterion must hold. Newest first; `before_index` pages backwards.
struct log_filter {
  std::optional<timestamp> since;     // at >= since
  std::optional<timestamp> until;     // at < until
  std::optional<std::string> member;  // consumer or provider
  std::optional<std::string> dataset;
  std::optional<std::string> status;
  std::optional<std::string> kind;
  std::optional<std::string> subject;  // pseudonym
  std::optional<std::string> request_id;
  std::optional<std::uint64_t> before_index;
  std::size_t limit = 100;  // capped at 1000
  // The most entries the search may visit to find its page; beyond it, the search stops with
  // search_too_broad instead of reading on (none: no bound). What counts as a visit is the
  // backend's to say as closely as it can (store/sqlite_log.cpp).
  std::optional<std::uint64_t> scan_limit;
};

// A signed tree head as stored: its JSON (evidence::checkpoint_to_json) and, once a
// time-stamping authority answered, the DER RFC 3161 TimeStampToken over it.
struct checkpoint_record {
  std::uint64_t tree_size = 0;
  std::string checkpoint_json;
  std::optional<std::string> timestamp_token;
  timestamp created_at{};
};

// Evidence entries are small JSON facts; anything larger is a bug or an attack. Stores refuse
// such entries, and the group commit checks each one before it joins a batch, so that one bad
// entry fails alone instead of failing every exchange that shares its transaction.
inline constexpr std::size_t max_log_entry_bytes = 64 * 1024;
inline constexpr std::size_t max_term_length = 256;
// Errors: payload_too_large (empty or over max_log_entry_bytes), invalid_argument (a term over
// max_term_length).
result<void> check_log_entry(const log_append& entry);

// The registry: who the members are, their keys, the published datasets and the consents.
class registry_store {
 public:
  virtual ~registry_store() = default;

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

  // A number that changes whenever a member, key or dataset changes, through any connection of
  // any process, once that change is committed: what a cache of them compares.
  virtual result<std::int64_t> registry_version() = 0;

  // Consents. update_consent replaces the artefact only if its stored status equals
  // `expected_status` (else conflict), so two concurrent transitions cannot both win.
  virtual result<void> add_consent(const consent_artefact& consent) = 0;
  virtual result<void> update_consent(const consent_artefact& consent,
                                      consent_status expected_status) = 0;
  virtual result<consent_artefact> find_consent(const consent_id& id) = 0;
  virtual result<std::vector<consent_artefact>> list_consents(const consent_filter& filter) = 0;
  // Active consents whose validity ends at or before `by` (oldest first, at most `limit`): the
  // ones the hub must mark expired.
  virtual result<std::vector<consent_artefact>> list_expiring_consents(timestamp by,
                                                                       std::size_t limit) = 0;

  // Consent receipts, kept with their consent; listed oldest first (at most 64 a consent).
  // add_consent_receipt: consent_not_found for an unknown consent, payload_too_large over
  // max_receipt_bytes.
  virtual result<void> add_consent_receipt(const consent_receipt_record& receipt) = 0;
  virtual result<std::vector<consent_receipt_record>> list_consent_receipts(
      const consent_id& consent) = 0;

  // The notification outbox: durable, so a notification made with a consent's change survives a
  // restart until it is delivered. add_notification: already_exists for a known id,
  // payload_too_large over max_notification_bytes. due_notifications: those with next_attempt <=
  // now, soonest first, at most `limit`. reschedule / remove: not_found for an unknown id.
  virtual result<void> add_notification(const outbox_notification& notification) = 0;
  virtual result<std::vector<outbox_notification>> due_notifications(timestamp now,
                                                                     std::size_t limit) = 0;
  virtual result<void> reschedule_notification(const std::string& id, std::uint32_t attempts,
                                               timestamp next_attempt,
                                               const std::string& last_error) = 0;
  virtual result<void> remove_notification(const std::string& id) = 0;
};

// The evidence log's storage: entries, the tree's complete nodes and the signed heads. Indexes
// start at 0 and have no gaps.
class log_store {
 public:
  virtual ~log_store() = default;

  virtual result<std::uint64_t> log_size() = 0;
  // Stores entries at indexes first, first+1, ... and the tree nodes that became complete.
  // Errors: conflict when log_size() != first (another writer appended first; nothing written),
  // storage_failure. Atomic; inside `transaction` it commits with the rest of the body.
  virtual result<void> append_log(std::uint64_t first, const std::vector<log_append>& entries,
                                  const std::vector<merkle::stored_node>& nodes) = 0;
  // The request ids of exchange decisions received at or after `since`, with their consumers
  // and receipt times: what the hub's replay guard must remember again after a restart.
  virtual result<std::vector<decided_request>> decided_request_ids(timestamp since) = 0;
  // Up to `limit` (capped at 10000) rows with index >= from, in order.
  virtual result<std::vector<log_row>> read_log(std::uint64_t from, std::size_t limit) = 0;
  // The stored hashes of complete nodes, in the order asked. Errors: not_found naming the first
  // missing node.
  virtual result<std::vector<crypto::sha256_digest>> read_log_nodes(
      const std::vector<merkle::node_id>& ids) = 0;
  virtual result<std::vector<log_row>> search_log(const log_filter& filter) = 0;

  // Checkpoints, one per tree size. add_checkpoint: already_exists when that size has one.
  virtual result<void> add_checkpoint(const checkpoint_record& checkpoint) = 0;
  virtual result<std::optional<checkpoint_record>> latest_checkpoint() = 0;
  // Errors: not_found.
  virtual result<checkpoint_record> find_checkpoint(std::uint64_t tree_size) = 0;
  // Up to `limit` (capped at 10000) checkpoints with tree_size >= from_size, ascending.
  virtual result<std::vector<checkpoint_record>> read_checkpoints(std::uint64_t from_size,
                                                                  std::size_t limit) = 0;
  // Checkpoints still waiting for a timestamp token, oldest first.
  virtual result<std::vector<checkpoint_record>> untimestamped_checkpoints(std::size_t limit) = 0;
  // Errors: not_found (no such checkpoint), conflict (it already has a token).
  virtual result<void> set_checkpoint_timestamp(std::uint64_t tree_size,
                                                const std::string& token_der) = 0;
};

// One connection to both parts, with transactions over them.
class store : public registry_store, public log_store {
 public:
  // Runs `body` in one transaction and hands it the store to run its calls on: this store, or
  // the one a decorator puts in front (so the body's writes are audited or cached like any
  // other). A transaction inside a body nests: a failed inner one undoes only itself.
  virtual result<void> transaction(const std::function<result<void>(store&)>& body) = 0;

  // The schema version this store is at (after migrations).
  virtual result<int> schema_version() = 0;

  // Writes and removes about 64 KiB in one committed transaction: whether a write the size of a
  // group commit would succeed now, for a writer to learn that a full disk has room again
  // without spending an evidence entry on it. Errors: storage_failure.
  virtual result<void> check_writable() = 0;
};

enum class store_access {
  read_write,
  // Reads only, on a connection the backend itself opens read-only: every write and
  // transaction is refused (internal: calling one is a bug), and no migration runs, so the
  // store must already be at this program's schema (a read-write open migrates it).
  read_only,
};

// Opens (creating and migrating if needed) the store at `location`, the one value a
// configuration gives: a file path or ":memory:" for SQLite, a postgresql:// (or postgres://)
// connection string for PostgreSQL. Each call makes a connection of its own, with the registry
// cache in front (store/registry_cache.hpp). Errors: invalid_argument (an empty location, a
// read-only private in-memory database),
// storage_failure (also: read-only and the store is missing or at another schema version).
// Whether `location` names a PostgreSQL database (postgresql:// or postgres://), not a file.
inline bool is_postgresql_location(const std::string& location) {
  return location.rfind("postgresql://", 0) == 0 || location.rfind("postgres://", 0) == 0;
}

result<std::unique_ptr<store>> open_store(const std::string& location,
                                          store_access access = store_access::read_write);

}  // namespace saphan
