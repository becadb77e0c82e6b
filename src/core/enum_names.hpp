// Enums written as names (in JSON, the log and the command line): one table per enum, indexed by
// the enum's value, read and written by the two functions here.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string_view>

namespace saphan {

// The name of `value`, or `fallback` for a value outside the table (only a cast makes one).
template <class Enum, std::size_t N>
constexpr std::string_view name_of(const std::array<std::string_view, N>& names, Enum value,
                                   std::string_view fallback) noexcept {
  const auto index = static_cast<std::size_t>(value);
  return index < N ? names[index] : fallback;
}

// The value named `text`, or nothing when no entry of the table is spelt so.
template <class Enum, std::size_t N>
constexpr std::optional<Enum> value_named(const std::array<std::string_view, N>& names,
                                          std::string_view text) noexcept {
  for (std::size_t i = 0; i < N; ++i) {
    if (names[i] == text)
      return static_cast<Enum>(i);
  }
  return std::nullopt;
}

}  // namespace saphan
