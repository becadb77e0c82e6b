#include "evidence/export.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <istream>
#include <ostream>
#include <span>
#include <utility>

#include "core/files.hpp"
#include "core/json.hpp"
#include "crypto/encoding.hpp"
#include "evidence/log.hpp"
#include "tsa/timestamp.hpp"

namespace saphan::evidence {
namespace {

using rapidjson::SizeType;
using rapidjson::Value;

// Validating writer: an entry that is not UTF-8 cannot travel as a JSON string, and saying so
// beats writing a line no verifier can read back.
using json_writer =
    rapidjson::Writer<rapidjson::StringBuffer, rapidjson::UTF8<>, rapidjson::UTF8<>,
                      rapidjson::CrtAllocator, rapidjson::kWriteValidateEncodingFlag>;

constexpr std::size_t checkpoint_page = 1000;
constexpr std::size_t entry_page = 10000;
// Lines are flat objects; the header's logKey is the deepest member.
constexpr std::size_t max_line_depth = 4;

constexpr std::array<std::string_view, 6> header_members = {
    "format", "origin", "logKey", "tsaCertificates", "exportedAt", "treeSize"};
constexpr std::array<std::string_view, 2> entry_members = {"index", "entry"};
constexpr std::array<std::string_view, 2> checkpoint_line_members = {"checkpoint",
                                                                     "timestampToken"};
constexpr std::array<std::string_view, 6> proof_members = {"index", "treeSize", "leafHash",
                                                           "path",  "rootHash", "checkpoint"};

std::string_view text_of(const Value& v) {
  return {v.GetString(), v.GetStringLength()};
}

std::string b64(const crypto::sha256_digest& d) {
  return crypto::base64url_encode(d.view());
}

bool put_string(json_writer& w, std::string_view s) {
  return w.String(s.data(), static_cast<SizeType>(s.size()));
}

void put_key(json_writer& w, std::string_view s) {
  w.Key(s.data(), static_cast<SizeType>(s.size()));
}

// Progress is reported at every multiple of `every`, and once at the end unless the end is one;
// work shorter than one step reports nothing (a small export needs no progress line).
bool on_progress_step(std::uint64_t done, std::uint64_t every) {
  return every != 0 && done % every == 0;
}
bool ends_progress(std::uint64_t done, std::uint64_t every) {
  return every != 0 && done > every && done % every != 0;
}

std::string finish(const rapidjson::StringBuffer& buffer) {
  return std::string(buffer.GetString(), buffer.GetSize());
}

// Same rule as a checkpoint's origin: printable ASCII keeps the note's line structure intact.
result<void> check_origin(std::string_view origin, std::string_view where) {
  bool printable =
      std::all_of(origin.begin(), origin.end(), [](char c) { return c >= 0x20 && c <= 0x7e; });
  if (origin.empty() || origin.size() > max_origin_bytes || !printable) {
    return make_error(errc::invalid_argument,
                      std::string(where) + ": must be 1 to 256 printable ASCII characters");
  }
  return ok();
}

// Exactly the listed members, each once. Unknown or repeated members are refused so that two
// readers can never see different values in one line.
result<void> check_members(const Value& object, std::span<const std::string_view> names,
                           std::string_view where) {
  if (!object.IsObject()) {
    return make_error(errc::malformed_json, std::string(where) + ": must be a JSON object");
  }
  if (auto bad = find_unexpected_member(object, names, true)) {
    if (bad->repeated) {
      return make_error(errc::malformed_json,
                        std::string(where) + ": member '" + std::string(bad->name) + "' repeated");
    }
    return make_error(errc::malformed_json, std::string(where) + ": unknown member '" +
                                                std::string(bad->name.substr(0, 64)) + "'");
  }
  // Each known member at most once: fewer members than names means one is missing.
  for (auto name : names) {
    const Value key(rapidjson::StringRef(name.data(), name.size()));
    if (object.FindMember(key) == object.MemberEnd()) {
      return make_error(errc::malformed_json,
                        std::string(where) + ": member '" + std::string(name) + "' missing");
    }
  }
  return ok();
}

result<std::uint64_t> read_size(const Value& v, std::string_view where) {
  if (!v.IsUint64() || v.GetUint64() > merkle::max_tree_size) {
    return make_error(errc::malformed_json,
                      std::string(where) + ": must be a whole number 0..2^63-1");
  }
  return v.GetUint64();
}

result<std::string> read_string(const Value& v, std::string_view where, std::size_t max_bytes) {
  if (!v.IsString())
    return make_error(errc::malformed_json, std::string(where) + ": must be a string");
  if (v.GetStringLength() > max_bytes) {
    return make_error(errc::payload_too_large,
                      std::string(where) + ": longer than " + std::to_string(max_bytes) + " bytes");
  }
  return std::string(text_of(v));
}

// ---- writing --------------------------------------------------------------------------------

result<void> check_header(const export_header& h) {
  SAPHAN_TRY_VOID(check_origin(h.origin, "export origin"));
  if (h.log_key.kid.empty()) {
    return make_error(errc::invalid_argument, "export log key: needs a kid (checkpoints name it)");
  }
  if (h.tsa_certificates.size() > max_tsa_certificates) {
    return make_error(
        errc::invalid_argument,
        "export: at most " + std::to_string(max_tsa_certificates) + " TSA certificates");
  }
  for (const auto& pem : h.tsa_certificates) {
    if (pem.empty() || pem.size() > max_tsa_certificate_bytes) {
      return make_error(errc::invalid_argument, "export: a TSA certificate must be 1.." +
                                                    std::to_string(max_tsa_certificate_bytes) +
                                                    " bytes of PEM");
    }
  }
  return ok();
}

result<std::string> header_line(const export_header& h, std::uint64_t tree_size) {
  rapidjson::StringBuffer buffer;
  json_writer w(buffer);
  w.StartObject();
  put_key(w, "format");
  put_string(w, export_format);
  put_key(w, "origin");
  put_string(w, h.origin);
  put_key(w, "logKey");
  auto jwk = crypto::to_public_jwk(h.log_key.key, h.log_key.kid);
  w.RawValue(jwk.data(), jwk.size(), rapidjson::kObjectType);
  put_key(w, "tsaCertificates");
  w.StartArray();
  for (const auto& pem : h.tsa_certificates) {
    if (!put_string(w, pem)) {
      return make_error(errc::invalid_argument, "export: a TSA certificate is not UTF-8 text");
    }
  }
  w.EndArray();
  put_key(w, "exportedAt");
  put_string(w, format_rfc3339(h.exported_at));
  put_key(w, "treeSize");
  w.Uint64(tree_size);
  w.EndObject();
  return finish(buffer);
}

// Re-serialised through the parser, so the line carries exactly what checkpoint_to_json writes
// (and a corrupt stored head stops the export instead of producing an unreadable line).
result<std::string> checkpoint_line(const checkpoint_record& record) {
  auto parsed = checkpoint_from_json(record.checkpoint_json);
  if (!parsed) {
    return make_error(errc::storage_failure, "stored checkpoint of size " +
                                                 std::to_string(record.tree_size) +
                                                 " does not parse: " + parsed.error().detail);
  }
  auto json = checkpoint_to_json(*parsed);
  rapidjson::StringBuffer buffer;
  json_writer w(buffer);
  w.StartObject();
  put_key(w, "checkpoint");
  w.RawValue(json.data(), json.size(), rapidjson::kObjectType);
  put_key(w, "timestampToken");
  if (record.timestamp_token) {
    put_string(w, crypto::base64url_encode(*record.timestamp_token));
  } else {
    w.Null();
  }
  w.EndObject();
  return finish(buffer);
}

result<void> write_line(std::ostream& out, std::string_view line) {
  out.write(line.data(), static_cast<std::streamsize>(line.size()));
  out.put('\n');
  if (!out)
    return make_error(errc::io_error, "writing the export failed");
  return ok();
}

// Walks the stored checkpoints in size order, a page at a time, alongside the entries.
class checkpoint_cursor {
 public:
  checkpoint_cursor(store& db, std::uint64_t last_size) : db_(db), last_size_(last_size) {}

