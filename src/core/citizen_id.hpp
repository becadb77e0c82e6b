// Thai 13-digit identifiers (citizen IDs and juristic-person registration numbers share the
// check-digit rule): check = (11 - (sum of d[i] * (13 - i), i = 0..11) mod 11) mod 10.
#pragma once

#include <string>
#include <string_view>

#include "core/result.hpp"

namespace saphan {

// The check digit for the first twelve digits. Precondition: twelve ASCII digits.
int compute_check_digit(std::string_view first_twelve) noexcept;

// Validates a 13-digit ID: exact length, digits only, matching check digit.
// Errors: invalid_citizen_id with a detail naming the rule that failed.
result<void> validate_thai_id(std::string_view id);

// Appends the check digit to twelve digits (for generating synthetic data).
std::string complete_thai_id(std::string_view first_twelve);

}  // namespace saphan
