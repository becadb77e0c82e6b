// Transactions of the PostgreSQL store, its helpers, and opening it.
#include "store/pg_store.hpp"

#include "store/pg_migrations.hpp"
#include "store/pg_store_impl.hpp"
#include "store/sql_values.hpp"

namespace saphan::pg {

param int8_of_index(std::uint64_t value) {
  return int8(sqlite::as_sql_int(value));
}

param int8_of_time(timestamp t) {
  return int8(sqlite::micros_of(t));
}

result<void> pg_store::insert_new(const std::string& what, std::string_view sql,
                                  const std::vector<param>& params) {
  auto done = SAPHAN_TRY(c_.run(sql, params));
  if (done.changed() == 0)
    return make_error(errc::already_exists, what + " already exists");
  return ok();
}

result<std::optional<std::string>> pg_store::first_text(std::string_view sql,
                                                        const std::vector<param>& params) {
  auto found = SAPHAN_TRY(c_.run(sql, params));
  if (found.empty())
    return std::optional<std::string>();
  return std::optional<std::string>(found.text(0, 0));
}

result<std::vector<std::string>> pg_store::texts(std::string_view sql,
                                                 const std::vector<param>& params) {
  auto found = SAPHAN_TRY(c_.run(sql, params));
  std::vector<std::string> out;
  out.reserve(static_cast<std::size_t>(found.size()));
  for (int i = 0; i < found.size(); ++i)
    out.push_back(found.text(i, 0));
  return out;
}

result<void> pg_store::transaction(const std::function<result<void>(store&)>& body) {
  std::lock_guard lock(mutex());
  return c_.atomically([&] { return body(*this); });
}

result<int> pg_store::schema_version() {
  std::lock_guard lock(mutex());
  return read_schema_version(c_);
}

result<void> pg_store::check_writable() {
  std::lock_guard lock(mutex());
  // 64 KiB written uncompressed (the column's storage is EXTERNAL) and removed again, in one
  // committed transaction: it fails as the group commit would on a full disk.
  return c_.atomically([&]() -> result<void> {
    SAPHAN_TRY_VOID(c_.run("INSERT INTO write_probe(filler) VALUES ($1)",
                           {bytea(std::string(64 * 1024, '\0'))}));
    SAPHAN_TRY_VOID(c_.run("DELETE FROM write_probe"));
    return ok();
  });
}

}  // namespace saphan::pg

namespace saphan {

result<std::unique_ptr<store>> open_pg_store(const std::string& conninfo, store_access access) {
  if (!is_postgresql_location(conninfo)) {
    return make_error(errc::invalid_argument,
                      "PostgreSQL store: the location must start with postgresql://");
  }
  const bool read_only = access == store_access::read_only;
  auto c = SAPHAN_TRY(pg::connection::open(conninfo, read_only));
  if (read_only) {
    auto version = SAPHAN_TRY(pg::read_schema_version(c));
    if (version != pg::latest_schema_version()) {
      return make_error(errc::storage_failure, "PostgreSQL store is at schema version " +
                                                   std::to_string(version) +
                                                   ", this program reads version " +
                                                   std::to_string(pg::latest_schema_version()) +
                                                   " (open it read-write once to migrate it)");
    }
  } else {
    SAPHAN_TRY_VOID(pg::migrate(c));
  }
  return std::unique_ptr<store>(std::make_unique<pg::pg_store>(std::move(c)));
}

}  // namespace saphan
