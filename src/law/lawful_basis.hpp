// The lawful bases on which a consumer may ask for a citizen's record: PDPA section 24, plus
// consent (section 19). Policies accept them, requests and consents name them, the log records
// them.
#pragma once

#include <string_view>

#include "core/result.hpp"

namespace saphan {

enum class lawful_basis {
  consent,
  legal_obligation,
  public_task,
  vital_interest,
  contract,
  legitimate_interest,
  research,
};

std::string_view to_string(lawful_basis basis) noexcept;
result<lawful_basis> parse_lawful_basis(std::string_view text);

}  // namespace saphan
