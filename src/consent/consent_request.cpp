// Reads a consent request body strictly: unknown members are refused (a misspelt "maxUse" must
// not silently drop a limit), and the terms then pass the same rules as every artefact.
#include "consent/consent_request.hpp"

#include <array>

#include "consent/consent_rules.hpp"

namespace saphan {
namespace {

constexpr std::array<std::string_view, 8> request_members = {
    "subject", "datasets", "purpose", "fields", "validFrom", "validUntil", "maxUses", "reason"};
constexpr std::int64_t max_requested_uses = 1000000;

error malformed(std::string_view member, std::string_view rule) {
  return make_error(errc::malformed_body,
                    "consent." + std::string(member) + ": " + std::string(rule));
}

result<timestamp> read_time(const json_object& o, std::string_view name) {
  auto text = SAPHAN_TRY(o.string(name));
  auto t = parse_rfc3339(text);
  if (!t) {
    return make_error(errc::invalid_timestamp,
                      "consent." + std::string(name) + ": " + t.error().detail);
  }
  return *t;
}

result<std::vector<dataset_id>> read_datasets(const json_object& o) {
  auto names = SAPHAN_TRY(o.strings("datasets"));
  if (names.size() > consent_rules::max_datasets)
    return malformed("datasets", "at most " + std::to_string(consent_rules::max_datasets));
  std::vector<dataset_id> out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    auto id = parse_dataset_id(names[i]);
    if (!id) {
      return make_error(id.code(),
                        "consent.datasets[" + std::to_string(i) + "]: " + id.error().detail);
    }
    out.push_back(std::move(*id));
  }
  return out;
}

result<std::set<std::string>> read_fields(const json_object& o) {
  auto names = SAPHAN_TRY(o.strings("fields"));
  if (names.size() > consent_rules::max_fields)
    return malformed("fields", "at most " + std::to_string(consent_rules::max_fields));
  std::set<std::string> out;
  for (auto& name : names) {
    if (!out.insert(std::move(name)).second)
      return malformed("fields", "each field once");
  }
  return out;
}

result<std::optional<std::uint32_t>> read_max_uses(const json_object& o) {
  auto value = SAPHAN_TRY(o.optional_integer("maxUses"));
  if (!value)
    return std::optional<std::uint32_t>{};
  if (*value < 1 || *value > max_requested_uses)
    return malformed("maxUses", "must be an integer 1..1000000");
  return std::optional<std::uint32_t>{static_cast<std::uint32_t>(*value)};
}

result<std::string> read_reason(const json_object& o) {
  auto reason = SAPHAN_TRY(o.string("reason"));
  if (reason.empty())
    return malformed("reason", "must not be empty: the citizen is shown why the agency asks");
  return reason;
}

}  // namespace

result<consent_terms> parse_consent_request(std::string_view body, const member_id& consumer,
                                            timestamp now) {
  if (body.size() > max_consent_request_bytes) {
    return make_error(
        errc::payload_too_large,
        "consent request: at most " + std::to_string(max_consent_request_bytes) + " bytes");
  }
  auto doc = SAPHAN_TRY(parse_json(body, {max_consent_request_bytes, 4}));
  auto o = SAPHAN_TRY(json_object::of(doc, "consent", errc::malformed_body));
  if (auto unknown = find_unexpected_member(doc, request_members)) {
    return malformed(std::string(unknown->name.substr(0, 64)), "unknown member");
  }
  consent_terms terms;
  terms.consumer = consumer;
  terms.collection_method = std::string(portal_collection_method);
  auto subject = SAPHAN_TRY(o.string("subject"));
  terms.subject = std::move(subject);
  auto datasets = SAPHAN_TRY(read_datasets(o));
  terms.datasets = std::move(datasets);
  auto purpose = SAPHAN_TRY(o.string("purpose"));
  terms.purpose = std::move(purpose);
  auto fields = SAPHAN_TRY(read_fields(o));
  terms.fields = std::move(fields);
  terms.valid_from = now;
  if (o.has("validFrom")) {
    auto from = SAPHAN_TRY(read_time(o, "validFrom"));
    terms.valid_from = from;
  }
  auto until = SAPHAN_TRY(read_time(o, "validUntil"));
  terms.valid_until = until;
  if (!(now < terms.valid_until))
    return make_error(errc::invalid_argument, "consent.validUntil: must be in the future");
  auto max_uses = SAPHAN_TRY(read_max_uses(o));
  terms.max_uses = max_uses;
  auto reason = SAPHAN_TRY(read_reason(o));
  terms.reason = std::move(reason);
  SAPHAN_TRY_VOID(consent_rules::validate_terms(terms));
  return terms;
}

}  // namespace saphan
