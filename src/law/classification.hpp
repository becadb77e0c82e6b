// Thai government data classification, ordered by the harm a leak would cause.
#pragma once

#include <string_view>

#include "core/result.hpp"

namespace saphan {

enum class classification { open = 0, internal = 1, confidential = 2, secret = 3, top_secret = 4 };

std::string_view to_string(classification level) noexcept;
result<classification> parse_classification(std::string_view text);

}  // namespace saphan
