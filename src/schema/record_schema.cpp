#include "schema/record_schema.hpp"

#include <rapidjson/internal/regex.h>
#include <rapidjson/pointer.h>
#include <rapidjson/schema.h>
#include <rapidjson/stringbuffer.h>

#include <chrono>
#include <mutex>
#include <vector>

#include "core/citizen_id.hpp"
#include "core/time.hpp"
#include "schema/pattern.hpp"

namespace saphan {

// The keywords that RapidJSON 1.1.0 silently ignores when they are broken (an unresolvable $ref
// or a pattern its regex engine cannot compile both turn into "accept anything"), so compile()
// checks them itself. The same walk rejects "format" annotations that the post-validation walk
// cannot reach, so that no thai-id field goes unchecked without anyone noticing.
namespace {

using rapidjson::Value;

// Each $ref may point at another $ref; a longer chain is treated as a cycle.
constexpr int max_ref_hops = 16;
// The post-validation walk follows the record; records from parse_json are at most 32 deep, and
// schemas with recursive $ref cannot push the walk past this.
constexpr int max_walk_depth = 64;

// Formats this module checks after RapidJSON (which ignores "format").
constexpr std::string_view thai_id_format = "thai-id";
constexpr std::string_view date_format = "date";
constexpr std::string_view date_time_format = "date-time";
// Our own annotation: the string must start with the value of the named sibling property
// (DOPA geocodes: a sub-district code starts with its district code, a district with its province).
constexpr std::string_view starts_with_keyword = "x-startsWith";

std::string_view view_of(const Value& v) {
  return {v.GetString(), v.GetStringLength()};
}

const Value* find_member(const Value& object, std::string_view name) {
  if (!object.IsObject())
    return nullptr;
  const Value key(rapidjson::StringRef(name.data(), name.size()));
  auto it = object.FindMember(key);
  return it == object.MemberEnd() ? nullptr : &it->value;
}

const Value* find_string(const Value& object, std::string_view name) {
  const auto* v = find_member(object, name);
  return v != nullptr && v->IsString() ? v : nullptr;
}

// JSON pointer token escaping (RFC 6901): "~" -> "~0", "/" -> "~1".
void append_token(std::string& pointer, std::string_view token) {
  pointer.push_back('/');
  for (char c : token) {
    if (c == '~') {
      pointer += "~0";
    } else if (c == '/') {
      pointer += "~1";
    } else {
      pointer.push_back(c);
    }
  }
}

std::string printable(const std::string& pointer) {
  return pointer.empty() ? "(root)" : pointer;
}

error violation(const std::string& pointer, std::string_view rule) {
  return make_error(errc::schema_violation, printable(pointer) + ": " + std::string(rule));
}

error bad_schema(const std::string& pointer, std::string_view rule) {
  return make_error(errc::invalid_schema,
                    "schema " + printable(pointer) + ": " + std::string(rule));
}

// Resolves a local reference ("#/definitions/x") against the schema document.
const Value* resolve_local_ref(const Value& root, const Value& ref) {
  if (!ref.IsString() || ref.GetStringLength() == 0 || ref.GetString()[0] != '#')
    return nullptr;
  rapidjson::Pointer pointer(ref.GetString(), ref.GetStringLength());
  if (!pointer.IsValid())
    return nullptr;
  return pointer.Get(root);
}

// Follows $ref chains to the schema that applies. Null when a chain does not end in an object
// within max_ref_hops (compile() has already rejected such schemas).
const Value* follow_refs(const Value& root, const Value* schema) {
  for (int hop = 0; hop <= max_ref_hops; ++hop) {
    if (schema == nullptr || !schema->IsObject())
      return nullptr;
    const auto* ref = find_member(*schema, "$ref");
    if (ref == nullptr)
      return schema;
    schema = resolve_local_ref(root, *ref);
  }
  return nullptr;
}

// ---- compile-time checks of the schema document ----

class schema_checker {
 public:
  explicit schema_checker(const Value& root) : root_(root) {}

