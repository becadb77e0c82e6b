// Who may read an evidence entry's content. The tree stays verifiable by every member (heads,
// proofs and every entry's leaf hash are open), but an entry's content, which names officers,
// cases, consents and citizens' pseudonyms, goes only to the members it concerns, to members of
// the "auditor" group, and (through the citizen view) to the citizen it is about.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "directory/member.hpp"

namespace saphan::hub {

inline constexpr std::string_view auditor_group = "auditor";

// The members an entry concerns, read from its content: the consumer and the provider of an
// exchange decision, the caller of a refusal, the member of a member or key change, the owner
// of a published dataset or changed policy, the consumer and the owners of the datasets of a
// consent. An outcome concerns the members of its decision (`decision_index`, for the caller to
// look up). Content that is not a JSON object concerns nobody.
struct entry_parties {
  std::set<std::string> members;
  std::optional<std::uint64_t> decision_index;
};
entry_parties parties_of(std::string_view entry);

bool is_auditor(const member_record& m);

// The kinds of entry the hub writes, for checking a search's `kind`.
bool is_known_entry_kind(std::string_view kind);

}  // namespace saphan::hub
