// A store that only reads: every call that would change something, and every transaction, is
// refused before it reaches the backend. The backend's own connection is read-only as well
// (open_store with store_access::read_only), so a call this list missed still cannot write; the
// decorator is what gives the caller a clear error instead of the backend's own words.
#pragma once

#include <memory>

#include "store/store.hpp"

namespace saphan {

// Errors of the refused calls: internal "this store is read-only: <call> refused" (a caller that
// writes through a read-only store is a bug, not a bad request).
std::unique_ptr<store> read_only(std::unique_ptr<store> inner);

}  // namespace saphan