  result<void> check(const Value& node, std::string& pointer, bool reachable) {
    if (!node.IsObject())
      return ok();
    if (const auto* ref = find_member(node, "$ref"))
      return check_ref(*ref, pointer);
    SAPHAN_TRY_VOID(check_pattern(node, pointer));
    SAPHAN_TRY_VOID(check_format(node, pointer, reachable));
    if (const auto* prefix = find_member(node, starts_with_keyword);
        prefix && !prefix->IsString()) {
      return bad_schema(pointer,
                        std::string(starts_with_keyword) + " must name a sibling property");
    }
    SAPHAN_TRY_VOID(check_map(node, "properties", pointer, reachable));
    SAPHAN_TRY_VOID(check_map(node, "definitions", pointer, reachable));
    SAPHAN_TRY_VOID(check_map(node, "patternProperties", pointer, false));
    SAPHAN_TRY_VOID(check_map(node, "dependencies", pointer, false));
    SAPHAN_TRY_VOID(check_one(node, "additionalProperties", pointer, reachable));
    SAPHAN_TRY_VOID(check_one(node, "items", pointer, reachable));
    SAPHAN_TRY_VOID(check_one(node, "additionalItems", pointer, false));
    SAPHAN_TRY_VOID(check_one(node, "not", pointer, false));
    SAPHAN_TRY_VOID(check_one(node, "allOf", pointer, reachable));
    SAPHAN_TRY_VOID(check_one(node, "anyOf", pointer, false));
    return check_one(node, "oneOf", pointer, false);
  }

 private:
  result<void> check_ref(const Value& ref, const std::string& pointer) {
    const Value* target = &ref;
    for (int hop = 0; hop < max_ref_hops; ++hop) {
      if (!target->IsString() || target->GetStringLength() == 0 || target->GetString()[0] != '#') {
        return bad_schema(pointer,
                          "$ref must be local (\"#/...\"); remote references are not allowed");
      }
      const auto* resolved = resolve_local_ref(root_, *target);
      if (resolved == nullptr || !resolved->IsObject()) {
        return bad_schema(pointer, "$ref does not resolve to a schema object in this document");
      }
      const auto* next = find_member(*resolved, "$ref");
      if (next == nullptr)
        return ok();
      target = next;
    }
    return bad_schema(
        pointer, "$ref chain longer than " + std::to_string(max_ref_hops) + " hops (a cycle?)");
  }

  static bool compiles(const Value& pattern) {
    if (!pattern.IsString() || !is_supported_pattern(view_of(pattern)))
      return false;
    // The same engine (and encoding) RapidJSON's validator uses for "pattern".
    rapidjson::internal::GenericRegex<rapidjson::UTF8<>> regex(pattern.GetString());
    return regex.IsValid();
  }

  static result<void> check_pattern(const Value& node, const std::string& pointer) {
    if (const auto* pattern = find_member(node, "pattern"); pattern && !compiles(*pattern)) {
      return bad_schema(pointer, "pattern is not a regular expression RapidJSON supports");
    }
    if (const auto* map = find_member(node, "patternProperties"); map && map->IsObject()) {
      for (auto it = map->MemberBegin(); it != map->MemberEnd(); ++it) {
        if (!compiles(it->name)) {
          return bad_schema(pointer, "patternProperties key is not a supported regular expression");
        }
      }
    }
    return ok();
  }

  static result<void> check_format(const Value& node, const std::string& pointer, bool reachable) {
    const auto* format = find_member(node, "format");
    if (format == nullptr || reachable)
      return ok();
    if (format->IsString() && view_of(*format) == thai_id_format) {
      return bad_schema(pointer,
                        "\"format\": \"thai-id\" is only checked under properties, items, "
                        "additionalProperties and allOf");
    }
    return ok();
  }

