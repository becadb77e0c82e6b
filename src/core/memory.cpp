#include "core/memory.hpp"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace saphan {

void return_free_memory() noexcept {
#if defined(__GLIBC__)
  malloc_trim(0);  // every arena, not only the top of the main one
#endif
}

}  // namespace saphan
