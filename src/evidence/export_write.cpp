// Writing an export: the header line, then entries with each signed head after the entries it
// covers.
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

}  // namespace saphan::evidence
