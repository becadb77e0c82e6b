#include "core/citizen_id.hpp"

namespace saphan {

int compute_check_digit(std::string_view first_twelve) noexcept {
  int sum = 0;
  for (int i = 0; i < 12; ++i)
    sum += (first_twelve[i] - '0') * (13 - i);
  return (11 - sum % 11) % 10;
}

result<void> validate_thai_id(std::string_view id) {
  if (id.size() != 13) {
    return make_error(errc::invalid_citizen_id,
                      "must have exactly 13 digits, got " + std::to_string(id.size()));
  }
  for (char c : id) {
    if (c < '0' || c > '9') {
      return make_error(errc::invalid_citizen_id, "must contain digits only");
    }
  }
  if (compute_check_digit(id.substr(0, 12)) != id[12] - '0') {
    return make_error(errc::invalid_citizen_id, "check digit does not match");
  }
  return ok();
}

std::string complete_thai_id(std::string_view first_twelve) {
  std::string id(first_twelve);
  id.push_back(static_cast<char>('0' + compute_check_digit(first_twelve)));
  return id;
}

}  // namespace saphan
