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

namespace saphan::pg {
namespace {

using value = std::variant<std::int64_t, std::string>;

struct builder {
  std::vector<value> values;

  std::string bind(value v) {
    values.push_back(std::move(v));
    return "$" + std::to_string(values.size());
  }
};

// The walk along one criterion: ids of entries, newest first, at most the walk's bound.
std::string walk_along(builder& b, std::string_view test, const value& v,
                       const std::optional<std::uint64_t>& before, const std::string& bound) {
  std::string sql = "SELECT idx FROM log_entries WHERE ";
  sql += test;
  sql += " = " + b.bind(v);
  if (before)
    sql += " AND idx < " + b.bind(sqlite::as_sql_int(*before));
  sql += " ORDER BY idx DESC LIMIT " + bound;
  return sql;
}

}  // namespace

sqlite::log_query log_search_query(const log_filter& f, std::size_t limit,
                                   std::optional<std::uint64_t> walk_limit) {
  builder b;
  // LIMIT NULL is no limit; the bound reads one entry past it, to tell "more left" apart.
  const std::string bound =
      walk_limit ? b.bind(sqlite::as_sql_int(*walk_limit) + 1) : std::string("NULL");
  // The lead: the sharpest criterion, walked in its index; the others filter what it finds.
  enum class lead { request, subject, member, dataset, kind_status, kind, status, none };
  lead l = lead::none;
  if (f.request_id && !f.request_id->empty())
    l = lead::request;
  else if (f.subject && !f.subject->empty())
    l = lead::subject;
  else if (f.member)
    l = lead::member;
  else if (f.dataset)
    l = lead::dataset;
  else if (f.kind && f.status)
    l = lead::kind_status;
  else if (f.kind)
    l = lead::kind;
  else if (f.status)
    l = lead::status;

  std::string walk;
  switch (l) {
    case lead::request:
      walk = walk_along(b, "request_id", *f.request_id, f.before_index, bound);
      break;
    case lead::subject:
      walk = walk_along(b, "subject", *f.subject, f.before_index, bound);
      break;
    case lead::member: {
      auto consumer = walk_along(b, "consumer", *f.member, f.before_index, bound);
      auto provider = walk_along(b, "provider", *f.member, f.before_index, bound);
      walk = "SELECT idx FROM ((" + consumer + ") UNION (" + provider +
             ")) m ORDER BY idx DESC LIMIT " + bound;
      break;
    }
    case lead::dataset:
      walk = walk_along(b, "dataset", *f.dataset, f.before_index, bound);
      break;
    case lead::kind_status: {
      walk = "SELECT idx FROM log_entries WHERE kind = " + b.bind(*f.kind) +
             " AND status = " + b.bind(*f.status);
      if (f.before_index)
        walk += " AND idx < " + b.bind(sqlite::as_sql_int(*f.before_index));
      walk += " ORDER BY idx DESC LIMIT " + bound;
      break;
    }
    case lead::kind:
      walk = walk_along(b, "kind", *f.kind, f.before_index, bound);
      break;
    case lead::status:
      walk = walk_along(b, "status", *f.status, f.before_index, bound);
      break;
    case lead::none:
      walk = "SELECT idx FROM log_entries";
      if (f.before_index)
        walk += " WHERE idx < " + b.bind(sqlite::as_sql_int(*f.before_index));
      walk += " ORDER BY idx DESC LIMIT " + bound;
      break;
  }

  std::string rest;
  auto add = [&](std::string_view column, const value& v) {
    rest += " AND ";
    rest += column;
    rest += " = " + b.bind(v);
  };
  if (f.since)
    rest += " AND at_us >= " + b.bind(sqlite::micros_of(*f.since));
  if (f.until)
    rest += " AND at_us < " + b.bind(sqlite::micros_of(*f.until));
  if (f.request_id && l != lead::request)
    add("request_id", *f.request_id);
  if (f.subject && l != lead::subject)
    add("subject", *f.subject);
  if (f.member && l != lead::member) {
    const auto m = b.bind(*f.member);
    rest += " AND (consumer = " + m + " OR provider = " + m + ")";
  }
  if (f.dataset && l != lead::dataset)
    add("dataset", *f.dataset);
  if (f.kind && l != lead::kind && l != lead::kind_status)
    add("kind", *f.kind);
  if (f.status && l != lead::status && l != lead::kind_status)
    add("status", *f.status);

  sqlite::log_query q;
  q.sql = "WITH walk AS MATERIALIZED (" + walk +
          ") SELECT w.idx, w.entry, c.walked FROM (SELECT count(*) AS walked FROM walk) c "
          "LEFT JOIN LATERAL (SELECT idx, entry FROM walk JOIN log_entries USING (idx) WHERE TRUE" +
          rest + " ORDER BY idx DESC LIMIT " + b.bind(static_cast<std::int64_t>(limit)) +
          ") w ON TRUE ORDER BY w.idx DESC";
  q.values = std::move(b.values);
  return q;
}

}  // namespace saphan::pg
