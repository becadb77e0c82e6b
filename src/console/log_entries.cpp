#include "console/log_entries.hpp"

#include <rapidjson/reader.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "core/json.hpp"

namespace saphan::console {
namespace {

constexpr std::size_t max_page_bytes = 64 << 20;

// SAX over the answer: depth 1 is the answer object, 2 the entries array, 3 an element, 4 an
// entry's value. The stream's position at the entry value's first and last byte gives its span.
struct span_reader : rapidjson::BaseReaderHandler<rapidjson::UTF8<>, span_reader> {
  rapidjson::StringStream* stream = nullptr;
  std::string_view text;
  entries_page page;
  int depth = 0;
  std::string key;      // the last key seen at the current element's level
  std::string top_key;  // the last key at the answer's level
  std::size_t start = 0;
  bool in_entries = false;
  bool bad = false;

  bool element_level() const { return in_entries && depth == 3; }

  bool Key(const char* s, rapidjson::SizeType n, bool) {
    if (depth == 1)
      top_key.assign(s, n);
    if (element_level())
      key.assign(s, n);
    return true;
  }
  bool StartObject() {
    ++depth;
    if (depth == 4 && in_entries && key == "entry")
      start = stream->Tell() - 1;
    if (element_level()) {
      page.entries.emplace_back();
      key.clear();
    }
    return true;
  }
  bool EndObject(rapidjson::SizeType) {
    if (depth == 4 && in_entries && key == "entry") {
      page.entries.back().bytes = std::string(text.substr(start, stream->Tell() - start));
      page.entries.back().readable = true;
    }
    --depth;
    return true;
  }
  bool StartArray() {
    ++depth;
    if (depth == 2 && (top_key == "entries" || top_key == "leaves"))
      in_entries = true;
    return true;
  }
  bool EndArray(rapidjson::SizeType) {
    if (depth == 2)
      in_entries = false;
    --depth;
    return true;
  }
  bool Uint64(std::uint64_t v) {
    if (element_level() && key == "index")
      page.entries.back().index = v;
    if (depth == 1 && (top_key == "next" || top_key == "before"))
      page.next = v;
    return true;
  }
  bool Uint(unsigned v) { return Uint64(v); }
  bool Int(int v) { return v >= 0 ? Uint64(static_cast<std::uint64_t>(v)) : true; }
  bool Int64(std::int64_t v) { return v >= 0 ? Uint64(static_cast<std::uint64_t>(v)) : true; }
  bool String(const char* s, rapidjson::SizeType n, bool) {
    if (element_level() && key == "entryText") {
      page.entries.back().bytes.assign(s, n);
      page.entries.back().readable = true;
    }
    return true;
  }
  bool Default() { return true; }
};

}  // namespace

result<entries_page> read_entries_page(std::string_view body) {
  if (body.size() > max_page_bytes)
    return make_error(errc::payload_too_large, "log page over 64 MiB");
  // Strictly parsed first (bounds, depth, one document), then read for the spans.
  auto doc = SAPHAN_TRY(parse_json(body, {max_page_bytes, 32}));
  if (!doc.IsObject())
    return make_error(errc::malformed_json, "log page: not an object");
  std::string copy(body);  // NUL-terminated for the reader
  rapidjson::StringStream stream(copy.c_str());
  span_reader handler;
  handler.stream = &stream;
  handler.text = copy;
  rapidjson::Reader reader;
  if (reader.Parse(stream, handler).IsError())
    return make_error(errc::malformed_json, "log page: cannot be read");
  return std::move(handler.page);
}

result<std::string> export_entry_line(const raw_entry& entry) {
  if (!is_utf8(entry.bytes))
    return make_error(errc::invalid_argument,
                      "entry " + std::to_string(entry.index) + ": not UTF-8");
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  w.Key("index");
  w.Uint64(entry.index);
  w.Key("entry");
  w.String(entry.bytes.data(), static_cast<rapidjson::SizeType>(entry.bytes.size()));
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize()) + "\n";
}

std::string export_header_line(std::string_view origin, std::string_view log_key_jwk,
                               std::string_view exported_at, std::uint64_t tree_size) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  w.Key("format");
  w.String("saphan-evidence-export/1");
  w.Key("origin");
  w.String(origin.data(), static_cast<rapidjson::SizeType>(origin.size()));
  w.Key("logKey");
  w.RawValue(log_key_jwk.data(), log_key_jwk.size(), rapidjson::kObjectType);
  w.Key("tsaCertificates");
  w.StartArray();
  w.EndArray();
  w.Key("exportedAt");
  w.String(exported_at.data(), static_cast<rapidjson::SizeType>(exported_at.size()));
  w.Key("treeSize");
  w.Uint64(tree_size);
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize()) + "\n";
}

}  // namespace saphan::console
