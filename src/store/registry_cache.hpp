// The registry cache: parsed members, their keys and datasets, kept in front of a store while the
// store's registry_version() stays the same. The hub looks a consumer, its keys, a dataset and a
// provider's keys up on every exchange; a version check is one small read where the lookups were
// several reads and JSON parses.
#pragma once

#include <memory>

#include "store/store.hpp"

namespace saphan {

// Every other call passes through. Nothing is cached inside a transaction, so a change that is
// then rolled back is never served afterwards; a change committed through any connection is seen
// at the next lookup.
std::unique_ptr<store> with_registry_cache(std::unique_ptr<store> inner);

}  // namespace saphan
