// The evidence log search as SQL: one statement for the criteria a search names, built from fixed
// fragments (no input is ever spliced into SQL; values are bound in order). Private to the store.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "store/store.hpp"

namespace saphan::sqlite {

struct log_query {
  std::string sql;
  std::vector<std::variant<std::int64_t, std::string>> values;  // for ?1, ?2, ... in order
};

// Newest first, at most `limit` rows of (idx, entry). Only the criteria present appear in the
// statement, so SQLite can look a subject, request id, member or dataset up in its index instead
// of reading the whole log, and a kind or status (alone or both) when none of those is given; a
// member is searched as consumer and as provider, two index walks merged in index order.
log_query log_search_query(const log_filter& filter, std::size_t limit);

}  // namespace saphan::sqlite
