#include "hub/log_api.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <charconv>
#include <set>

#include "core/citizen_id.hpp"
#include "core/json.hpp"
#include "crypto/encoding.hpp"
#include "hub/log_access.hpp"
#include "merkle/merkle.hpp"

namespace saphan::hub {
namespace {

constexpr std::size_t max_params = 16;
constexpr std::size_t max_param_bytes = 256;
constexpr std::uint64_t max_entries_page = 1000;
constexpr std::size_t default_page = 100;
constexpr std::string_view citizen_suffix = "/accesses";

using json_writer = rapidjson::Writer<rapidjson::StringBuffer>;

// RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF.
bool valid_utf8(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* end = p + text.size();
  while (p < end) {
    const unsigned char c = *p;
    int extra = 0;
    std::uint32_t point = 0;
    if (c < 0x80) {
      ++p;
      continue;
    } else if (c >= 0xc2 && c <= 0xdf) {
      extra = 1, point = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
      extra = 2, point = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      extra = 3, point = c & 0x07;
    } else {
      return false;
    }
    if (end - p <= extra)
      return false;
    for (int i = 1; i <= extra; ++i) {
      if ((p[i] & 0xc0) != 0x80)
        return false;
      point = point << 6 | (p[i] & 0x3f);
    }
    const std::uint32_t least[] = {0, 0x80, 0x800, 0x10000};
    if (point < least[extra] || point > 0x10ffff || (point >= 0xd800 && point <= 0xdfff))
      return false;
    p += extra + 1;
  }
  return true;
}

// A query-string name or value; errors name the query.
result<std::string> query_decode(std::string_view text) {
  auto decoded = crypto::percent_decode(text, true);
  if (!decoded)
    return make_error(errc::invalid_argument, "query: " + decoded.error().detail);
  if (!valid_utf8(*decoded))
    return make_error(errc::invalid_argument, "query: not valid UTF-8");
  return decoded;
}

result<std::uint64_t> number_param(const api_target& t, const std::string& name,
                                   std::optional<std::uint64_t> fallback = std::nullopt) {
  auto it = t.params.find(name);
  if (it == t.params.end()) {
    if (fallback)
      return *fallback;
    return make_error(errc::invalid_argument, name + ": required");
  }
  std::uint64_t value = 0;
  const auto& text = it->second;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() ||
      value > merkle::max_tree_size) {
    return make_error(errc::invalid_argument, name + ": must be a non-negative integer");
  }
  return value;
}

std::optional<std::string> text_param(const api_target& t, const std::string& name) {
  auto it = t.params.find(name);
  if (it == t.params.end())
    return std::nullopt;
  return it->second;
}

result<std::optional<timestamp>> time_param(const api_target& t, const std::string& name) {
  auto text = text_param(t, name);
  if (!text)
    return std::optional<timestamp>();
  auto parsed = parse_rfc3339(*text);
  if (!parsed)
    return make_error(errc::invalid_timestamp, name + ": " + parsed.error().detail);
  return std::optional<timestamp>(*parsed);
}

// Whether `caller` may read the content of `row` (log_access.hpp). An outcome is read as its
// decision is; an outcome whose decision cannot be read concerns nobody.
result<bool> may_read(const log_api_context& c, const member_record& caller, const log_row& row) {
  if (is_auditor(caller))
    return true;
  auto parties = parties_of(row.entry);
  if (parties.decision_index) {
    auto decision = SAPHAN_TRY(c.db.read_log(*parties.decision_index, 1));
    if (decision.empty())
      return false;
    parties = parties_of(decision.front().entry);
    if (parties.decision_index)
      return false;
  }
  return parties.members.count(to_string(caller.id)) > 0;
}

bool in_group(const member_record& m, std::string_view group) {
  return std::find(m.groups.begin(), m.groups.end(), group) != m.groups.end();
}

void put(json_writer& w, std::string_view key, std::string_view value) {
  w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

void put(json_writer& w, std::string_view key, std::uint64_t value) {
  w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
  w.Uint64(value);
}

void put_raw(json_writer& w, std::string_view key, std::string_view json) {
  w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
  w.RawValue(json.data(), json.size(), rapidjson::kObjectType);
}

void put_hashes(json_writer& w, std::string_view key,
                const std::vector<crypto::sha256_digest>& hs) {
  w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
  w.StartArray();
  for (const auto& h : hs) {
    auto text = crypto::base64url_encode(h.view());
    w.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
  }
  w.EndArray();
}

std::string finish(rapidjson::StringBuffer& buffer) {
  return std::string(buffer.GetString(), buffer.GetSize());
}

// Entry bytes are JSON objects written by the hub; anything else is still shown, as a string.
// An entry the caller may not read is its leaf hash alone: enough to check it is in the tree.
void put_entry(json_writer& w, const log_row& row, bool readable) {
  w.StartObject();
  put(w, "index", row.index);
  if (!readable) {
    put(w, "leafHash", crypto::base64url_encode(merkle::leaf_hash(row.entry).view()));
    w.EndObject();
    return;
  }
  auto doc = parse_json(row.entry, {64 * 1024, 16});
  if (doc && doc->IsObject()) {
    put_raw(w, "entry", row.entry);
  } else {
    put(w, "entryText", row.entry);
  }
  w.EndObject();
}

result<std::string> rows_json(const log_api_context& c, const member_record& caller,
                              const std::vector<log_row>& rows, std::string_view next_key,
                              std::optional<std::uint64_t> next) {
  rapidjson::StringBuffer buffer;
  json_writer w(buffer);
  w.StartObject();
  w.Key("entries");
  w.StartArray();
  for (const auto& row : rows) {
    auto readable = SAPHAN_TRY(may_read(c, caller, row));
    put_entry(w, row, readable);
  }
  w.EndArray();
  if (next)
    put(w, next_key, *next);
  w.EndObject();
  return finish(buffer);
}

std::string checkpoint_json(const checkpoint_record& c) {
  rapidjson::StringBuffer buffer;
  json_writer w(buffer);
  w.StartObject();
  put_raw(w, "checkpoint", c.checkpoint_json);
  w.Key("timestampToken");
  if (c.timestamp_token) {
    auto token = crypto::base64url_encode(*c.timestamp_token);
    w.String(token.data(), static_cast<rapidjson::SizeType>(token.size()));
  } else {
    w.Null();
  }
  w.EndObject();
  return finish(buffer);
}

result<std::string> latest_head(const log_api_context& c) {
  auto latest = SAPHAN_TRY(c.db.latest_checkpoint());
  if (!latest)
    return make_error(errc::not_found, "no signed tree head yet");
  return checkpoint_json(*latest);
}

result<std::string> head_now(const log_api_context& c, timestamp now) {
  auto head = SAPHAN_TRY(evidence::make_checkpoint(c.db, c.log, now));
  return checkpoint_json(head);
}

// The rows of ?start=&end= (at most a page of them), and where the next page starts: only when
// the page cap cut the range short (a short page means the log ended, and pointing past its end
// would send a client after entries that do not exist).
struct log_range {
  std::vector<log_row> rows;
  std::optional<std::uint64_t> next;
};

result<log_range> read_range(const log_api_context& c, const api_target& t) {
  auto start = SAPHAN_TRY(number_param(t, "start"));
  auto end = SAPHAN_TRY(number_param(t, "end", start + max_entries_page));
  if (end < start)
    return make_error(errc::invalid_argument, "end: must not be below start");
  auto count = std::min<std::uint64_t>(end - start, max_entries_page);
  log_range out;
  out.rows = SAPHAN_TRY(c.db.read_log(start, static_cast<std::size_t>(count)));
  if (out.rows.size() == count && count > 0 && out.rows.back().index + 1 < end)
    out.next = out.rows.back().index + 1;
  return out;
}

result<std::string> entries(const log_api_context& c, const api_target& t,
                            const member_record& caller) {
  auto range = SAPHAN_TRY(read_range(c, t));
  return rows_json(c, caller, range.rows, "next", range.next);
}

// Leaf hashes of entries start..end-1 (at most 1000), for any member: with a head they prove
// inclusion and let anyone recompute the root without reading an entry.
result<std::string> leaves(const log_api_context& c, const api_target& t) {
  auto range = SAPHAN_TRY(read_range(c, t));
  rapidjson::StringBuffer buffer;
  json_writer w(buffer);
  w.StartObject();
  w.Key("leaves");
  w.StartArray();
  for (const auto& row : range.rows)
    put_entry(w, row, false);
  w.EndArray();
  if (range.next)
    put(w, "next", *range.next);
  w.EndObject();
  return finish(buffer);
}

result<std::string> inclusion(const log_api_context& c, const api_target& t) {
  auto index = SAPHAN_TRY(number_param(t, "index"));
  auto size = SAPHAN_TRY(number_param(t, "size"));
  auto proof = SAPHAN_TRY(evidence::prove_inclusion(c.db, index, size));
  rapidjson::StringBuffer buffer;
  json_writer w(buffer);
  w.StartObject();
  put(w, "index", proof.index);
  put(w, "treeSize", proof.tree_size);
  put(w, "leafHash", crypto::base64url_encode(proof.leaf_hash.view()));
  put_hashes(w, "path", proof.path);
  w.EndObject();
  return finish(buffer);
}

result<std::string> consistency(const log_api_context& c, const api_target& t) {
  auto from = SAPHAN_TRY(number_param(t, "from"));
  auto to = SAPHAN_TRY(number_param(t, "to"));
  // RFC 9162 2.1.4: the empty tree is consistent with every tree; there is nothing to prove.
  if (from == 0)
    return make_error(errc::invalid_argument, "from: must be at least 1");
  auto proof = SAPHAN_TRY(evidence::prove_consistency(c.db, from, to));
  rapidjson::StringBuffer buffer;
  json_writer w(buffer);
  w.StartObject();
  put(w, "from", from);
  put(w, "to", to);
  put_hashes(w, "proof", proof);
  w.EndObject();
  return finish(buffer);
}

result<log_filter> paging(const api_target& t) {
  log_filter f;
  if (t.params.count("before")) {
    auto before = SAPHAN_TRY(number_param(t, "before"));
    f.before_index = before;
  }
  auto limit = SAPHAN_TRY(number_param(t, "limit", default_page));
  if (limit == 0 || limit > 1000)
    return make_error(errc::invalid_argument, "limit: 1..1000");
  f.limit = static_cast<std::size_t>(limit);
  return f;
}

result<std::string> citizen_pseudonym(const log_api_context& c, std::string_view citizen) {
  SAPHAN_TRY_VOID(validate_thai_id(citizen));
  return c.pseudonym(citizen);
}

std::optional<std::uint64_t> next_before(const std::vector<log_row>& rows, std::size_t limit) {
  if (rows.size() < limit || rows.empty())
    return std::nullopt;
  return rows.back().index;
}

result<std::string> search(const log_api_context& c, const api_target& t,
                           const member_record& caller) {
  static const std::set<std::string> known = {"since", "until",   "member", "dataset", "status",
                                              "kind",  "subject", "before", "limit",   "requestId"};
  for (const auto& [name, value] : t.params) {
    if (!known.count(name))
      return make_error(errc::invalid_argument, name + ": unknown parameter");
  }
  auto f = SAPHAN_TRY(paging(t));
  auto since = SAPHAN_TRY(time_param(t, "since"));
  auto until = SAPHAN_TRY(time_param(t, "until"));
  f.since = since;
  f.until = until;
  f.member = text_param(t, "member");
  f.dataset = text_param(t, "dataset");
  f.status = text_param(t, "status");
  f.kind = text_param(t, "kind");
  f.request_id = text_param(t, "requestId");
  if (f.kind && !is_known_entry_kind(*f.kind))
    return make_error(errc::invalid_argument, "kind: " + *f.kind + " is not a kind of entry");
  // A member other than an auditor searches the entries it took part in, and nothing else: a
  // filter by another member (or by anything) must not tell it what others did.
  const auto self = to_string(caller.id);
  if (!is_auditor(caller)) {
    if (f.member && *f.member != self) {
      return make_error(errc::forbidden,
                        "member: a search by another member needs the auditor group");
    }
    f.member = self;
  }
  if (auto subject = text_param(t, "subject")) {
    if (!is_auditor(caller)) {
      return make_error(errc::forbidden, "a search by citizen ID needs the auditor group");
    }
    auto pseudonym = SAPHAN_TRY(citizen_pseudonym(c, *subject));
    f.subject = pseudonym;
  }
  auto rows = SAPHAN_TRY(c.db.search_log(f));
  return rows_json(c, caller, rows, "before", next_before(rows, f.limit));
}

// One access in the citizen view: the decision and how the exchange ended: the outcome's status
// ("ok" or a failure code), the deny reason for a denial (a denied request never gets an
// outcome, so it is not "pending"), or "pending" while an allowed request has no outcome yet.
void put_access(json_writer& w, const rapidjson::Value& decision, std::uint64_t index,
                const std::optional<rapidjson::Document>& outcome) {
  auto text = [&](const rapidjson::Value& doc, const char* name) -> std::string {
    auto it = doc.FindMember(name);
    return it != doc.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
  };
  w.StartObject();
  put(w, "index", index);
  put(w, "requestId", text(decision, "requestId"));
  put(w, "at", text(decision, "receivedAt"));
  put(w, "consumer", text(decision, "consumer"));
  put(w, "officer", text(decision, "userId"));
  put(w, "dataset", text(decision, "dataset"));
  put(w, "purpose", text(decision, "purpose"));
  put(w, "lawfulBasis", text(decision, "lawfulBasis"));
  put(w, "consentId", text(decision, "consentId"));
  put(w, "legalInstrument", text(decision, "legalInstrument"));
  for (const char* list : {"fieldsRequested", "fieldsGranted"}) {
    w.Key(list);
    w.StartArray();
    auto it = decision.FindMember(list);
    if (it != decision.MemberEnd() && it->value.IsArray()) {
      for (const auto& v : it->value.GetArray()) {
        if (v.IsString())
          w.String(v.GetString(), v.GetStringLength());
      }
    }
    w.EndArray();
  }
  put(w, "decision", text(decision, "decision"));
  put(w, "reason", text(decision, "reason"));
  const bool denied = text(decision, "decision") != "allow";
  put(w, "outcome",
      denied    ? text(decision, "reason")
      : outcome ? text(*outcome, "status")
                : "pending");
  w.EndObject();
}

// The outcome of the decision at `decision_index`. Request ids are unique only within the
// replay window (the replay cache forgets an id once a copy could no longer be fresh; after a
// restart exchange_service::remember_recent_requests restores it from the log), so the same id
// may name several exchanges, even about other citizens: the outcome must name this decision's
// index.
result<std::optional<rapidjson::Document>> outcome_of(store& db, const std::string& request_id,
                                                      const std::string& subject,
                                                      std::uint64_t decision_index) {
  log_filter f;
  f.kind = "exchange.outcome";
  f.request_id = request_id;
  f.subject = subject;
  f.limit = 1000;
  auto rows = SAPHAN_TRY(db.search_log(f));
  for (const auto& row : rows) {
    if (row.index <= decision_index)
      break;  // newest first; an outcome follows its decision
    auto doc = parse_json(row.entry, {64 * 1024, 16});
    if (!doc || !doc->IsObject())
      continue;
    auto named = doc->FindMember("decisionIndex");
    if (named == doc->MemberEnd() || !named->value.IsUint64() ||
        named->value.GetUint64() != decision_index) {
      continue;
    }
    return std::optional<rapidjson::Document>(std::move(*doc));
  }
  return std::optional<rapidjson::Document>();
}

result<std::string> citizen_view(const log_api_context& c, const api_target& t,
                                 const member_record& caller, std::string_view citizen) {
  if (!in_group(caller, "citizen-portal") && !is_auditor(caller)) {
    return make_error(errc::forbidden, "the citizen view needs the citizen-portal group");
  }
  auto pseudonym = SAPHAN_TRY(citizen_pseudonym(c, citizen));
  auto f = SAPHAN_TRY(paging(t));
  f.subject = pseudonym;
  f.kind = "exchange.decision";
  auto rows = SAPHAN_TRY(c.db.search_log(f));

  rapidjson::StringBuffer buffer;
  json_writer w(buffer);
  w.StartObject();
  w.Key("accesses");
  w.StartArray();
  for (const auto& row : rows) {
    auto decision = parse_json(row.entry, {64 * 1024, 16});
    if (!decision || !decision->IsObject())
      continue;
    auto id = decision->FindMember("requestId");
    auto verdict = decision->FindMember("decision");
    const bool allowed = verdict != decision->MemberEnd() && verdict->value.IsString() &&
                         std::string_view(verdict->value.GetString()) == "allow";
    std::optional<rapidjson::Document> outcome;
    if (allowed && id != decision->MemberEnd() && id->value.IsString()) {
      auto found = SAPHAN_TRY(outcome_of(c.db, id->value.GetString(), pseudonym, row.index));
      outcome = std::move(found);
    }
    put_access(w, *decision, row.index, outcome);
  }
  w.EndArray();
  if (auto next = next_before(rows, f.limit))
    put(w, "before", *next);
  w.EndObject();
  return finish(buffer);
}

}  // namespace

bool checkpoint_gate::try_pass(timestamp now) {
  std::lock_guard lock(mutex_);
  if (last_ && now - *last_ < interval && now >= *last_)
    return false;
  last_ = now;
  return true;
}

result<api_target> parse_target(std::string_view target) {
  api_target out;
  auto q = target.find('?');
  out.path = std::string(target.substr(0, q));
  if (q == std::string_view::npos)
    return out;
  std::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    auto amp = query.find('&');
    auto pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty())
      continue;
    auto eq = pair.find('=');
    auto name = SAPHAN_TRY(query_decode(pair.substr(0, eq)));
    auto value = SAPHAN_TRY(query_decode(eq == std::string_view::npos ? "" : pair.substr(eq + 1)));
    if (name.empty())
      return make_error(errc::invalid_argument, "query: empty parameter name");
    if (name.size() > max_param_bytes || value.size() > max_param_bytes) {
      return make_error(errc::invalid_argument, "query: parameter over 256 bytes");
    }
    if (out.params.size() >= max_params) {
      return make_error(errc::invalid_argument, "query: more than 16 parameters");
    }
    if (!out.params.emplace(std::move(name), std::move(value)).second) {
      return make_error(errc::invalid_argument, "query: repeated parameter");
    }
  }
  return out;
}

