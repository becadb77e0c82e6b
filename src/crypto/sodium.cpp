#include "crypto/sodium.hpp"

#include <sodium.h>

#include <cstdio>
#include <cstdlib>

namespace saphan::crypto::detail {

void ensure_sodium() {
  static const bool ready = [] {
    // sodium_init returns 1 when already initialised, which is fine too.
    if (sodium_init() < 0) {
      std::fputs("saphan: libsodium failed to initialise\n", stderr);
      std::abort();
    }
    return true;
  }();
  (void)ready;
}

}  // namespace saphan::crypto::detail
