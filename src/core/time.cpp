#include "core/time.hpp"

#include <cstdio>

namespace saphan {
namespace {

using namespace std::chrono;

bool read_number(std::string_view text, std::size_t pos, std::size_t width, int& out) {
  if (pos + width > text.size())
    return false;
  out = 0;
  for (std::size_t i = pos; i < pos + width; ++i) {
    if (text[i] < '0' || text[i] > '9')
      return false;
    out = out * 10 + (text[i] - '0');
  }
  return true;
}

bool expect(std::string_view text, std::size_t pos, char c) {
  return pos < text.size() && text[pos] == c;
}

error bad(std::string_view why) {
  return make_error(errc::invalid_timestamp, "RFC 3339 time: " + std::string(why));
}

}  // namespace

timestamp now_utc() {
  return time_point_cast<microseconds>(system_clock::now());
}

namespace {

// Writes `value` as `width` decimal digits (0 <= value < 10^width).
char* put_digits(char* out, unsigned value, int width) {
  for (int i = width - 1; i >= 0; --i) {
    out[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  return out + width;
}

}  // namespace

std::string format_rfc3339(timestamp t) {
  auto day = floor<days>(t);
  year_month_day ymd{day};
  hh_mm_ss<microseconds> tod{t - day};
  const int y = static_cast<int>(ymd.year());
  const auto micros = tod.subseconds().count();
  char buffer[40];
  if (y >= 0 && y <= 9999) {
    // Digit by digit: every log entry and answer carries timestamps, and snprintf costs some
    // thousands of instructions a call.
    char* o = put_digits(buffer, static_cast<unsigned>(y), 4);
    *o++ = '-';
    o = put_digits(o, static_cast<unsigned>(ymd.month()), 2);
    *o++ = '-';
    o = put_digits(o, static_cast<unsigned>(ymd.day()), 2);
    *o++ = 'T';
    o = put_digits(o, static_cast<unsigned>(tod.hours().count()), 2);
    *o++ = ':';
    o = put_digits(o, static_cast<unsigned>(tod.minutes().count()), 2);
    *o++ = ':';
    o = put_digits(o, static_cast<unsigned>(tod.seconds().count()), 2);
    if (micros != 0) {
      *o++ = '.';
      o = put_digits(o, static_cast<unsigned>(micros), 6);
    }
    *o++ = 'Z';
    return std::string(buffer, static_cast<std::size_t>(o - buffer));
  }
  const auto n = static_cast<std::size_t>(std::snprintf(
      buffer, sizeof buffer, "%04d-%02u-%02uT%02d:%02d:%02d", y, static_cast<unsigned>(ymd.month()),
      static_cast<unsigned>(ymd.day()), static_cast<int>(tod.hours().count()),
      static_cast<int>(tod.minutes().count()), static_cast<int>(tod.seconds().count())));
  std::string out(buffer, n);
  if (micros != 0) {
    std::snprintf(buffer, sizeof buffer, ".%06lld", static_cast<long long>(micros));
    out += buffer;
  }
  out += 'Z';
  return out;
}

result<timestamp> parse_rfc3339(std::string_view text) {
  if (text.size() > 64)
    return bad("too long");
  int y, mo, d, h, mi, s;
  if (!read_number(text, 0, 4, y) || !expect(text, 4, '-') || !read_number(text, 5, 2, mo) ||
      !expect(text, 7, '-') || !read_number(text, 8, 2, d) ||
      !(expect(text, 10, 'T') || expect(text, 10, 't')) || !read_number(text, 11, 2, h) ||
      !expect(text, 13, ':') || !read_number(text, 14, 2, mi) || !expect(text, 16, ':') ||
      !read_number(text, 17, 2, s)) {
    return bad("expected YYYY-MM-DDTHH:MM:SS");
  }
  year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
  if (!ymd.ok())
    return bad("no such date");
  if (h > 23 || mi > 59 || s > 59)
    return bad("time of day out of range");

  std::size_t pos = 19;
  long long micros = 0;
  if (expect(text, pos, '.')) {
    ++pos;
    int digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (digits < 6)
        micros = micros * 10 + (text[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0)
      return bad("empty fraction");
    for (int i = digits; i < 6; ++i)
      micros *= 10;
  }

  minutes offset{0};
  if (expect(text, pos, 'Z') || expect(text, pos, 'z')) {
    ++pos;
  } else if (expect(text, pos, '+') || expect(text, pos, '-')) {
    int oh, om;
    bool negative = text[pos] == '-';
    if (!read_number(text, pos + 1, 2, oh) || !expect(text, pos + 3, ':') ||
        !read_number(text, pos + 4, 2, om) || oh > 23 || om > 59) {
      return bad("bad UTC offset");
    }
    offset = hours{oh} + minutes{om};
    if (negative)
      offset = -offset;
    pos += 6;
  } else {
    return bad("missing time zone (Z or +HH:MM)");
  }
  if (pos != text.size())
    return bad("trailing characters");

  auto local = sys_days{ymd} + hours{h} + minutes{mi} + seconds{s} + microseconds{micros};
  return timestamp{local - offset};
}

}  // namespace saphan