  result<void> check_map(const Value& node, std::string_view keyword, std::string& pointer,
                         bool reachable) {
    const auto* map = find_member(node, keyword);
    if (map == nullptr || !map->IsObject())
      return ok();
    auto mark = pointer.size();
    append_token(pointer, keyword);
    for (auto it = map->MemberBegin(); it != map->MemberEnd(); ++it) {
      auto inner = pointer.size();
      append_token(pointer, view_of(it->name));
      SAPHAN_TRY_VOID(check(it->value, pointer, reachable));
      pointer.resize(inner);
    }
    pointer.resize(mark);
    return ok();
  }

  // A keyword whose value is one schema or an array of schemas.
  result<void> check_one(const Value& node, std::string_view keyword, std::string& pointer,
                         bool reachable) {
    const auto* sub = find_member(node, keyword);
    if (sub == nullptr)
      return ok();
    auto mark = pointer.size();
    append_token(pointer, keyword);
    if (sub->IsArray()) {
      for (rapidjson::SizeType i = 0; i < sub->Size(); ++i) {
        auto inner = pointer.size();
        append_token(pointer, std::to_string(i));
        SAPHAN_TRY_VOID(check((*sub)[i], pointer, reachable));
        pointer.resize(inner);
      }
    } else {
      SAPHAN_TRY_VOID(check(*sub, pointer, reachable));
    }
    pointer.resize(mark);
    return ok();
  }

  const Value& root_;
};

// ---- post-validation checks of a record (after RapidJSON accepted it) ----

result<void> check_date(std::string_view text, const std::string& pointer) {
  auto digits = [&](std::size_t from, std::size_t count, int& out) {
    out = 0;
    for (std::size_t i = from; i < from + count; ++i) {
      if (text[i] < '0' || text[i] > '9')
        return false;
      out = out * 10 + (text[i] - '0');
    }
    return true;
  };
  int y = 0, m = 0, d = 0;
  if (text.size() != 10 || text[4] != '-' || text[7] != '-' || !digits(0, 4, y) ||
      !digits(5, 2, m) || !digits(8, 2, d)) {
    return violation(pointer, "date (must be YYYY-MM-DD)");
  }
  std::chrono::year_month_day ymd{std::chrono::year{y},
                                  std::chrono::month{static_cast<unsigned>(m)},
                                  std::chrono::day{static_cast<unsigned>(d)}};
  if (!ymd.ok())
    return violation(pointer, "date (no such calendar date)");
  return ok();
}

// Formats apply to strings only, as in JSON Schema; the schema's "type" decides the rest.
// Details name the rule, never the value: records carry personal data and errors get logged.
result<void> check_format(const Value& schema, const Value& value, const std::string& pointer) {
  const auto* format = find_string(schema, "format");
  if (format == nullptr || !value.IsString())
    return ok();
  auto name = view_of(*format);
  if (name == thai_id_format) {
    auto id = validate_thai_id(view_of(value));
    if (!id)
      return violation(pointer, "thai-id " + id.error().detail);
  } else if (name == date_format) {
    return check_date(view_of(value), pointer);
  } else if (name == date_time_format) {
    if (!parse_rfc3339(view_of(value)))
      return violation(pointer, "date-time (RFC 3339)");
  }
  return ok();
}

class record_walker {
 public:
  explicit record_walker(const Value& root) : root_(root) {}

  result<void> walk(const Value* schema_node, const Value& value, std::string& pointer, int depth) {
    const auto* schema = follow_refs(root_, schema_node);
    if (schema == nullptr)
      return ok();  // typeless or boolean-like: nothing to check
    if (depth > max_walk_depth) {
      return violation(pointer, "nested deeper than " + std::to_string(max_walk_depth) + " levels");
    }
    SAPHAN_TRY_VOID(check_format(*schema, value, pointer));
    if (const auto* all = find_member(*schema, "allOf"); all && all->IsArray()) {
      for (rapidjson::SizeType i = 0; i < all->Size(); ++i) {
        SAPHAN_TRY_VOID(walk(&(*all)[i], value, pointer, depth + 1));
      }
    }
    if (value.IsObject())
      return walk_object(*schema, value, pointer, depth);
    if (value.IsArray())
      return walk_array(*schema, value, pointer, depth);
    return ok();
  }

