#include "exchange/case_reference.hpp"

#include <algorithm>
#include <array>
#include <string>
#include <vector>

#include "core/citizen_id.hpp"

namespace saphan {
namespace {

constexpr std::size_t thai_id_digits = 13;

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_alnum(char c) {
  return is_digit(c) || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}
bool is_separator(char c) {
  return c == '.' || c == '_' || c == ':' || c == '/' || c == '#' || c == '-';
}

// ^[A-Za-z0-9][A-Za-z0-9._:/#-]{0,63}$
bool is_reference_form(std::string_view text) {
  if (text.empty() || text.size() > max_case_reference_length || !is_alnum(text.front()))
    return false;
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return is_alnum(c) || is_separator(c); });
}

bool is_valid_id(std::string_view digits) {
  return digits.size() == thai_id_digits && validate_thai_id(digits).has_value();
}

// A maximal run of digits in the text.
struct digit_group {
  std::size_t begin = 0;
  std::size_t size = 0;
};

// The printed grouping of an ID card number: 1-2345-67890-12-3.
constexpr std::array<std::size_t, 5> printed_groups{1, 4, 5, 2, 1};

// Whether groups[first..] are laid out as printed: the sizes of printed_groups, each group
// separated from the next by exactly one separator character.
bool printed_at(std::string_view text, const std::vector<digit_group>& groups, std::size_t first) {
  if (first + printed_groups.size() > groups.size())
    return false;
  for (std::size_t i = 0; i < printed_groups.size(); ++i) {
    const auto& g = groups[first + i];
    if (g.size != printed_groups[i])
      return false;
    if (i > 0) {
      const auto& previous = groups[first + i - 1];
      if (g.begin != previous.begin + previous.size + 1 || !is_separator(text[g.begin - 1]))
        return false;
    }
  }
  return true;
}

}  // namespace

bool holds_thai_id(std::string_view text) {
  std::vector<digit_group> groups;
  for (std::size_t i = 0; i < text.size();) {
    if (!is_digit(text[i])) {
      ++i;
      continue;
    }
    digit_group g{i, 0};
    while (i < text.size() && is_digit(text[i]))
      ++i;
    g.size = i - g.begin;
    groups.push_back(g);
  }
  for (std::size_t first = 0; first < groups.size(); ++first) {
    if (is_valid_id(text.substr(groups[first].begin, groups[first].size)))
      return true;
    if (printed_at(text, groups, first)) {
      std::string digits;
      for (std::size_t i = 0; i < printed_groups.size(); ++i) {
        const auto& g = groups[first + i];
        digits.append(text.substr(g.begin, g.size));
      }
      if (is_valid_id(digits))
        return true;
    }
  }
  return false;
}

result<void> check_case_reference(std::string_view name, std::string_view value) {
  if (!is_reference_form(value)) {
    return make_error(errc::malformed_body,
                      std::string(name) +
                          ": must match ^[A-Za-z0-9][A-Za-z0-9._:/#-]{0,63}$ (a reference, not "
                          "free text: it is kept in the evidence log for good)");
  }
  if (holds_thai_id(value)) {
    return make_error(
        errc::malformed_body,
        std::string(name) +
            ": holds a Thai citizen ID; name the officer or the case, not the citizen "
            "(it is kept in the evidence log for good)");
  }
  return ok();
}

}  // namespace saphan
