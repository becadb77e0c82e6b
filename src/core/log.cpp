#include "core/log.hpp"

#include <unistd.h>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <atomic>
#include <cstdlib>
#include <string>

#include "core/time.hpp"

namespace saphan {
namespace {

log_level initial_level() {
  const char* env = std::getenv("SAPHAN_LOG_LEVEL");
  std::string_view v = env ? env : "info";
  if (v == "debug")
    return log_level::debug;
  if (v == "warn")
    return log_level::warn;
  if (v == "error")
    return log_level::error;
  return log_level::info;
}

std::atomic<log_level>& threshold() {
  static std::atomic<log_level> level{initial_level()};
  return level;
}

std::string_view name(log_level level) {
  switch (level) {
    case log_level::debug:
      return "debug";
    case log_level::info:
      return "info";
    case log_level::warn:
      return "warn";
    case log_level::error:
      return "error";
  }
  return "info";
}

}  // namespace

void set_log_level(log_level level) {
  threshold().store(level);
}

void log_event(log_level level, std::string_view event, std::initializer_list<log_field> fields) {
  if (level < threshold().load(std::memory_order_relaxed))
    return;
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  auto put = [&w](std::string_view k, std::string_view v) {
    w.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
    w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
  };
  w.StartObject();
  put("time", format_rfc3339(now_utc()));
  put("level", name(level));
  put("event", event);
  for (const auto& [k, v] : fields)
    put(k, v);
  w.EndObject();
  std::string line(buffer.GetString(), buffer.GetSize());
  line.push_back('\n');
  // One write per line; a short write on a pipe is not worth retrying for a log line.
  [[maybe_unused]] auto written = ::write(STDERR_FILENO, line.data(), line.size());
}

}  // namespace saphan
