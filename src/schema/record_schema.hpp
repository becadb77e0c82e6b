// JSON Schema validation of records and requests (RapidJSON's validator), plus the checks JSON
// Schema cannot express: a string property with "format": "thai-id" must be a 13-digit ID with
// a valid check digit (citizen IDs and juristic-person numbers), wherever it appears.
#pragma once

#include <memory>
#include <set>
#include <string>
#include <string_view>

#include "core/json.hpp"

namespace saphan {

class record_schema {
 public:
  // Errors: invalid_schema (not JSON, not an object, no top-level "properties").
  static result<record_schema> compile(std::string_view schema_text);

  // The schema of one top-level property, as a schema of records that hold just that property
  // (required), with the root's "definitions" kept so references still resolve. The hub checks a
  // request's subject with it: {"citizenId": "..."} against the citizenId rule of the dataset.
  // Errors: invalid_schema (as compile, or no such property).
  static result<record_schema> of_property(std::string_view schema_text, std::string_view name);

  // Errors: schema_violation with a detail naming the field (JSON pointer) and the rule
  // (the JSON Schema keyword, or "thai-id check digit").
  result<void> validate(const rapidjson::Value& record) const;
  result<void> validate_text(std::string_view record_text, json_limits limits = {}) const;

  // The top-level property names: the fields a policy may grant.
  const std::set<std::string>& fields() const;
  const std::string& text() const;

 private:
  struct impl;
  std::shared_ptr<const impl> impl_;
};

}  // namespace saphan
