#include "connectors/csv/csv_adapter.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <charconv>
#include <cmath>
#include <map>
#include <unordered_map>

#include "core/files.hpp"

namespace saphan::connector {
namespace {

enum class cell_type { string, integer, number, boolean };

struct field_mapping {
  std::string field;   // record member name
  std::size_t column;  // index into the row
  cell_type type = cell_type::string;
};

// Reads RFC 4180 text one character at a time; `line` counts physical lines for error messages.
class csv_reader {
 public:
  explicit csv_reader(std::string_view text) : text_(text) {
    if (text_.substr(0, 3) == "\xEF\xBB\xBF")
      pos_ = 3;
  }

  result<std::vector<csv_row>> read_all() {
    std::vector<csv_row> rows;
    while (pos_ < text_.size()) {
      auto start_line = line_;
      auto row = SAPHAN_TRY(read_row());
      if (row.size() == 1 && row[0].empty() && !last_row_quoted_)
        continue;  // empty line
      if (row.size() > max_csv_columns) {
        return fail(start_line, "more than " + std::to_string(max_csv_columns) + " columns");
      }
      if (!rows.empty() && row.size() != rows.front().size()) {
        return fail(start_line, "has " + std::to_string(row.size()) + " cells, the header has " +
                                    std::to_string(rows.front().size()));
      }
      rows.push_back(std::move(row));
    }
    return rows;
  }

 private:
  result<csv_row> read_row() {
    csv_row row;
    last_row_quoted_ = false;
    for (;;) {
      auto cell = SAPHAN_TRY(peek() == '"' ? read_quoted() : read_plain());
      row.push_back(std::move(cell));
      if (pos_ >= text_.size())
        return row;
      char c = text_[pos_++];
      if (c == ',')
        continue;
      if (c == '\r') {
        if (peek() != '\n')
          return fail(line_, "a carriage return must be followed by a line feed");
        ++pos_;
      }
      ++line_;  // c was a line end
      return row;
    }
  }

  result<std::string> read_plain() {
    auto start = pos_;
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (c == ',' || c == '\n' || c == '\r')
        break;
      if (c == '"')
        return fail(line_, "a quote inside an unquoted cell");
      ++pos_;
    }
    return std::string(text_.substr(start, pos_ - start));
  }

  result<std::string> read_quoted() {
    last_row_quoted_ = true;
    auto start_line = line_;
    ++pos_;  // opening quote
    std::string out;
    while (pos_ < text_.size()) {
      char c = text_[pos_++];
      if (c == '"') {
        if (peek() == '"') {
          out.push_back('"');
          ++pos_;
          continue;
        }
        char next = peek();
        if (pos_ < text_.size() && next != ',' && next != '\n' && next != '\r') {
          return fail(line_, "characters after a closing quote");
        }
        return out;
      }
      if (c == '\n')
        ++line_;
      out.push_back(c);
    }
    return fail(start_line, "a quoted cell is never closed");
  }

  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }

  static error fail(std::size_t line, const std::string& rule) {
    return make_error(errc::invalid_argument, "line " + std::to_string(line) + ": " + rule);
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  std::size_t line_ = 1;
  bool last_row_quoted_ = false;
};

// Records are rendered once at load time: a lookup is then a hash-map find with no allocation
// beyond the copy handed out, and the table is read-only, so fetch needs no lock.
class csv_adapter final : public record_adapter {
 public:
  explicit csv_adapter(std::unordered_map<std::string, std::string> records)
      : records_(std::move(records)) {}

  result<std::optional<std::string>> fetch(std::string_view subject) override {
    auto it = records_.find(std::string(subject));
    if (it == records_.end())
      return std::optional<std::string>{};
    return std::optional<std::string>{it->second};
  }

  std::string_view type() const override { return "csv"; }

