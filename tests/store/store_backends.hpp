// The store tests run against both backends: a test case takes its backend from
// SAPHAN_EACH_BACKEND (a Catch2 generator: the case runs once with SQLite, once with PostgreSQL)
// and opens its store through a backend_location, which makes a fresh one of that backend.
#pragma once

#include <catch2/catch.hpp>

#include <memory>
#include <optional>
#include <string>

#include "pg_test_server.hpp"
#include "store/migrations.hpp"
#include "store/pg_migrations.hpp"
#include "store/store.hpp"
#include "store_test_support.hpp"

namespace saphan::store_test {

enum class backend { sqlite, postgresql };

inline const char* name_of(backend b) {
  return b == backend::sqlite ? "SQLite" : "PostgreSQL";
}

// The schema version a store of the backend is at once opened (each has its own migrations).
inline int latest_schema_version(backend b) {
  return b == backend::sqlite ? sqlite::latest_schema_version() : pg::latest_schema_version();
}

#define SAPHAN_EACH_BACKEND \
  GENERATE(::saphan::store_test::backend::sqlite, ::saphan::store_test::backend::postgresql)

// A fresh store location: a PostgreSQL database of its own, or for SQLite a private in-memory
// database (one connection only) or, with `shared`, a file in a temporary folder (any number of
// connections, and reopening keeps it).
class backend_location {
 public:
  explicit backend_location(backend b, bool shared = false) : backend_(b) {
    if (b == backend::postgresql) {
      database_.emplace();
      location_ = database_->url;
    } else if (shared) {
      dir_.emplace();
      location_ = dir_->file();
    } else {
      location_ = ":memory:";
    }
  }

  backend kind() const { return backend_; }
  const std::string& location() const { return location_; }

  // As the hub opens its store (open_store, with the registry cache in front).
  std::unique_ptr<store> open(store_access access = store_access::read_write) const {
    auto s = open_store(location_, access);
    if (!s)
      FAIL(name_of(backend_) << " open_store: " << s.error().detail);
    return std::move(*s);
  }

 private:
  backend backend_;
  std::optional<temp_dir> dir_;
  std::optional<pg_database> database_;
  std::string location_;
};

}  // namespace saphan::store_test