  // Writes every checkpoint of size `size` (the entries written so far).
  result<void> write_at(std::uint64_t size, std::ostream& out, export_summary& summary) {
    for (;;) {
      if (pos_ == page_.size()) {
        if (done_)
          return ok();
        SAPHAN_TRY_VOID(fetch());
        continue;
      }
      const auto& record = page_[pos_];
      if (record.tree_size > last_size_) {
        done_ = true;
        page_.clear();
        pos_ = 0;
        return ok();
      }
      if (record.tree_size > size)
        return ok();
      ++pos_;
      if (record.tree_size < size)
        continue;  // signed after we passed its size: not ours
      auto line = SAPHAN_TRY(checkpoint_line(record));
      SAPHAN_TRY_VOID(write_line(out, line));
      ++summary.checkpoints;
      if (record.timestamp_token)
        ++summary.timestamp_tokens;
    }
  }

 private:
  result<void> fetch() {
    auto page = SAPHAN_TRY(db_.read_checkpoints(next_from_, checkpoint_page));
    page_ = std::move(page);
    pos_ = 0;
    if (page_.empty()) {
      done_ = true;
    } else {
      next_from_ = page_.back().tree_size + 1;
    }
    return ok();
  }

  store& db_;
  std::uint64_t last_size_;
  std::uint64_t next_from_ = 0;
  std::vector<checkpoint_record> page_;
  std::size_t pos_ = 0;
  bool done_ = false;
};

result<std::uint64_t> export_size(store& db, const export_options& options) {
  auto size = db.log_size();
  if (!size)
    return size;
  if (*size == 0)
    return make_error(errc::not_found, "the evidence log is empty");
  if (!options.to_size)
    return size;
  if (*options.to_size == 0 || *options.to_size > *size) {
    return make_error(errc::invalid_argument, "to-size: must be 1.." + std::to_string(*size) +
                                                  " (the log size), got " +
                                                  std::to_string(*options.to_size));
  }
  return *options.to_size;
}

result<void> write_entries(store& db, std::ostream& out, std::uint64_t total,
                           checkpoint_cursor& heads, const export_options& options,
                           export_summary& summary) {
  std::uint64_t written = 0;
  while (written < total) {
    auto rows = SAPHAN_TRY(db.read_log(
        written, static_cast<std::size_t>(std::min<std::uint64_t>(entry_page, total - written))));
    if (rows.empty()) {
      return make_error(errc::storage_failure,
                        "log entry " + std::to_string(written) + " is missing from the store");
    }
    for (const auto& row : rows) {
      if (row.index != written) {
        return make_error(errc::storage_failure,
                          "log entry " + std::to_string(written) + " is missing from the store");
      }
      auto line = SAPHAN_TRY(entry_line(row.index, row.entry));
      SAPHAN_TRY_VOID(write_line(out, line));
      summary.entries = ++written;
      SAPHAN_TRY_VOID(heads.write_at(written, out, summary));
      if (options.progress && on_progress_step(written, options.progress_every)) {
        options.progress(written, total);
      }
    }
  }
  return ok();
}

// ---- reading -------------------------------------------------------------------------------

// Reads "\n"-terminated lines of bounded length straight from the stream buffer.
class line_reader {
 public:
  enum class status { line, end, too_long, unterminated };

