// A catalog entry: a published dataset with its schema, DGA metadata, classification and policy.
#pragma once

#include <set>
#include <string>

#include "catalog/metadata.hpp"
#include "core/identifiers.hpp"
#include "core/time.hpp"
#include "law/classification.hpp"
#include "policy/decision.hpp"

namespace saphan {

// The terms (id, classification, policy) come first, from policy's dataset_terms.
struct dataset_entry : dataset_terms {
  std::string schema;         // the JSON Schema document, as text
  std::string subject_field;  // the record field that holds the subject's identifier
  catalog_metadata metadata;
  timestamp published_at{};

  friend bool operator==(const dataset_entry&, const dataset_entry&) = default;
};

// Parses a dataset file (config/datasets/*.json) whose "schema" member names a file under
// `schemas_dir`; loads and checks that schema. Errors name the bad field: invalid_dataset_id,
// missing_metadata, invalid_policy, invalid_schema, io_error.
result<dataset_entry> dataset_from_json(const rapidjson::Value& value,
                                        const std::string& schemas_dir);

// The stored form (schema embedded as text).
std::string dataset_to_json(const dataset_entry& entry);
result<dataset_entry> dataset_from_stored_json(std::string_view text);

// Every field name the schema's record declares (top-level "properties").
result<std::set<std::string>> schema_fields(const std::string& schema_text);

}  // namespace saphan
