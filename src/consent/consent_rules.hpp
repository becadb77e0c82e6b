// Internal to the consent module: the validation rules shared by request_consent and
// consent_from_json, so that an artefact read back from storage obeys the same rules as a new one.
#pragma once

#include <cstddef>
#include <string_view>

#include "consent/consent.hpp"

namespace saphan::consent_rules {

inline constexpr std::size_t max_datasets = 64;
inline constexpr std::size_t max_fields = 256;
inline constexpr std::size_t max_field_length = 128;
inline constexpr std::size_t max_consent_id_length = 128;
inline constexpr std::size_t max_actor_length = 512;
inline constexpr std::size_t max_collection_method_length = 64;
// Characters (code points), as the citizen reads them; UTF-8 keeps that under 2000 bytes.
inline constexpr std::size_t max_reason_characters = 500;
// A life cycle has at most three events (requested, granted|rejected, revoked|expired) because
// uses are counted, not logged; the cap only bounds what a stored document may carry.
inline constexpr std::size_t max_events = 64;

// 1..128 characters of A-Z a-z 0-9 . _ : -  (errors: invalid_argument).
result<void> validate_id(const consent_id& id);
// Every term; errors name the term (invalid_argument, invalid_citizen_id, invalid_member_id,
// invalid_dataset_id).
result<void> validate_terms(const consent_terms& terms);
// Empty, or 1..500 characters of valid UTF-8 without control characters but line ends
// (errors: invalid_argument naming "reason").
result<void> validate_reason(std::string_view reason);
// Non-empty, at most 512 bytes, no control characters (errors: invalid_argument).
result<void> validate_actor(std::string_view actor);

}  // namespace saphan::consent_rules
