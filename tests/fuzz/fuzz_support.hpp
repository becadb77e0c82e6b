// What the fuzz targets share: checked invariants that abort (libFuzzer and the replay driver
// report an abort as a failure, with the input), error-code checks, and a JSON comparison.
#pragma once

#include <rapidjson/document.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "core/result.hpp"

namespace saphan::fuzz {

[[noreturn]] inline void fail(const char* what, const char* file, int line,
                              std::string_view detail = {}) {
  std::fprintf(stderr, "%s:%d: invariant failed: %s%s%.*s\n", file, line, what,
               detail.empty() ? "" : ": ", static_cast<int>(detail.size()), detail.data());
  std::abort();
}

#define FUZZ_CHECK(condition)                               \
  do {                                                      \
    if (!(condition))                                       \
      ::saphan::fuzz::fail(#condition, __FILE__, __LINE__); \
  } while (0)

#define FUZZ_CHECK_MSG(condition, detail)                             \
  do {                                                                \
    if (!(condition))                                                 \
      ::saphan::fuzz::fail(#condition, __FILE__, __LINE__, (detail)); \
  } while (0)

inline std::string_view text_of(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// A failed result must carry one of the documented codes and say why.
template <class T>
void check_error(const result<T>& r, std::initializer_list<errc> allowed, const char* file,
                 int line) {
  const auto& e = r.error();
  bool known = false;
  for (auto code : allowed)
    known = known || e.code == code;
  if (!known) {
    fail("error code is one of the documented ones", file, line,
         std::string(to_string(e.code)) + ": " + e.detail);
  }
  if (e.detail.empty())
    fail("error detail is not empty", file, line, to_string(e.code));
}
#define FUZZ_CHECK_ERROR(result_value, ...) \
  ::saphan::fuzz::check_error((result_value), {__VA_ARGS__}, __FILE__, __LINE__)

// Deep equality of two parsed documents. Doubles may differ in the last bits: RapidJSON parses
// numbers without kParseFullPrecisionFlag, which is off by up to a few units in the last place,
// so writing and reading back a double need not give the same bits.
inline bool same_json(const rapidjson::Value& a, const rapidjson::Value& b) {
  if (a.IsDouble() || b.IsDouble()) {
    if (!a.IsNumber() || !b.IsNumber())
      return false;
    const double x = a.GetDouble(), y = b.GetDouble();
    return x == y || std::fabs(x - y) <= 1e-12 * std::fmax(std::fabs(x), std::fabs(y));
  }
  if (a.GetType() != b.GetType())
    return false;
  if (a.IsNumber())
    return a == b;
  if (a.IsString()) {
    return std::string_view(a.GetString(), a.GetStringLength()) ==
           std::string_view(b.GetString(), b.GetStringLength());
  }
  if (a.IsArray()) {
    if (a.Size() != b.Size())
      return false;
    for (rapidjson::SizeType i = 0; i < a.Size(); ++i) {
      if (!same_json(a[i], b[i]))
        return false;
    }
    return true;
  }
  if (a.IsObject()) {
    if (a.MemberCount() != b.MemberCount())
      return false;
    // In order: members keep their order through a write and a read, repeated names included.
    for (auto i = a.MemberBegin(), j = b.MemberBegin(); i != a.MemberEnd(); ++i, ++j) {
      if (!same_json(i->name, j->name) || !same_json(i->value, j->value))
        return false;
    }
    return true;
  }
  return true;  // null, true, false: same type is enough
}

}  // namespace saphan::fuzz
