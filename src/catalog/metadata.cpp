#include "catalog/metadata.hpp"

#include <array>

namespace saphan {
namespace {

// Catalog text is shown to people, never interpreted; these bounds only stop a hostile or broken
// file from bloating the catalog.
constexpr std::size_t max_text_bytes = 4096;
constexpr std::size_t max_keywords = 64;
constexpr std::size_t max_keyword_bytes = 256;
constexpr std::size_t max_email_bytes = 254;  // RFC 5321 path limit

// One row per field, in the header's order; keywords (a list) has no string member.
struct field_binding {
  std::string_view name;
  std::string catalog_metadata::*text;
};

constexpr std::array<field_binding, 14> bindings = {{
    {"title", &catalog_metadata::title},
    {"ownerAgency", &catalog_metadata::owner_agency},
    {"contactName", &catalog_metadata::contact_name},
    {"contactEmail", &catalog_metadata::contact_email},
    {"objective", &catalog_metadata::objective},
    {"keywords", nullptr},
    {"description", &catalog_metadata::description},
    {"updateFrequency", &catalog_metadata::update_frequency},
    {"geographicCoverage", &catalog_metadata::geographic_coverage},
    {"source", &catalog_metadata::source},
    {"format", &catalog_metadata::format},
    {"dataCategory", &catalog_metadata::data_category},
    {"license", &catalog_metadata::license},
    {"accessConditions", &catalog_metadata::access_conditions},
}};

// A plausibility check, not RFC 5322: one '@', a non-empty local part, a dotted domain whose
// labels are non-empty, and no whitespace or control characters anywhere.
bool looks_like_email(std::string_view text) {
  if (text.size() > max_email_bytes)
    return false;
  auto at = text.find('@');
  if (at == std::string_view::npos || at == 0 || text.find('@', at + 1) != std::string_view::npos) {
    return false;
  }
  for (char c : text) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f)
      return false;
  }
  auto domain = text.substr(at + 1);
  if (domain.find('.') == std::string_view::npos)
    return false;
  return domain.front() != '.' && domain.back() != '.' &&
         domain.find("..") == std::string_view::npos;
}

result<std::vector<std::string>> read_keywords(const json_object& obj) {
  const auto* v = obj.find("keywords");
  if (v == nullptr)
    return obj.fail("keywords", "is required");
  if (!v->IsArray())
    return obj.fail("keywords", "must be an array of strings");
  if (v->Empty())
    return obj.fail("keywords", "is required (at least one keyword)");
  if (v->Size() > max_keywords) {
    return obj.fail("keywords", "at most " + std::to_string(max_keywords) + " keywords");
  }
  std::vector<std::string> out;
  for (rapidjson::SizeType i = 0; i < v->Size(); ++i) {
    const auto& item = (*v)[i];
    auto where = "keywords[" + std::to_string(i) + "]";
    if (!item.IsString())
      return obj.fail(where, "must be a string");
    if (item.GetStringLength() == 0)
      return obj.fail(where, "must not be empty");
    if (item.GetStringLength() > max_keyword_bytes) {
      return obj.fail(where, "at most " + std::to_string(max_keyword_bytes) + " bytes");
    }
    out.emplace_back(item.GetString(), item.GetStringLength());
  }
  return out;
}

result<std::string> read_text(const json_object& obj, std::string_view name) {
  const auto* v = obj.find(name);
  // Missing, null and empty all mean the publisher did not fill the field in.
  if (v == nullptr || v->IsNull())
    return obj.fail(name, "is required");
  if (!v->IsString())
    return obj.fail(name, "must be a string");
  if (v->GetStringLength() == 0)
    return obj.fail(name, "is required (must not be empty)");
  if (v->GetStringLength() > max_text_bytes) {
    return obj.fail(name, "at most " + std::to_string(max_text_bytes) + " bytes");
  }
  std::string text(v->GetString(), v->GetStringLength());
  if (name == "contactEmail" && !looks_like_email(text)) {
    return obj.fail(name, "must be an email address (local@domain.tld)");
  }
  return text;
}

}  // namespace

const std::vector<std::string>& catalog_metadata_fields() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& b : bindings)
      out.emplace_back(b.name);
    return out;
  }();
  return names;
}

result<catalog_metadata> metadata_from_json(const rapidjson::Value& value) {
  auto obj = SAPHAN_TRY(json_object::of(value, "metadata", errc::missing_metadata));
  catalog_metadata meta;
  // Fields are checked in the header's order, so the error names the first missing one.
  for (const auto& b : bindings) {
    if (b.text == nullptr) {
      auto keywords = SAPHAN_TRY(read_keywords(obj));
      meta.keywords = std::move(keywords);
      continue;
    }
    auto text = SAPHAN_TRY(read_text(obj, b.name));
    meta.*b.text = std::move(text);
  }
  return meta;
}

void metadata_to_json(const catalog_metadata& meta, rapidjson::Value& out,
                      rapidjson::Document::AllocatorType& alloc) {
  out.SetObject();
  for (const auto& b : bindings) {
    rapidjson::Value name(b.name.data(), static_cast<rapidjson::SizeType>(b.name.size()), alloc);
    if (b.text == nullptr) {
      rapidjson::Value keywords(rapidjson::kArrayType);
      for (const auto& k : meta.keywords)
        keywords.PushBack(rapidjson::Value(k, alloc), alloc);
      out.AddMember(name, keywords, alloc);
    } else {
      out.AddMember(name, rapidjson::Value(meta.*b.text, alloc), alloc);
    }
  }
}

}  // namespace saphan
