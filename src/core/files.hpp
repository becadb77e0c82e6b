// Small file helpers for the edges: bounded reads and atomic writes (temp file, fsync, rename),
// so a crash never leaves a half-written file behind.
#pragma once

#include <sys/types.h>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace saphan {

// Errors: io_error naming the path (missing, unreadable, a directory), payload_too_large.
result<std::string> read_file(const std::string& path, std::size_t max_bytes = 4 << 20);

// Writes through a temporary file in the same directory, fsyncs it, renames it over `path` and
// fsyncs the directory. `mode` applies to the new file (0600 for secrets).
result<void> write_file_atomic(const std::string& path, std::string_view content,
                               mode_t mode = 0644);

}  // namespace saphan