  explicit line_reader(std::istream& in) : buffer_(in.rdbuf()) {}

  status next(std::string& line) {
    line.clear();
    if (buffer_ == nullptr)
      return status::end;
    for (;;) {
      const int c = buffer_->sbumpc();
      if (c == std::char_traits<char>::eof()) {
        return line.empty() ? status::end : status::unterminated;
      }
      if (c == '\n')
        return status::line;
      if (line.size() == max_export_line_bytes)
        return status::too_long;
      line.push_back(static_cast<char>(c));
    }
  }

 private:
  std::streambuf* buffer_;
};

struct header_info {
  std::string origin;
  crypto::ed25519_public_jwk key;
  std::uint64_t tsa_certificates = 0;
  timestamp exported_at{};
  std::uint64_t tree_size = 0;
};

result<std::vector<std::string>> read_certificates(const Value& v) {
  if (!v.IsArray())
    return make_error(errc::malformed_json, "tsaCertificates: must be an array");
  if (v.Size() > max_tsa_certificates) {
    return make_error(errc::payload_too_large,
                      "tsaCertificates: at most " + std::to_string(max_tsa_certificates));
  }
  std::vector<std::string> out;
  for (const auto& pem : v.GetArray()) {
    auto text = SAPHAN_TRY(read_string(pem, "tsaCertificates[]", max_tsa_certificate_bytes));
    if (text.rfind("-----BEGIN CERTIFICATE-----", 0) != 0) {
      return make_error(errc::invalid_argument, "tsaCertificates[]: must be PEM certificates");
    }
    out.push_back(std::move(text));
  }
  return out;
}

result<header_info> parse_header(const Value& doc) {
  if (!doc.IsObject())
    return make_error(errc::malformed_json, "header: must be a JSON object");
  // The format first: a later format may have other members, and saying so is more useful.
  auto format = doc.FindMember("format");
  if (format == doc.MemberEnd() || !format->value.IsString() ||
      text_of(format->value) != export_format) {
    return make_error(errc::proof_invalid,
                      "header: format must be \"" + std::string(export_format) + "\"");
  }
  SAPHAN_TRY_VOID(check_members(doc, header_members, "header"));
  header_info h;
  auto origin = SAPHAN_TRY(read_string(doc["origin"], "header.origin", max_origin_bytes));
  SAPHAN_TRY_VOID(check_origin(origin, "header.origin"));
  h.origin = std::move(origin);
  if (!doc["logKey"].IsObject())
    return make_error(errc::malformed_json, "header.logKey: must be a JWK");
  auto key = crypto::parse_ed25519_public_jwk(write_json(doc["logKey"]));
  if (!key)
    return make_error(key.error().code, "header.logKey: " + key.error().detail);
  if (key->kid.empty())
    return make_error(errc::invalid_argument, "header.logKey: kid missing");
  h.key = std::move(*key);
  auto certificates = read_certificates(doc["tsaCertificates"]);
  if (!certificates)
    return make_error(certificates.error().code, "header." + certificates.error().detail);
  h.tsa_certificates = certificates->size();
  auto exported = SAPHAN_TRY(read_string(doc["exportedAt"], "header.exportedAt", 64));
  auto at = parse_rfc3339(exported);
  if (!at)
    return make_error(errc::invalid_timestamp, "header.exportedAt: " + at.error().detail);
  h.exported_at = *at;
  auto size = SAPHAN_TRY(read_size(doc["treeSize"], "header.treeSize"));
  if (size == 0)
    return make_error(errc::proof_invalid, "header.treeSize: an export holds at least one entry");
  h.tree_size = size;
  return h;
}

result<std::optional<std::string>> read_token(const Value& v) {
  if (v.IsNull())
    return std::optional<std::string>();
  // Base64url grows 4/3; anything longer cannot decode to an acceptable token.
  auto text = SAPHAN_TRY(read_string(v, "timestampToken", tsa::max_response_bytes / 3 * 4 + 4));
  auto der = crypto::base64url_decode(text);
  if (!der)
    return make_error(errc::malformed_json, "timestampToken: " + der.error().detail);
  if (der->empty() || der->size() > tsa::max_response_bytes) {
    return make_error(
        errc::payload_too_large,
        "timestampToken: must be 1.." + std::to_string(tsa::max_response_bytes) + " bytes of DER");
  }
  return std::optional<std::string>(std::move(*der));
}

std::string entries_range(std::uint64_t from, std::uint64_t to) {
  if (to == from + 1)
    return "entry " + std::to_string(from);
  return "entries " + std::to_string(from) + ".." + std::to_string(to - 1);
}

// The state of one verification: the compact tree and what the last good checkpoint said.
class export_verifier {
 public:
  export_verifier(const verify_options& options, const verify_observer& observer)
      : options_(options), observer_(observer) {}