 private:
  const std::unordered_map<std::string, std::string> records_;
};

result<cell_type> parse_cell_type(std::string_view text) {
  if (text == "string")
    return cell_type::string;
  if (text == "integer")
    return cell_type::integer;
  if (text == "number")
    return cell_type::number;
  if (text == "boolean")
    return cell_type::boolean;
  return make_error(errc::invalid_argument, "must be one of string, integer, number, boolean");
}

std::optional<std::size_t> column_index(const csv_row& header, std::string_view name) {
  for (std::size_t i = 0; i < header.size(); ++i) {
    if (header[i] == name)
      return i;
  }
  return std::nullopt;
}

// "fields" maps record members to columns; absent, every column becomes a member of its name.
result<std::vector<field_mapping>> read_mappings(const rapidjson::Value& config,
                                                 const std::string& where, const csv_row& header) {
  std::vector<field_mapping> out;
  auto fields = config.FindMember("fields");
  if (fields == config.MemberEnd()) {
    for (std::size_t i = 0; i < header.size(); ++i)
      out.push_back({header[i], i});
    return out;
  }
  if (!fields->value.IsObject() || fields->value.MemberCount() == 0) {
    return make_error(errc::invalid_argument, where + ".fields: must be a non-empty object");
  }
  for (auto m = fields->value.MemberBegin(); m != fields->value.MemberEnd(); ++m) {
    std::string name(m->name.GetString(), m->name.GetStringLength());
    auto at = where + ".fields." + name.substr(0, 64);
    if (name.empty() || name.size() > 64)
      return make_error(errc::invalid_argument, at + ": 1..64 characters");
    if (!m->value.IsString())
      return make_error(errc::invalid_argument, at + ": must be a column name");
    auto column = column_index(header, {m->value.GetString(), m->value.GetStringLength()});
    if (!column)
      return make_error(errc::invalid_argument, at + ": no such column in the header");
    out.push_back({std::move(name), *column});
  }
  return out;
}

result<void> apply_types(const rapidjson::Value& config, const std::string& where,
                         std::vector<field_mapping>& mappings) {
  auto types = config.FindMember("types");
  if (types == config.MemberEnd())
    return ok();
  if (!types->value.IsObject())
    return make_error(errc::invalid_argument, where + ".types: must be an object");
  for (auto m = types->value.MemberBegin(); m != types->value.MemberEnd(); ++m) {
    std::string name(m->name.GetString(), m->name.GetStringLength());
    auto at = where + ".types." + name.substr(0, 64);
    if (!m->value.IsString())
      return make_error(errc::invalid_argument, at + ": must be a string");
    auto type = parse_cell_type({m->value.GetString(), m->value.GetStringLength()});
    if (!type)
      return make_error(errc::invalid_argument, at + ": " + type.error().detail);
    bool found = false;
    for (auto& mapping : mappings) {
      if (mapping.field == name) {
        mapping.type = *type;
        found = true;
      }
    }
    if (!found)
      return make_error(errc::invalid_argument, at + ": not a field of the record");
  }
  return ok();
}

using json_writer = rapidjson::Writer<rapidjson::StringBuffer>;

// Writes one typed cell; false when the cell does not hold its type.
bool write_cell(json_writer& w, const std::string& cell, cell_type type) {
  const char* first = cell.data();
  const char* last = cell.data() + cell.size();
  switch (type) {
    case cell_type::string:
      return w.String(cell.data(), static_cast<rapidjson::SizeType>(cell.size()));
    case cell_type::integer: {
      std::int64_t v = 0;
      auto [end, ec] = std::from_chars(first, last, v);
      return ec == std::errc{} && end == last && w.Int64(v);
    }
    case cell_type::number: {
      double v = 0;
      auto [end, ec] = std::from_chars(first, last, v);
      return ec == std::errc{} && end == last && std::isfinite(v) && w.Double(v);
    }
    case cell_type::boolean:
      if (cell == "true")
        return w.Bool(true);
      if (cell == "false")
        return w.Bool(false);
      return false;
  }
  return false;
}

// An empty cell leaves the member out: CSV cannot tell "absent" from "empty", and a schema with
// "required" then reports the gap instead of accepting an empty string.
result<std::string> render_record(const csv_row& row, const std::vector<field_mapping>& mappings,
                                  std::size_t row_number) {
  rapidjson::StringBuffer buffer;
  json_writer w(buffer);
  w.StartObject();
  for (const auto& m : mappings) {
    const auto& cell = row[m.column];
    if (cell.empty())
      continue;
    w.Key(m.field.data(), static_cast<rapidjson::SizeType>(m.field.size()));
    if (!write_cell(w, cell, m.type)) {
      return make_error(errc::invalid_argument, "row " + std::to_string(row_number) + ", field " +
                                                    m.field + ": cell is not of its declared type");
    }
  }
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

result<std::unordered_map<std::string, std::string>> build_records(
    const std::vector<csv_row>& rows, std::size_t key_column,
    const std::vector<field_mapping>& mappings) {
  std::unordered_map<std::string, std::string> records;
  for (std::size_t i = 1; i < rows.size(); ++i) {
    const auto& key = rows[i][key_column];
    if (key.empty())
      return make_error(errc::invalid_argument, "row " + std::to_string(i) + ": empty key");
    auto record = SAPHAN_TRY(render_record(rows[i], mappings, i));
    if (!records.emplace(key, std::move(record)).second) {
      return make_error(errc::invalid_argument, "row " + std::to_string(i) + ": key " +
                                                    key.substr(0, 64) + " appears twice");
    }
  }
  return records;
}

}  // namespace

result<std::vector<csv_row>> parse_csv(std::string_view text) {
  if (text.size() > max_csv_bytes) {
    return make_error(errc::payload_too_large,
                      "CSV larger than " + std::to_string(max_csv_bytes) + " bytes");
  }
  return csv_reader(text).read_all();
}

result<std::shared_ptr<record_adapter>> make_csv_adapter(const rapidjson::Value& config,
                                                         const std::string& where,
                                                         const std::string& base_dir) {
  SAPHAN_TRY_VOID(
      reject_unknown_members(config, where, {"type", "path", "keyColumn", "fields", "types"}));
  json_object obj(config, where, errc::invalid_argument);
  auto path = SAPHAN_TRY(obj.string("path"));
  auto key_column = SAPHAN_TRY(obj.string("keyColumn"));

  auto full_path = resolve_path(base_dir, path);
  auto text = read_file(full_path, max_csv_bytes);
  if (!text)
    return obj.fail("path", text.error().detail);
  auto rows = parse_csv(*text);
  if (!rows)
    return obj.fail("path", full_path + ": " + rows.error().detail);
  if (rows->empty())
    return obj.fail("path", full_path + ": no header line");

  const auto& header = rows->front();
  auto key_index = column_index(header, key_column);
  if (!key_index)
    return obj.fail("keyColumn", "no column \"" + key_column.substr(0, 64) + "\" in the header");
  auto mappings = SAPHAN_TRY(read_mappings(config, where, header));
  SAPHAN_TRY_VOID(apply_types(config, where, mappings));
  auto records = build_records(*rows, *key_index, mappings);
  if (!records)
    return obj.fail("path", full_path + ": " + records.error().detail);
  return std::shared_ptr<record_adapter>(std::make_shared<csv_adapter>(std::move(*records)));
}

}  // namespace saphan::connector
