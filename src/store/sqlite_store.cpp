// Transactions of the SQLite store, and opening it.
#include "store/sqlite_store.hpp"

#include "store/migrations.hpp"
#include "store/sqlite_store_impl.hpp"

namespace saphan {
namespace sqlite {

result<void> sqlite_store::transaction(const std::function<result<void>(store&)>& body) {
  std::lock_guard lock(mutex);
  return atomically([&] { return body(*this); });
}

result<int> sqlite_store::schema_version() {
  std::lock_guard lock(mutex);
  return read_user_version(handle());
}

result<void> sqlite_store::check_writable() {
  std::lock_guard lock(mutex);
  // The blob takes new pages (from the free list or past the end of the file), so the probe
  // fails on a database at its page limit as on a full disk, where the commit cannot write
  // its WAL frames.
  return atomically([&]() -> result<void> {
    SAPHAN_TRY_VOID(run("INSERT INTO write_probe(filler) VALUES(zeroblob(65536))"));
    SAPHAN_TRY_VOID(run("DELETE FROM write_probe"));
    return ok();
  });
}

}  // namespace sqlite

result<std::unique_ptr<store>> open_sqlite_store(const sqlite_options& options) {
  auto opened = SAPHAN_TRY(sqlite::connection::open(options));
  return std::unique_ptr<store>(std::make_unique<sqlite::sqlite_store>(std::move(opened)));
}

}  // namespace saphan
