// RFC 3339 timestamps with milliseconds, and the seconds <-> Duration helpers.
#include <cstring>

#include "test_support.hpp"

using namespace std::chrono;
using mockcloud::format_rfc3339;
using mockcloud::parse_rfc3339;
using mockcloud::TimePoint;

namespace {
TimePoint utc_day(int y, unsigned m, unsigned d) {
  return TimePoint{sys_days{year{y} / month{m} / d}.time_since_epoch()};
}
}  // namespace

TEST_SUITE("time") {
  TEST_CASE("format_rfc3339 gives UTC with milliseconds") {
    CHECK(format_rfc3339(utc_day(2030, 1, 1)) == "2030-01-01T00:00:00.000Z");
    CHECK(format_rfc3339(TimePoint{}) == "1970-01-01T00:00:00.000Z");
    CHECK(format_rfc3339(utc_day(2024, 2, 29) + 23h + 59min + 58s + 7ms) ==
          "2024-02-29T23:59:58.007Z");
    CHECK(format_rfc3339(utc_day(2026, 12, 31) + 12h + 345ms) == "2026-12-31T12:00:00.345Z");
    CHECK(format_rfc3339(utc_day(2030, 1, 1)).size() == 24u);
  }

  TEST_CASE("format_rfc3339 truncates toward the past") {
    CHECK(format_rfc3339(utc_day(2030, 1, 1) + 1999999ns) == "2030-01-01T00:00:00.001Z");
    CHECK(format_rfc3339(utc_day(2030, 1, 1) + 999us) == "2030-01-01T00:00:00.000Z");
    CHECK(format_rfc3339(utc_day(2030, 1, 1) - 1ns) == "2029-12-31T23:59:59.999Z");
    CHECK(format_rfc3339(TimePoint{} - 500us) == "1969-12-31T23:59:59.999Z");
  }

  TEST_CASE("format_rfc3339 into a fixed buffer writes the same 24 characters") {
    char buf[24];
    std::memset(buf, '#', sizeof buf);
    auto t = utc_day(2031, 7, 4) + 5h + 6min + 7s + 890ms;
    format_rfc3339(t, buf);
    CHECK(std::string(buf, 24) == format_rfc3339(t));
    CHECK(std::string(buf, 24) == "2031-07-04T05:06:07.890Z");
  }

  TEST_CASE("parse_rfc3339 reads UTC, fractions and offsets") {
    CHECK(parse_rfc3339("2030-01-01T00:00:00.000Z") == utc_day(2030, 1, 1));
    CHECK(parse_rfc3339("2030-01-01T00:00:00Z") == utc_day(2030, 1, 1));
    CHECK(parse_rfc3339("2030-01-01T00:00:00.5Z") == utc_day(2030, 1, 1) + 500ms);
    CHECK(parse_rfc3339("2030-01-01T00:00:00.123456Z") == utc_day(2030, 1, 1) + 123456us);
    CHECK(parse_rfc3339("2024-02-29T13:14:15.016Z") ==
          utc_day(2024, 2, 29) + 13h + 14min + 15s + 16ms);
    CHECK(parse_rfc3339("2030-01-01T01:00:00+01:00") == utc_day(2030, 1, 1));
    CHECK(parse_rfc3339("2029-12-31T18:30:00-05:30") == utc_day(2030, 1, 1));
    CHECK(parse_rfc3339("2030-01-01T00:00:00.250+00:00") == utc_day(2030, 1, 1) + 250ms);
  }

  TEST_CASE("parse_rfc3339 round-trips format_rfc3339") {
    for (auto t : {utc_day(2030, 1, 1), utc_day(2030, 1, 1) + 1ms,
                   utc_day(1999, 12, 31) + 86399999ms, utc_day(2100, 3, 1) + 42min, TimePoint{}}) {
      auto text = format_rfc3339(t);
      CAPTURE(text);
      auto back = parse_rfc3339(text);
      REQUIRE(back.has_value());
      CHECK(*back == t);
      CHECK(format_rfc3339(*back) == text);
    }
  }

  TEST_CASE("parse_rfc3339 refuses anything else") {
    for (const char* bad : {"",
                            "2030-01-01",
                            "2030-01-01T00:00:00",
                            "2030-01-01T00:00Z",
                            "2030-1-01T00:00:00Z",
                            "30-01-01T00:00:00Z",
                            "2030-13-01T00:00:00Z",
                            "2030-00-10T00:00:00Z",
                            "2030-01-32T00:00:00Z",
                            "2030-01-00T00:00:00Z",
                            "2030-01-01T25:00:00Z",
                            "2030-01-01T00:60:00Z",
                            "2030-01-01T00:00:61Z",
                            "2030-01-01T00:00:00.Z",
                            "2030-01-01T00:00:00ZZ",
                            "2030-01-01T00:00:00Z ",
                            " 2030-01-01T00:00:00Z",
                            "2030-01-01T00:00:00+0100",
                            "2030-01-01T00:00:00+01",
                            "2030-01-01T00:00:00+25:00",
                            "2030-01-01X00:00:00Z",
                            "2030-01-01T00:00:00.abcZ",
                            "2030/01/01T00:00:00Z",
                            "2023-02-29T00:00:00Z",
                            "2030-02-30T00:00:00Z",
                            "2030-04-31T00:00:00Z",
                            "not a time"}) {
      CAPTURE(bad);
      CHECK_FALSE(parse_rfc3339(bad).has_value());
    }
  }

  TEST_CASE("parse_rfc3339 refuses times a TimePoint cannot hold, without overflowing") {
    // A TimePoint counts nanoseconds in 64 bits: years 1678..2261 (found by fuzz_parsers).
    CHECK_FALSE(parse_rfc3339("9999-12-31T23:59:59-23:59").has_value());
    CHECK_FALSE(parse_rfc3339("2262-04-12T00:00:00Z").has_value());
    CHECK_FALSE(parse_rfc3339("0001-01-01T00:00:00Z").has_value());
    CHECK(format_rfc3339(*parse_rfc3339("2262-04-11T00:00:00Z")) == "2262-04-11T00:00:00.000Z");
    CHECK(format_rfc3339(*parse_rfc3339("1678-01-01T00:00:00.5Z")) == "1678-01-01T00:00:00.500Z");
  }

  TEST_CASE("seconds_to_duration and to_seconds") {
    CHECK(mockcloud::seconds_to_duration(1.5) == 1500ms);
    CHECK(mockcloud::seconds_to_duration(0.001) == 1ms);
    CHECK(mockcloud::seconds_to_duration(30) == 30s);
    CHECK(mockcloud::seconds_to_duration(0) == mockcloud::Duration::zero());
    CHECK(mockcloud::to_seconds(2500ms) == doctest::Approx(2.5));
    CHECK(mockcloud::to_seconds(mockcloud::seconds_to_duration(0.06)) == doctest::Approx(0.06));
  }
}
