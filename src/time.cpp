#include "mockcloud/time.hpp"

#include <charconv>

namespace mockcloud {
namespace {

void put(char* p, int width, long long v) {
  for (int i = width - 1; i >= 0; --i) {
    p[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
}

bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

}  // namespace

void format_rfc3339(TimePoint t, char (&out)[24]) {
  using namespace std::chrono;
  auto ms = floor<milliseconds>(t);
  auto day = floor<days>(ms);
  year_month_day ymd{day};
  hh_mm_ss hms{ms - day};
  put(out, 4, static_cast<int>(ymd.year()));
  out[4] = '-';
  put(out + 5, 2, static_cast<unsigned>(ymd.month()));
  out[7] = '-';
  put(out + 8, 2, static_cast<unsigned>(ymd.day()));
  out[10] = 'T';
  put(out + 11, 2, hms.hours().count());
  out[13] = ':';
  put(out + 14, 2, hms.minutes().count());
  out[16] = ':';
  put(out + 17, 2, hms.seconds().count());
  out[19] = '.';
  put(out + 20, 3, hms.subseconds().count());
  out[23] = 'Z';
}

std::string format_rfc3339(TimePoint t) {
  char buf[24];
  format_rfc3339(t, buf);
  return std::string(buf, sizeof buf);
}

std::optional<TimePoint> parse_rfc3339(std::string_view s) {
  using namespace std::chrono;
  int y, mo, d, h, mi, sec;
  if (!digits(s, 0, 4, y) || s.size() < 20 || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-' ||
      !digits(s, 8, 2, d) || (s[10] != 'T' && s[10] != 't') || !digits(s, 11, 2, h) ||
      s[13] != ':' || !digits(s, 14, 2, mi) || s[16] != ':' || !digits(s, 17, 2, sec))
    return std::nullopt;
  year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
  if (!ymd.ok() || h > 23 || mi > 59 || sec > 59) return std::nullopt;
  std::size_t pos = 19;
  nanoseconds frac{0};
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    std::size_t start = pos;
    long long scale = 100'000'000;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      frac += nanoseconds{(s[pos] - '0') * scale};
      scale /= 10;
      ++pos;
    }
    if (pos == start) return std::nullopt;
  }
  minutes offset{0};
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh, om;
    if (!digits(s, pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !digits(s, pos + 4, 2, om) || oh > 23 || om > 59)
      return std::nullopt;
    offset = minutes{oh * 60 + om} * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  const sys_seconds whole = sys_days{ymd} + hours{h} + minutes{mi} + seconds{sec} - offset;
  // A TimePoint counts nanoseconds in 64 bits (the years 1678..2261): a time outside that range
  // ("9999-12-31T23:59:59Z") is not one, rather than an overflow.
  constexpr sys_seconds earliest = time_point_cast<seconds>(TimePoint::min()) + seconds{1};
  constexpr sys_seconds latest = time_point_cast<seconds>(TimePoint::max()) - seconds{1};
  if (whole < earliest || whole > latest) return std::nullopt;
  return time_point_cast<Duration>(whole) + duration_cast<Duration>(frac);
}

}  // namespace mockcloud