 private:
  result<void> walk_object(const Value& schema, const Value& value, std::string& pointer,
                           int depth) {
    const auto* properties = find_member(schema, "properties");
    const auto* additional = find_member(schema, "additionalProperties");
    for (auto it = value.MemberBegin(); it != value.MemberEnd(); ++it) {
      auto name = view_of(it->name);
      const auto* sub = properties != nullptr ? find_member(*properties, name) : nullptr;
      if (sub == nullptr)
        sub = additional;
      auto mark = pointer.size();
      append_token(pointer, name);
      SAPHAN_TRY_VOID(walk(sub, it->value, pointer, depth + 1));
      if (sub != nullptr && sub != additional)
        SAPHAN_TRY_VOID(check_prefix(*sub, value, it->value, pointer));
      pointer.resize(mark);
    }
    return ok();
  }

  result<void> check_prefix(const Value& property_schema, const Value& object, const Value& value,
                            const std::string& pointer) {
    const auto* schema = follow_refs(root_, &property_schema);
    const auto* sibling_name =
        schema != nullptr ? find_string(*schema, starts_with_keyword) : nullptr;
    if (sibling_name == nullptr || !value.IsString())
      return ok();
    const auto* sibling = find_string(object, view_of(*sibling_name));
    if (sibling == nullptr)
      return ok();  // "required" decides whether the sibling must exist
    if (view_of(value).substr(0, sibling->GetStringLength()) != view_of(*sibling)) {
      return violation(pointer, std::string(starts_with_keyword) + " (must start with " +
                                    std::string(view_of(*sibling_name)) + ")");
    }
    return ok();
  }

  result<void> walk_array(const Value& schema, const Value& value, std::string& pointer,
                          int depth) {
    const auto* items = find_member(schema, "items");
    if (items == nullptr)
      return ok();
    for (rapidjson::SizeType i = 0; i < value.Size(); ++i) {
      const Value* sub = items;
      if (items->IsArray()) {
        if (i >= items->Size())
          break;  // additionalItems: not walked (compile() allows no format there)
        sub = &(*items)[i];
      }
      auto mark = pointer.size();
      append_token(pointer, std::to_string(i));
      SAPHAN_TRY_VOID(walk(sub, value[i], pointer, depth + 1));
      pointer.resize(mark);
    }
    return ok();
  }

