// Structured logs: one JSON object per line on stderr, written with a single write(2) so that
// lines from several threads never interleave.
//   {"time":"2026-11-21T09:30:00.123456Z","level":"info","event":"exchange","requestId":"..."}
#pragma once

#include <initializer_list>
#include <string_view>
#include <utility>

namespace saphan {

enum class log_level { debug, info, warn, error };

using log_field = std::pair<std::string_view, std::string_view>;

// `fields` are string members added after "event"; values are JSON-escaped.
void log_event(log_level level, std::string_view event,
               std::initializer_list<log_field> fields = {});

// Lines below this level are dropped (default info; SAPHAN_LOG_LEVEL=debug|info|warn|error).
void set_log_level(log_level level);

}  // namespace saphan
