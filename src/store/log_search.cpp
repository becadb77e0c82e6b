#include "store/log_search.hpp"

#include "store/sql_values.hpp"

namespace saphan::sqlite {
namespace {

// The criteria other than the member, each " AND <test>" with its values.
struct conditions {
  std::string sql;
  std::vector<std::variant<std::int64_t, std::string>> values;

  void add(std::string_view test, std::variant<std::int64_t, std::string> value) {
    sql += " AND ";
    sql += test;
    values.push_back(std::move(value));
  }
};

conditions conditions_of(const log_filter& f) {
  conditions c;
  // "+at_us" keeps SQLite off the time index: entries are appended in time order, so walking the
  // log newest first stops at the page's last match, where the index would collect and sort every
  // entry of a wide range (a month, for an auditor) first. The price: a narrow range far back
  // walks every newer entry.
  if (f.since)
    c.add("+at_us >= ?", micros_of(*f.since));
  if (f.until)
    c.add("+at_us < ?", micros_of(*f.until));
  if (f.dataset)
    c.add("dataset = ?", *f.dataset);
  // A kind or a status has a handful of values, each shared by many entries: its index (schema
  // version 6) leads only when nothing sharper is given. Without statistics SQLite rates every
  // equality alike and would walk all of a kind's entries to find one citizen's; "+" keeps it
  // off those indexes then.
  const bool sharper = f.member || f.dataset || f.subject || f.request_id;
  if (f.status)
    c.add(sharper ? "+status = ?" : "status = ?", *f.status);
  if (f.kind)
    c.add(sharper ? "+kind = ?" : "kind = ?", *f.kind);
  // The subject and request indexes leave out entries without one; saying so lets SQLite use
  // them. An empty value still finds the entries without one (e.g. refusals of unparsable bodies).
  if (f.subject)
    c.add(f.subject->empty() ? "subject = ?" : "subject = ? AND subject <> ''", *f.subject);
  if (f.request_id) {
    c.add(f.request_id->empty() ? "request_id = ?" : "request_id = ? AND request_id <> ''",
          *f.request_id);
  }
  if (f.before_index)
    c.add("idx < ?", as_sql_int(*f.before_index));
  return c;
}

}  // namespace

log_query log_search_query(const log_filter& filter, std::size_t limit) {
  static constexpr std::string_view select = "SELECT idx, entry FROM log_entries WHERE ";
  static constexpr std::string_view order = " ORDER BY idx DESC LIMIT ?";
  auto c = conditions_of(filter);
  log_query q;
  if (filter.member) {
    // "consumer = ? OR provider = ?" would make SQLite collect and sort every entry of the member;
    // a UNION of two index walks is merged in idx order and stops at the limit.
    q.sql.append(select).append("consumer = ?").append(c.sql);
    q.sql.append(" UNION ").append(select).append("provider = ?").append(c.sql);
    for (int side = 0; side < 2; ++side) {
      q.values.emplace_back(*filter.member);
      q.values.insert(q.values.end(), c.values.begin(), c.values.end());
    }
  } else {
    q.sql.append(select).append("1").append(c.sql);
    q.values = std::move(c.values);
  }
  q.sql.append(order);
  q.values.emplace_back(static_cast<std::int64_t>(limit));
  return q;
}

}  // namespace saphan::sqlite
