#include "law/classification.hpp"

#include <array>

#include "core/enum_names.hpp"

namespace saphan {
namespace {

// Indexed by the enum's value, so the order here is the order of harm.
constexpr std::array<std::string_view, 5> level_names = {"open", "internal", "confidential",
                                                         "secret", "top_secret"};

}  // namespace

std::string_view to_string(classification level) noexcept {
  // An out-of-range value can only come from a cast; read it as the most restrictive level so
  // that a corrupted value never widens access.
  return name_of(level_names, level, level_names.back());
}

result<classification> parse_classification(std::string_view text) {
  if (auto level = value_named<classification>(level_names, text))
    return *level;
  return make_error(errc::invalid_argument,
                    "classification: must be one of open, internal, confidential, secret, "
                    "top_secret");
}

}  // namespace saphan
