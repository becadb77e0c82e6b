// The regular expressions a schema's "pattern" may use.
#pragma once

#include <string_view>

namespace saphan {

// Recognises a strict form of the subset RapidJSON's regex engine documents: ^ only first, $ only
// last, no empty alternatives or groups, quantifiers only after an atom. RapidJSON 1.1.0 asserts
// (aborts) on some malformed patterns such as "(ab", "{1" or "x(^)" instead of rejecting them,
// so a pattern must pass this check before RapidJSON ever parses it. Repetition counts are capped
// because the engine copies the repeated fragment once per count. The pattern must be UTF-8
// without a NUL byte: the engine stops reading at either.
bool is_supported_pattern(std::string_view pattern);

}  // namespace saphan
