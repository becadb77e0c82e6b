#include "law/lawful_basis.hpp"

#include <array>

#include "core/enum_names.hpp"

namespace saphan {
namespace {

constexpr std::array<std::string_view, 7> basis_names = {
    "consent",  "legal_obligation",    "public_task", "vital_interest",
    "contract", "legitimate_interest", "research"};

}  // namespace

std::string_view to_string(lawful_basis basis) noexcept {
  return name_of(basis_names, basis, "invalid");
}

result<lawful_basis> parse_lawful_basis(std::string_view text) {
  if (auto basis = value_named<lawful_basis>(basis_names, text))
    return *basis;
  return make_error(errc::invalid_argument,
                    "lawful basis: must be one of consent, legal_obligation, public_task, "
                    "vital_interest, contract, legitimate_interest, research");
}

}  // namespace saphan
