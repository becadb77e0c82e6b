// Internal to src/crypto: one place that initialises libsodium before any use.
#pragma once

namespace saphan::crypto::detail {

// Initialises libsodium exactly once (thread-safe: a function-local static). Aborts the process
// when the library cannot initialise, since no key, nonce or signature would be safe afterwards.
void ensure_sodium();

}  // namespace saphan::crypto::detail
