// Parsed consent documents, kept by their text. A consented exchange reads its consent twice
// (the decision, then the use counted inside the log's transaction) and stores the next version,
// which the store has just parsed to check it: each is the same text parsed again. Parsing is a
// pure function of the text, so a document whose text is held gives the artefact parsed before,
// and a changed document, a different text, is parsed anew.
#pragma once

#include <cstddef>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "consent/consent.hpp"
#include "core/result.hpp"

namespace saphan::store_rows {

class consent_memo {
 public:
  // At most `capacity` documents of at most `max_text_bytes` each; when full, it starts afresh.
  explicit consent_memo(std::size_t capacity = 1024, std::size_t max_text_bytes = 16u << 10);

  // consent_from_json(text), from the memo when the text is held. Errors: those of
  // consent_from_json (a document that fails is not kept).
  result<consent_artefact> parse(std::string_view text);

  std::size_t size() const;

 private:
  std::size_t capacity_;
  std::size_t max_text_bytes_;
  mutable std::mutex mutex_;
  std::map<std::string, consent_artefact, std::less<>> parsed_;
};

// The memo the process's SQLite stores share: the hub's reader and its log writer read the same
// documents.
consent_memo& shared_consent_memo();

}  // namespace saphan::store_rows
