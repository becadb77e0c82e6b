// How the store writes times and log positions as SQLite integers. Private to the store.
#pragma once

#include <algorithm>
#include <cstdint>

#include "core/time.hpp"
#include "merkle/merkle.hpp"

namespace saphan::sqlite {

inline std::int64_t micros_of(timestamp t) {
  return t.time_since_epoch().count();
}

inline timestamp timestamp_of_micros(std::int64_t micros) {
  return timestamp(std::chrono::microseconds(micros));
}

// Log positions are unsigned; no log grows past max_tree_size, which fits SQLite's int64.
inline std::int64_t as_sql_int(std::uint64_t value) {
  return static_cast<std::int64_t>(std::min<std::uint64_t>(value, merkle::max_tree_size));
}

}  // namespace saphan::sqlite
