// The officer and the case a request names (X-Road-UserId and X-Road-Issue at the consumer's
// local API, userId and issue in the signed envelope) are written into the evidence log, which
// is append-only: whatever they hold stays there for good. So they may hold a reference and
// nothing else: ^[A-Za-z0-9][A-Za-z0-9._:/#-]{0,63}$ (no spaces, so no names or free text), and
// no Thai citizen ID. One rule, checked at every boundary that receives them: the consumer
// connector's local API, and the envelope parser the hub and the provider connector use, so an
// envelope that breaks it is refused even if the consumer's connector let it through.
#pragma once

#include <cstddef>
#include <string_view>

#include "core/result.hpp"

namespace saphan {

inline constexpr std::size_t max_case_reference_length = 64;

// True when `text` holds a 13-digit number with a valid Thai check digit (core/citizen_id.hpp),
// either as a run of exactly 13 digits between non-digits ("1101700203451", "ID1101700203451")
// or grouped as printed on the ID card, 1-4-5-2-1 digits with one of . _ : / # - between the
// groups ("1-1017-00203-45-1"). A 13-digit number whose check digit is wrong is not an ID: the
// check digit is what tells an ID from another number of 13 digits (a docket number, say), and
// the hub refuses such a number as a subject (invalid_citizen_id) too. Juristic-person
// registration numbers share the rule and are refused with the IDs: the two cannot be told apart.
// Runs longer than 13 digits are numbers of their own and not looked into.
bool holds_thai_id(std::string_view text);

// Checks the value of `name` (the header or envelope member it came in) against the rule above.
// An absent header or member is not checked; an empty value that is present is refused.
// Errors: malformed_body, the detail "<name>: <rule>"; it never repeats the value, which may be
// exactly the personal data the rule keeps out.
result<void> check_case_reference(std::string_view name, std::string_view value);

}  // namespace saphan