  const Value& root_;
};

std::string stringify(const rapidjson::Pointer& pointer) {
  rapidjson::StringBuffer buffer;
  pointer.Stringify(buffer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

// RapidJSON 1.1.0 reports "required" at the object, not at the missing member; name the members.
std::string missing_members(const Value& schema, const Value* object, const std::string& pointer) {
  const auto* required = find_member(schema, "required");
  std::string names;
  if (required == nullptr || !required->IsArray() || object == nullptr || !object->IsObject()) {
    return names;
  }
  for (rapidjson::SizeType i = 0; i < required->Size(); ++i) {
    const auto& name = (*required)[i];
    if (!name.IsString() || find_member(*object, view_of(name)) != nullptr)
      continue;
    std::string field = pointer;
    append_token(field, view_of(name));
    names += names.empty() ? field : ", " + field;
  }
  return names;
}

}  // namespace

struct record_schema::impl {
  std::string text;
  rapidjson::Document document;  // kept: the compiled schema and the format walk refer to it
  std::unique_ptr<rapidjson::SchemaDocument> compiled;
  std::set<std::string> fields;
  // RapidJSON 1.1.0's regex engine keeps its match state inside the compiled pattern, so two
  // validations against one SchemaDocument must not run at the same time.
  mutable std::mutex validation_mutex;

  result<void> run_rapidjson(const Value& record) const;
};

result<void> record_schema::impl::run_rapidjson(const Value& record) const {
  std::lock_guard lock(validation_mutex);
  rapidjson::SchemaValidator validator(*compiled);
  if (record.Accept(validator))
    return ok();
  std::string keyword = validator.GetInvalidSchemaKeyword() != nullptr
                            ? validator.GetInvalidSchemaKeyword()
                            : "invalid";
  auto document_pointer = validator.GetInvalidDocumentPointer();
  std::string pointer = stringify(document_pointer);
  if (keyword == "required") {
    const auto* schema = validator.GetInvalidSchemaPointer().Get(document);
    auto names = missing_members(schema != nullptr ? *schema : document,
                                 document_pointer.Get(record), pointer);
    if (!names.empty())
      return make_error(errc::schema_violation, names + ": required");
  }
  return violation(pointer, keyword);
}

result<record_schema> record_schema::compile(std::string_view schema_text) {
  auto parsed = parse_json(schema_text);
  if (!parsed)
    return make_error(errc::invalid_schema, "schema is not JSON: " + parsed.error().detail);
  auto state = std::make_shared<impl>();
  state->text = std::string(schema_text);
  state->document = std::move(parsed).value();
  const auto& root = state->document;
  if (!root.IsObject())
    return make_error(errc::invalid_schema, "schema: must be a JSON object");
  const auto* properties = find_member(root, "properties");
  if (properties == nullptr || !properties->IsObject()) {
    return make_error(errc::invalid_schema, "schema: top-level \"properties\" object is required");
  }
  std::string pointer;
  SAPHAN_TRY_VOID(schema_checker(root).check(root, pointer, true));
  for (auto it = properties->MemberBegin(); it != properties->MemberEnd(); ++it) {
    state->fields.emplace(view_of(it->name));
  }
  state->compiled = std::make_unique<rapidjson::SchemaDocument>(state->document);
  record_schema schema;
  schema.impl_ = std::move(state);
  return schema;
}

result<record_schema> record_schema::of_property(std::string_view schema_text,
                                                 std::string_view name) {
  auto parsed = parse_json(schema_text);
  if (!parsed)
    return make_error(errc::invalid_schema, "schema is not JSON: " + parsed.error().detail);
  const auto& root = *parsed;
  const auto* properties = root.IsObject() ? find_member(root, "properties") : nullptr;
  const auto* property =
      properties != nullptr && properties->IsObject() ? find_member(*properties, name) : nullptr;
  if (property == nullptr) {
    return make_error(errc::invalid_schema,
                      "schema: no top-level property \"" + std::string(name) + "\"");
  }
  rapidjson::Document one(rapidjson::kObjectType);
  auto& alloc = one.GetAllocator();
  rapidjson::Value key(name.data(), static_cast<rapidjson::SizeType>(name.size()), alloc);
  rapidjson::Value props(rapidjson::kObjectType);
  props.AddMember(rapidjson::Value(key, alloc), rapidjson::Value(*property, alloc), alloc);
  rapidjson::Value required(rapidjson::kArrayType);
  required.PushBack(key, alloc);
  one.AddMember("type", "object", alloc);
  one.AddMember("properties", props, alloc);
  one.AddMember("required", required, alloc);
  if (const auto* definitions = find_member(root, "definitions")) {
    one.AddMember("definitions", rapidjson::Value(*definitions, alloc), alloc);
  }
  return compile(write_json(one));
}

result<void> record_schema::validate(const rapidjson::Value& record) const {
  SAPHAN_TRY_VOID(impl_->run_rapidjson(record));
  std::string pointer;
  return record_walker(impl_->document).walk(&impl_->document, record, pointer, 0);
}

result<void> record_schema::validate_text(std::string_view record_text, json_limits limits) const {
  auto record = SAPHAN_TRY(parse_json(record_text, limits));
  return validate(record);
}

const std::set<std::string>& record_schema::fields() const {
  return impl_->fields;
}

const std::string& record_schema::text() const {
  return impl_->text;
}

}  // namespace saphan
