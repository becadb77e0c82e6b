#include "catalog/classification.hpp"

#include <array>
#include <string>

namespace saphan {
namespace {

// Indexed by the enum's value, so the order here is the order of harm.
constexpr std::array<std::string_view, 5> level_names = {"open", "internal", "confidential",
                                                         "secret", "top_secret"};

}  // namespace

std::string_view to_string(classification level) noexcept {
  auto index = static_cast<std::size_t>(level);
  // An out-of-range value can only come from a cast; read it as the most restrictive level so
  // that a corrupted value never widens access.
  return index < level_names.size() ? level_names[index] : level_names.back();
}

result<classification> parse_classification(std::string_view text) {
  for (std::size_t i = 0; i < level_names.size(); ++i) {
    if (level_names[i] == text)
      return static_cast<classification>(i);
  }
  return make_error(errc::invalid_argument,
                    "classification: must be one of open, internal, confidential, secret, "
                    "top_secret");
}

}  // namespace saphan
