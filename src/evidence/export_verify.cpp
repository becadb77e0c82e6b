// Verifying an export line by line: the tree recomputed, every head's signature and token
// checked, entries no head covers refused.
#include "evidence/export.hpp"

#include <algorithm>
#include <istream>
#include <ostream>
#include <utility>

#include "core/files.hpp"
#include "core/json.hpp"
#include "evidence/export_lines.hpp"
#include "evidence/log.hpp"
#include "tsa/timestamp.hpp"

namespace saphan::evidence {
namespace {

using namespace lines;
using rapidjson::SizeType;
using rapidjson::Value;

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

}  // namespace

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

}  // namespace saphan::evidence
