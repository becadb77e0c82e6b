// Giving freed heap memory back to the system. glibc keeps what its per-thread arenas freed for
// later use; after a burst (say, 128 exchanges in flight) that is megabytes a long-running process
// holds for nothing. A no-op with other C libraries.
#pragma once

#include <chrono>

namespace saphan {

// How often a long-running process (the hub) hands freed memory back.
inline constexpr std::chrono::seconds memory_return_interval{10};

void return_free_memory() noexcept;

}  // namespace saphan