bool is_log_api_path(std::string_view path) {
  return path.rfind(log_path_prefix, 0) == 0 || path.rfind(citizen_path_prefix, 0) == 0;
}

result<std::string> answer_log_api(const log_api_context& c, bool post, const api_target& t,
                                   const member_record& caller, timestamp now) {
  const std::string_view path = t.path;
  if (path == "/v1/log/checkpoint") {
    if (!post)
      return latest_head(c);
    // Signing on demand costs a signature and a TSA request: an auditor's act, rate-limited.
    if (!is_auditor(caller))
      return make_error(errc::forbidden, "signing a head on demand needs the auditor group");
    if (!c.checkpoints.try_pass(now))
      return make_error(errc::rate_limited, "a head was signed on demand less than 1 s ago");
    return head_now(c, now);
  }
  if (post)
    return make_error(errc::method_not_allowed, "use GET");
  if (path == "/v1/log/entries")
    return entries(c, t, caller);
  if (path == "/v1/log/leaves")
    return leaves(c, t);
  if (path == "/v1/log/proof/inclusion")
    return inclusion(c, t);
  if (path == "/v1/log/proof/consistency")
    return consistency(c, t);
  if (path == "/v1/log/search")
    return search(c, t, caller);
  if (path.rfind(citizen_path_prefix, 0) == 0 &&
      path.size() > citizen_path_prefix.size() + citizen_suffix.size() &&
      path.substr(path.size() - citizen_suffix.size()) == citizen_suffix) {
    auto citizen = path.substr(citizen_path_prefix.size(),
                               path.size() - citizen_path_prefix.size() - citizen_suffix.size());
    return citizen_view(c, t, caller, citizen);
  }
  return make_error(errc::not_found, "no such endpoint");
}

}  // namespace saphan::hub
