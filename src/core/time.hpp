// Time: UTC instants with microsecond precision, printed and parsed as RFC 3339
// ("2026-11-21T09:30:00.123456Z"). Decisions take `timestamp now` as a parameter.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace saphan {

using timestamp = std::chrono::sys_time<std::chrono::microseconds>;

timestamp now_utc();
// Always prints UTC with 'Z'; microseconds are printed only when non-zero.
std::string format_rfc3339(timestamp t);
// Accepts "YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)"; fractions beyond microseconds are
// truncated. Errors: invalid_timestamp.
result<timestamp> parse_rfc3339(std::string_view text);

}  // namespace saphan
