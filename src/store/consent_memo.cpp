#include "store/consent_memo.hpp"

namespace saphan::store_rows {

consent_memo::consent_memo(std::size_t capacity, std::size_t max_text_bytes)
    : capacity_(capacity), max_text_bytes_(max_text_bytes) {}

result<consent_artefact> consent_memo::parse(std::string_view text) {
  {
    std::lock_guard lock(mutex_);
    if (auto hit = parsed_.find(text); hit != parsed_.end())
      return hit->second;
  }
  auto parsed = SAPHAN_TRY(consent_from_json(text));
  if (capacity_ == 0 || text.size() > max_text_bytes_)
    return parsed;
  std::lock_guard lock(mutex_);
  if (parsed_.size() >= capacity_)
    parsed_.clear();
  parsed_.emplace(std::string(text), parsed);
  return parsed;
}

std::size_t consent_memo::size() const {
  std::lock_guard lock(mutex_);
  return parsed_.size();
}

consent_memo& shared_consent_memo() {
  static consent_memo memo;
  return memo;
}

}  // namespace saphan::store_rows
