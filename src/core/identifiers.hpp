// Identifiers in X-Road's shape.
//   member:  INSTANCE/CLASS/CODE/SUBSYSTEM          e.g. TH/GOV/DOPA/civil-registry
//   dataset: <member>/<dataset>@<version>           e.g. TH/GOV/DOPA/civil-registry/person@1.0
// Allowed characters and lengths:
//   INSTANCE   [A-Z0-9-], 1..16            CLASS   [A-Z], 2..8
//   CODE       [A-Za-z0-9._-], 1..64       SUBSYSTEM [A-Za-z0-9._-], 1..64
//   dataset    [a-z0-9][a-z0-9._-]*, 1..64 version  N or N.N or N.N.N (N: 1..5 digits)
#pragma once

#include <compare>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace saphan {

struct member_id {
  std::string instance;
  std::string member_class;
  std::string code;
  std::string subsystem;

  friend auto operator<=>(const member_id&, const member_id&) = default;
};

struct dataset_id {
  member_id owner;
  std::string name;
  std::string version;

  friend auto operator<=>(const dataset_id&, const dataset_id&) = default;
};

result<member_id> parse_member_id(std::string_view text);
result<dataset_id> parse_dataset_id(std::string_view text);
std::string to_string(const member_id& id);
std::string to_string(const dataset_id& id);
// The dataset without its version: <member>/<dataset>.
std::string unversioned(const dataset_id& id);

result<void> validate(const member_id& id);
result<void> validate(const dataset_id& id);

}  // namespace saphan