  result<export_report> run(std::istream& in);

 private:
  result<void> header(std::string_view line);
  result<void> line(std::string_view text);
  result<void> entry(const Value& doc);
  result<void> head_line(const Value& doc);
  result<void> check_head(const checkpoint& cp);
  result<void> check_token(const checkpoint& cp, const std::string& der);
  result<void> finish();
  error at_line(const error& e) const;

  const verify_options& options_;
  const verify_observer& observer_;
  header_info header_;
  crypto::ed25519_public_key key_;
  merkle::compact_tree tree_;
  std::uint64_t line_no_ = 0;
  std::string context_;  // "entry 5", "checkpoint of size 8": what the current line holds
  std::optional<checkpoint> last_;  // the last checkpoint that verified
  export_report report_;
};

error export_verifier::at_line(const error& e) const {
  std::string where = "line " + std::to_string(line_no_);
  if (!context_.empty())
    where += " (" + context_ + ")";
  return make_error(e.code, where + ": " + e.detail);
}

result<export_report> export_verifier::run(std::istream& in) {
  line_reader reader(in);
  std::string text;
  for (;;) {
    auto status = reader.next(text);
    if (status == line_reader::status::end)
      break;
    ++line_no_;
    context_.clear();
    if (status == line_reader::status::too_long) {
      return at_line(make_error(errc::payload_too_large,
                                "longer than " + std::to_string(max_export_line_bytes) + " bytes"));
    }
    if (status == line_reader::status::unterminated) {
      return at_line(
          make_error(errc::proof_invalid, "truncated: the last line does not end with a newline"));
    }
    auto done = line_no_ == 1 ? header(text) : line(text);
    if (!done)
      return at_line(done.error());
  }
  if (line_no_ == 0)
    return make_error(errc::proof_invalid, "empty export: no header line");
  context_.clear();
  SAPHAN_TRY_VOID(finish());
  return report_;
}

result<void> export_verifier::header(std::string_view text) {
  context_ = "header";
  auto doc = SAPHAN_TRY(parse_json(text, {max_export_line_bytes, max_line_depth}));
  auto parsed = SAPHAN_TRY(parse_header(doc));
  header_ = std::move(parsed);
  key_ = header_.key.key;
  if (options_.log_key) {
    if (!(options_.log_key->key == header_.key.key)) {
      return make_error(
          errc::bad_signature,
          "logKey (kid '" + header_.key.kid + "') is not the pinned log key" +
              (options_.log_key->kid.empty() ? "" : " (kid '" + options_.log_key->kid + "')"));
    }
    key_ = options_.log_key->key;
  }
  report_.origin = header_.origin;
  report_.key_id = header_.key.kid;
  report_.key_pinned = options_.log_key.has_value();
  report_.log_key = key_;
  report_.exported_at = header_.exported_at;
  report_.tsa_certificates = header_.tsa_certificates;
  report_.timestamps_checked = !options_.tsa_ca_path.empty();
  return ok();
}

result<void> export_verifier::line(std::string_view text) {
  if (text.empty())
    return make_error(errc::malformed_json, "empty line");
  auto doc = SAPHAN_TRY(parse_json(text, {max_export_line_bytes, max_line_depth}));
  if (!doc.IsObject())
    return make_error(errc::malformed_json, "must be a JSON object");
  if (doc.HasMember("index"))
    return entry(doc);
  if (doc.HasMember("checkpoint"))
    return head_line(doc);
  return make_error(errc::malformed_json,
                    "neither an entry line (index, entry) nor a checkpoint "
                    "line (checkpoint, timestampToken)");
}

result<void> export_verifier::entry(const Value& doc) {
  const std::uint64_t expected = tree_.size();
  context_ = "entry " + std::to_string(expected);
  SAPHAN_TRY_VOID(check_members(doc, entry_members, "entry line"));
  auto index = SAPHAN_TRY(read_size(doc["index"], "index"));
  context_ = "entry " + std::to_string(index);
  if (index > expected) {
    return make_error(errc::proof_invalid, "expected entry " + std::to_string(expected) +
                                               ", found entry " + std::to_string(index) + ": " +
                                               entries_range(expected, index) +
                                               " missing (deleted) or lines out of order");
  }
  if (index < expected) {
    return make_error(errc::proof_invalid, "expected entry " + std::to_string(expected) +
                                               ", found entry " + std::to_string(index) +
                                               " again: repeated or out of order");
  }
  if (expected >= header_.tree_size) {
    return make_error(errc::proof_invalid,
                      "beyond the header's treeSize " + std::to_string(header_.tree_size));
  }
  auto bytes = SAPHAN_TRY(read_string(doc["entry"], "entry", max_export_entry_bytes));
  if (bytes.empty())
    return make_error(errc::malformed_json, "entry: must not be empty");
  auto nodes = SAPHAN_TRY(tree_.append(merkle::leaf_hash(bytes)));
  if (observer_.on_node) {
    for (const auto& n : nodes)
      observer_.on_node(n);
  }
  const auto done = tree_.size();
  if (options_.progress && on_progress_step(done, options_.progress_every)) {
    options_.progress(done, header_.tree_size);
  }
  return ok();
}

result<void> export_verifier::head_line(const Value& doc) {
  context_ = "checkpoint";
  SAPHAN_TRY_VOID(check_members(doc, checkpoint_line_members, "checkpoint line"));
  if (!doc["checkpoint"].IsObject()) {
    return make_error(errc::malformed_json, "checkpoint: must be a JSON object");
  }
  const std::string json = write_json(doc["checkpoint"]);
  auto cp = SAPHAN_TRY(checkpoint_from_json(json));
  context_ = "checkpoint of size " + std::to_string(cp.tree_size);
  SAPHAN_TRY_VOID(check_head(cp));
  auto token = SAPHAN_TRY(read_token(doc["timestampToken"]));
  if (token) {
    SAPHAN_TRY_VOID(check_token(cp, *token));
    ++report_.timestamp_tokens;
  } else {
    ++report_.checkpoints_without_token;
  }
  if (report_.checkpoints++ == 0)
    report_.first_checkpoint_size = cp.tree_size;
  report_.last_checkpoint_size = cp.tree_size;
  report_.last_checkpoint_time = cp.timestamp;
  if (observer_.on_checkpoint)
    observer_.on_checkpoint(cp, json, token);
  last_ = std::move(cp);
  return ok();
}

// Placement, origin, key, root, signature and time, in that order, so the first message names
// the most specific cause (a changed root is a root mismatch, not a bad signature).
result<void> export_verifier::check_head(const checkpoint& cp) {
  const std::uint64_t entries = tree_.size();
  if (cp.tree_size != entries) {
    return make_error(errc::proof_invalid, "appears after " + std::to_string(entries) +
                                               " entries; a checkpoint follows the entry that "
                                               "brings the tree to its size");
  }
  if (last_ && cp.tree_size <= last_->tree_size) {
    return make_error(errc::proof_invalid,
                      "sizes must strictly increase; the previous "
                      "checkpoint has size " +
                          std::to_string(last_->tree_size));
  }
  if (cp.origin != header_.origin) {
    return make_error(errc::proof_invalid,
                      "origin '" + cp.origin + "' is not the export's '" + header_.origin + "'");
  }
  if (cp.key_id != header_.key.kid) {
    return make_error(errc::proof_invalid, "signed by key '" + cp.key_id +
                                               "', but the log key is '" + header_.key.kid + "'");
  }
  const auto root = tree_.root();
  if (!(cp.root_hash == root)) {
    const std::uint64_t good = last_ ? last_->tree_size : 0;
    return make_error(errc::root_mismatch,
                      "root_hash " + b64(cp.root_hash) + " is not the root " + b64(root) +
                          " recomputed from entries 0.." + std::to_string(entries - 1) + ": " +
                          entries_range(good, entries) +
                          " changed, deleted, inserted or reordered" +
                          (last_ ? " (entries below " + std::to_string(good) +
                                       " match the checkpoint of size " + std::to_string(good) + ")"
                                 : ""));
  }
  SAPHAN_TRY_VOID(verify_checkpoint(cp, key_));
  if (last_ && cp.timestamp < last_->timestamp) {
    return make_error(errc::proof_invalid,
                      "time " + format_rfc3339(cp.timestamp) + " goes back before " +
                          format_rfc3339(last_->timestamp) + " of the checkpoint of size " +
                          std::to_string(last_->tree_size));
  }
  return ok();
}

result<void> export_verifier::check_token(const checkpoint& cp, const std::string& der) {
  if (options_.tsa_ca_path.empty())
    return ok();  // counted, never called verified
  auto verified = tsa::verify_token(der, timestamp_imprint(cp), {options_.tsa_ca_path, {}});
  if (!verified) {
    return make_error(errc::timestamp_invalid, "timestampToken: " + verified.error().detail);
  }
  return ok();
}

result<void> export_verifier::finish() {
  if (tree_.size() != header_.tree_size) {
    return make_error(errc::proof_invalid, "the export ends after " + std::to_string(tree_.size()) +
                                               " entries but its header says treeSize " +
                                               std::to_string(header_.tree_size) + ": truncated");
  }
  report_.entries = tree_.size();
  report_.root = tree_.root();
  if (options_.progress && ends_progress(tree_.size(), options_.progress_every)) {
    options_.progress(tree_.size(), header_.tree_size);
  }
  return ok();
}

// Collects the hashes of the nodes an inclusion proof needs as they complete.
class node_collector {
 public:
  explicit node_collector(std::vector<merkle::node_id> ids) : ids_(std::move(ids)) {
    std::sort(ids_.begin(), ids_.end());
    ids_.erase(std::unique(ids_.begin(), ids_.end()), ids_.end());
    hashes_.resize(ids_.size());
  }

