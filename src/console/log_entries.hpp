// Entries as the hub's log API returns them ({"entries":[{"index":i,"entry":{...}}, ...]}), with
// each entry's exact bytes: the leaf the tree hashes is H(0x00 || bytes), so a page that checks
// an inclusion proof, and an export that a verifier recomputes, need the bytes as logged, not a
// re-serialisation. The API writes an entry object as it is stored (entryText when it is not
// an object); a reader over the answer records where each one starts and ends.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace saphan::console {

struct raw_entry {
  std::uint64_t index = 0;
  std::string bytes;  // exactly as logged; empty when the caller may only see the leaf hash
  bool readable = false;
};

struct entries_page {
  std::vector<raw_entry> entries;
  std::optional<std::uint64_t> next;  // "next" (entries) or "before" (search), if any
};

// Errors: malformed_json (not the API's shape), payload_too_large.
result<entries_page> read_entries_page(std::string_view body);

// One line of a saphan-evidence-export/1 file: {"index":i,"entry":"<the bytes as a JSON
// string>"} and its newline. Errors: invalid_argument (bytes not UTF-8).
result<std::string> export_entry_line(const raw_entry& entry);

// The header line: {"format","origin","logKey","tsaCertificates":[],"exportedAt","treeSize"}.
std::string export_header_line(std::string_view origin, std::string_view log_key_jwk,
                               std::string_view exported_at, std::uint64_t tree_size);

}  // namespace saphan::console
