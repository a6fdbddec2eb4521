// Time points of the cloud and their RFC 3339 form.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace mockcloud {

using TimePoint = std::chrono::system_clock::time_point;
using Duration = std::chrono::system_clock::duration;

/// "2030-01-01T00:00:00.000Z": UTC, milliseconds, truncated toward the past.
std::string format_rfc3339(TimePoint t);
/// Writes the same 24 characters into `out` (no terminator).
void format_rfc3339(TimePoint t, char (&out)[24]);
/// Accepts "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)"; nullopt on anything else.
std::optional<TimePoint> parse_rfc3339(std::string_view s);

/// Seconds (fractions allowed) as a Duration, rounded to the nearest tick.
inline Duration seconds_to_duration(double s) {
  return std::chrono::round<Duration>(std::chrono::duration<double>(s));
}
inline double to_seconds(Duration d) {
  return std::chrono::duration<double>(d).count();
}

}  // namespace mockcloud
