#include "catalog/dataset.hpp"

#include "core/files.hpp"
#include "schema/record_schema.hpp"

namespace saphan {
namespace {

// A schema file is a few kilobytes; the stored form embeds it, so it gets the larger bound.
constexpr std::size_t max_schema_bytes = 1 << 20;
constexpr json_limits stored_limits{4 << 20, 32};
constexpr std::size_t max_file_name_bytes = 255;

// The "schema" member names a file directly inside the schemas directory; anything that could
// walk out of it (a slash, "..") or confuse open() (control characters, NUL) is refused.
result<void> check_schema_file_name(std::string_view name) {
  auto bad = [](std::string_view rule) {
    return make_error(errc::invalid_schema, "schema: " + std::string(rule));
  };
  if (name.empty())
    return bad("must name a file");
  if (name.size() > max_file_name_bytes)
    return bad("file name longer than 255 bytes");
  if (name.find('/') != std::string_view::npos || name.find('\\') != std::string_view::npos) {
    return bad("must be a file name without '/' (files under the schemas directory only)");
  }
  if (name.find("..") != std::string_view::npos)
    return bad("must not contain '..'");
  for (char c : name) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return bad("must not contain control characters");
    }
  }
  return ok();
}

result<dataset_id> read_id(const json_object& obj) {
  auto text = obj.string("id");
  if (!text)
    return make_error(errc::invalid_dataset_id, text.error().detail);
  auto id = parse_dataset_id(*text);
  if (!id)
    return make_error(errc::invalid_dataset_id, "id: " + id.error().detail);
  return id;
}

result<classification> read_classification(const json_object& obj) {
  auto text = SAPHAN_TRY(obj.string("classification"));
  auto level = parse_classification(text);
  if (!level) {
    return obj.fail("classification",
                    "must be one of open, internal, confidential, secret, top_secret");
  }
  return level;
}

result<std::string> read_subject_field(const json_object& obj, const record_schema& schema) {
  auto field = SAPHAN_TRY(obj.string("subjectField"));
  if (!schema.fields().contains(field)) {
    return make_error(errc::invalid_schema, "subjectField: \"" + field.substr(0, 128) +
                                                "\" is not a field of the schema");
  }
  return field;
}

// Every field a purpose grants must exist in the record, or the grant promises data the provider
// can never send (and a typo would silently grant nothing).
result<void> check_policy_fields(const access_policy& policy, const std::set<std::string>& known) {
  for (std::size_t g = 0; g < policy.grants.size(); ++g) {
    const auto& purposes = policy.grants[g].purposes;
    for (std::size_t p = 0; p < purposes.size(); ++p) {
      for (const auto& field : purposes[p].fields) {
        if (known.contains(field))
          continue;
        return make_error(errc::invalid_policy,
                          "policy.grants[" + std::to_string(g) + "].purposes[" + std::to_string(p) +
                              "].fields: \"" + field + "\" is not a field of the schema");
      }
    }
  }
  return ok();
}

result<const rapidjson::Value*> required_member(const json_object& obj, std::string_view name,
                                                errc code) {
  const auto* v = obj.find(name);
  if (v == nullptr)
    return make_error(code, std::string(name) + ": is required");
  return v;
}

// The checks both forms share, once the schema text is in hand. Order: schema, subject field,
// classification, metadata, policy, policy fields against the schema, publication time.
result<dataset_entry> build_entry(const json_object& obj, dataset_id id, std::string schema_text) {
  auto schema = record_schema::compile(schema_text);
  if (!schema)
    return make_error(errc::invalid_schema, "schema: " + schema.error().detail);
  dataset_entry entry;
  entry.id = std::move(id);
  auto subject = SAPHAN_TRY(read_subject_field(obj, *schema));
  entry.subject_field = std::move(subject);
  auto level = SAPHAN_TRY(read_classification(obj));
  entry.level = level;

  auto meta_value = SAPHAN_TRY(required_member(obj, "metadata", errc::missing_metadata));
  auto meta = SAPHAN_TRY(metadata_from_json(*meta_value));
  entry.metadata = std::move(meta);

  auto policy_value = SAPHAN_TRY(required_member(obj, "policy", errc::invalid_policy));
  auto policy = SAPHAN_TRY(policy_from_json(*policy_value));
  SAPHAN_TRY_VOID(check_policy_fields(policy, schema->fields()));
  entry.policy = std::move(policy);

  auto published = SAPHAN_TRY(obj.optional_string("publishedAt"));
  if (published) {
    auto at = parse_rfc3339(*published);
    if (!at)
      return make_error(errc::invalid_timestamp, "publishedAt: " + at.error().detail);
    entry.published_at = *at;
  }
  entry.schema = std::move(schema_text);
  return entry;
}

}  // namespace

result<dataset_entry> dataset_from_json(const rapidjson::Value& value,
                                        const std::string& schemas_dir) {
  auto obj = SAPHAN_TRY(json_object::of(value, "", errc::invalid_argument));
  auto id = SAPHAN_TRY(read_id(obj));
  auto name = SAPHAN_TRY(json_object(value, "", errc::invalid_schema).string("schema"));
  SAPHAN_TRY_VOID(check_schema_file_name(name));
  auto text = SAPHAN_TRY(read_file(schemas_dir + "/" + name, max_schema_bytes));
  return build_entry(obj, std::move(id), std::move(text));
}

std::string dataset_to_json(const dataset_entry& entry) {
  rapidjson::Document doc(rapidjson::kObjectType);
  auto& alloc = doc.GetAllocator();
  rapidjson::Value metadata;
  metadata_to_json(entry.metadata, metadata, alloc);
  rapidjson::Value policy;
  policy_to_json(entry.policy, policy, alloc);
  doc.AddMember("id", rapidjson::Value(to_string(entry.id), alloc), alloc);
  doc.AddMember("schemaText", rapidjson::Value(entry.schema, alloc), alloc);
  doc.AddMember("subjectField", rapidjson::Value(entry.subject_field, alloc), alloc);
  doc.AddMember("classification", rapidjson::Value(std::string(to_string(entry.level)), alloc),
                alloc);
  doc.AddMember("metadata", metadata, alloc);
  doc.AddMember("policy", policy, alloc);
  doc.AddMember("publishedAt", rapidjson::Value(format_rfc3339(entry.published_at), alloc), alloc);
  return write_json(doc);
}

result<dataset_entry> dataset_from_stored_json(std::string_view text) {
  auto doc = SAPHAN_TRY(parse_json(text, stored_limits));
  auto obj = SAPHAN_TRY(json_object::of(doc, "", errc::invalid_argument));
  auto id = SAPHAN_TRY(read_id(obj));
  auto schema_text = SAPHAN_TRY(json_object(doc, "", errc::invalid_schema).string("schemaText"));
  // The stored form always carries its publication time; only the config form may omit it.
  if (!obj.has("publishedAt"))
    return obj.fail("publishedAt", "is required");
  return build_entry(obj, std::move(id), std::move(schema_text));
}

result<std::set<std::string>> schema_fields(const std::string& schema_text) {
  auto schema = record_schema::compile(schema_text);
  if (!schema)
    return make_error(errc::invalid_schema, "schema: " + schema.error().detail);
  return schema->fields();
}

}  // namespace saphan