  void add(const merkle::stored_node& n) {
    auto at = std::lower_bound(ids_.begin(), ids_.end(), n.id);
    if (at != ids_.end() && *at == n.id)
      hashes_[static_cast<std::size_t>(at - ids_.begin())] = n.hash;
  }

  result<std::vector<crypto::sha256_digest>> fetch(
      const std::vector<merkle::node_id>& wanted) const {
    std::vector<crypto::sha256_digest> out;
    out.reserve(wanted.size());
    for (const auto& id : wanted) {
      auto at = std::lower_bound(ids_.begin(), ids_.end(), id);
      auto i = static_cast<std::size_t>(at - ids_.begin());
      if (at == ids_.end() || !(*at == id) || !hashes_[i]) {
        return make_error(errc::internal, "proof node (" + std::to_string(id.level) + ", " +
                                              std::to_string(id.index) + ") was never completed");
      }
      out.push_back(*hashes_[i]);
    }
    return out;
  }

 private:
  std::vector<merkle::node_id> ids_;
  std::vector<std::optional<crypto::sha256_digest>> hashes_;
};

result<std::uint64_t> latest_size(std::istream& in, const verify_options& options) {
  auto report = SAPHAN_TRY(verify_export(in, options));
  if (report.checkpoints == 0) {
    return make_error(errc::not_found, "the export holds no checkpoint to prove against");
  }
  in.clear();
  in.seekg(0);
  if (!in)
    return make_error(errc::invalid_argument, "the export cannot be read twice; give the size");
  return report.last_checkpoint_size;
}

result<crypto::sha256_digest> decode_hash(const Value& v, std::string_view where) {
  auto text = SAPHAN_TRY(read_string(v, where, 64));
  auto raw = crypto::base64url_decode(text);
  if (!raw || raw->size() != crypto::sha256_digest::size) {
    return make_error(errc::invalid_argument,
                      std::string(where) + ": must be 32 bytes in unpadded base64url");
  }
  return crypto::sha256_from_bytes(*raw);
}

result<std::vector<crypto::sha256_digest>> decode_path(const Value& v) {
  if (!v.IsArray())
    return make_error(errc::malformed_json, "path: must be an array");
  if (v.Size() > merkle::max_proof_hashes) {
    return make_error(errc::proof_invalid,
                      "path: at most " + std::to_string(merkle::max_proof_hashes) + " hashes");
  }
  std::vector<crypto::sha256_digest> path;
  for (const auto& h : v.GetArray()) {
    auto hash = SAPHAN_TRY(decode_hash(h, "path[]"));
    path.push_back(hash);
  }
  return path;
}

}  // namespace

result<std::string> entry_line(std::uint64_t index, std::string_view entry) {
  rapidjson::StringBuffer buffer;
  json_writer w(buffer);
  w.StartObject();
  put_key(w, "index");
  w.Uint64(index);
  put_key(w, "entry");
  if (!put_string(w, entry)) {
    return make_error(errc::invalid_argument, "log entry " + std::to_string(index) +
                                                  " is not UTF-8 text; the export carries "
                                                  "entries as JSON strings");
  }
  w.EndObject();
  return finish(buffer);
}

result<export_summary> write_export(store& db, std::ostream& out, const export_header& header,
                                    const export_options& options) {
  SAPHAN_TRY_VOID(check_header(header));
  auto total = SAPHAN_TRY(export_size(db, options));
  auto first = SAPHAN_TRY(header_line(header, total));
  SAPHAN_TRY_VOID(write_line(out, first));
  export_summary summary;
  checkpoint_cursor heads(db, total);
  SAPHAN_TRY_VOID(heads.write_at(0, out, summary));
  SAPHAN_TRY_VOID(write_entries(db, out, total, heads, options, summary));
  out.flush();
  if (!out)
    return make_error(errc::io_error, "writing the export failed");
  if (options.progress && ends_progress(summary.entries, options.progress_every)) {
    options.progress(summary.entries, total);
  }
  return summary;
}

result<export_report> verify_export(std::istream& in, const verify_options& options,
                                    const verify_observer& observer) {
  if (!options.tsa_ca_path.empty()) {
    // Fail once, up front, rather than at every token.
    auto ca = read_file(options.tsa_ca_path, 1 << 20);
    if (!ca)
      return make_error(ca.error().code, "TSA CA: " + ca.error().detail);
  }
  export_verifier verifier(options, observer);
  return verifier.run(in);
}

result<export_proof> prove_export(std::istream& in, std::uint64_t index,
                                  std::optional<std::uint64_t> size,
                                  const verify_options& options) {
  if (!size) {
    auto latest = SAPHAN_TRY(latest_size(in, options));
    size = latest;
  }
  if (index >= *size) {
    return make_error(
        errc::invalid_argument,
        "index " + std::to_string(index) + " is not below the tree size " + std::to_string(*size));
  }
  auto plan = SAPHAN_TRY(merkle::inclusion_proof_plan(index, *size));
  const auto plan_nodes = plan.nodes();
  auto wanted = plan_nodes;
  wanted.push_back(merkle::node_id{0, index});
  node_collector nodes(wanted);
  std::optional<export_proof> proof;
  verify_observer observer;
  observer.on_node = [&](const merkle::stored_node& n) { nodes.add(n); };
  observer.on_checkpoint = [&](const checkpoint& cp, std::string_view json,
                               const std::optional<std::string>&) {
    if (cp.tree_size == *size)
      proof = export_proof{index, *size, {}, {}, cp, std::string(json), {}, false};
  };
  auto report = SAPHAN_TRY(verify_export(in, options, observer));
  if (!proof) {
    return make_error(errc::not_found,
                      "the export holds no checkpoint of size " + std::to_string(*size));
  }
  auto fetched = SAPHAN_TRY(nodes.fetch(plan_nodes));
  auto path = SAPHAN_TRY(merkle::assemble_proof(plan, fetched));
  auto leaf = SAPHAN_TRY(nodes.fetch({merkle::node_id{0, index}}));
  proof->leaf_hash = leaf.front();
  proof->log_key = report.log_key;
  proof->key_pinned = report.key_pinned;
  proof->path = std::move(path);
  SAPHAN_TRY_VOID(
      merkle::verify_inclusion(proof->leaf_hash, index, *size, proof->path, proof->head.root_hash));
  return std::move(*proof);
}

std::string proof_to_json(const export_proof& proof) {
  rapidjson::StringBuffer buffer;
  json_writer w(buffer);
  w.StartObject();
  put_key(w, "index");
  w.Uint64(proof.index);
  put_key(w, "treeSize");
  w.Uint64(proof.tree_size);
  put_key(w, "leafHash");
  put_string(w, b64(proof.leaf_hash));
  put_key(w, "path");
  w.StartArray();
  for (const auto& h : proof.path)
    put_string(w, b64(h));
  w.EndArray();
  put_key(w, "rootHash");
  put_string(w, b64(proof.head.root_hash));
  put_key(w, "checkpoint");
  const auto json = checkpoint_to_json(proof.head);
  w.RawValue(json.data(), json.size(), rapidjson::kObjectType);
  w.EndObject();
  return finish(buffer);
}

result<void> verify_proof_json(std::string_view json, const crypto::ed25519_public_key& key) {
  auto doc = SAPHAN_TRY(parse_json(json, {64 * 1024, max_line_depth}));
  SAPHAN_TRY_VOID(check_members(doc, proof_members, "proof"));
  auto index = SAPHAN_TRY(read_size((doc)["index"], "index"));
  auto size = SAPHAN_TRY(read_size((doc)["treeSize"], "treeSize"));
  auto leaf = SAPHAN_TRY(decode_hash((doc)["leafHash"], "leafHash"));
  auto path = SAPHAN_TRY(decode_path((doc)["path"]));
  auto root = SAPHAN_TRY(decode_hash((doc)["rootHash"], "rootHash"));
  if (!(doc)["checkpoint"].IsObject()) {
    return make_error(errc::malformed_json, "checkpoint: must be a JSON object");
  }
  auto cp = SAPHAN_TRY(checkpoint_from_json(write_json((doc)["checkpoint"])));
  SAPHAN_TRY_VOID(verify_checkpoint(cp, key));
  if (cp.tree_size != size) {
    return make_error(errc::proof_invalid, "treeSize " + std::to_string(size) +
                                               " is not the checkpoint's " +
                                               std::to_string(cp.tree_size));
  }
  if (!(cp.root_hash == root)) {
    return make_error(errc::root_mismatch, "rootHash is not the checkpoint's root_hash");
  }
  return merkle::verify_inclusion(leaf, index, size, path, cp.root_hash);
}

}  // namespace saphan::evidence
