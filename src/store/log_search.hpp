// The evidence log search as SQL: one statement for the criteria a search names, built from fixed
// fragments (no input is ever spliced into SQL; values are bound in order). Private to the store.
#pragma once

#include <cstdint>
#include <optional>
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

namespace saphan::pg {

// The same search for PostgreSQL ($1, $2, ... in order), in two steps so that its work is
// bounded: a walk over the log newest first along the sharpest criterion given (request id,
// subject, member, dataset, kind and status, kind, status, else the whole log; each an index
// ending in idx, so the walk reads index order and stops), at most `walk_limit` entries (none:
// no bound); then the other criteria on the walked entries, at most `limit` rows. Every row
// answers (idx, entry, walked): walked is how many entries the walk read; one row with a null
// idx when nothing matched. A page shorter than `limit` after a walk that used its whole bound
// may have missed older matches: the caller says search_too_broad then.
sqlite::log_query log_search_query(const log_filter& filter, std::size_t limit,
                                   std::optional<std::uint64_t> walk_limit);

}  // namespace saphan::pg

namespace saphan::sqlite {}  // namespace saphan::sqlite
