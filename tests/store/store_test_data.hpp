// Members, keys, a dataset and consents the store tests store: the same on every backend.
#pragma once

#include <catch2/catch.hpp>

#include <string>

#include "catalog/dataset.hpp"
#include "consent/consent.hpp"
#include "core/citizen_id.hpp"
#include "directory/member.hpp"

namespace saphan::store_test::data {

inline member_record member(const std::string& id, const std::string& name) {
  return member_record{*parse_member_id(id), name, {"justice"}, classification::secret};
}
inline member_record dopa() {
  return member("TH/GOV/DOPA/civil-registry", "Department of Provincial Administration");
}
inline member_record jfo() {
  return member("TH/GOV/JFO/legal-aid", "Justice Fund Office");
}

inline member_key key(const member_record& owner, const std::string& id) {
  return member_key{owner.id,
                    id,
                    key_use::signing,
                    "MCowBQYDK2VwAyEA-example-key-" + id,
                    *parse_rfc3339("2026-01-01T00:00:00Z"),
                    *parse_rfc3339("2027-01-01T00:00:00.5Z"),
                    false};
}

// The stored form of a small dataset (schema embedded), parsed by the catalog's own reader.
inline dataset_entry dataset(const std::string& version) {
  const std::string text = R"({
    "id": "TH/GOV/DOPA/civil-registry/person@)" +
                           version + R"(",
    "schemaText": "{\"type\":\"object\",\"properties\":{\"citizenId\":{\"type\":\"string\"},\"firstNameTh\":{\"type\":\"string\"},\"birthDate\":{\"type\":\"string\"}}}",
    "subjectField": "citizenId",
    "classification": "confidential",
    "metadata": {
      "title": "Person", "ownerAgency": "DOPA", "contactName": "Registry desk",
      "contactEmail": "registry@dopa.example.go.th", "objective": "Identity checks",
      "keywords": ["citizen"], "description": "One record per citizen",
      "updateFrequency": "daily", "geographicCoverage": "Thailand", "source": "CRD",
      "format": "JSON", "dataCategory": "personal data", "license": "Restricted",
      "accessConditions": "Policy"
    },
    "policy": {"grants": [{
      "consumers": ["TH/GOV/JFO/legal-aid"],
      "rateLimit": {"requests": 100, "windowSeconds": 60},
      "purposes": [{"purpose": "legal-aid-eligibility", "fields": ["citizenId", "firstNameTh"],
                    "lawfulBases": ["consent"], "pseudonymiseSubject": false}]
    }]},
    "publishedAt": "2026-01-05T10:00:00Z"
  })";
  auto entry = dataset_from_stored_json(text);
  if (!entry)
    FAIL("test dataset does not parse: " << entry.error().detail);
  return *entry;
}

inline consent_artefact consent(const std::string& id,
                                const std::string& subject_prefix = "110370012345",
                                const member_record& consumer = jfo()) {
  consent_terms t;
  t.subject = complete_thai_id(subject_prefix);
  t.consumer = consumer.id;
  t.datasets = {dataset("1.0").id};
  t.purpose = "legal-aid-eligibility";
  t.fields = {"firstNameTh"};
  t.valid_from = *parse_rfc3339("2026-01-01T00:00:00Z");
  t.valid_until = *parse_rfc3339("2026-12-31T00:00:00Z");
  t.max_uses = 10;
  t.collection_method = "web-form";
  return *request_consent(consent_id{id}, t, *parse_rfc3339("2025-12-01T00:00:00Z"), "portal");
}

}  // namespace saphan::store_test::data
