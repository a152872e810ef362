#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <ctime>
#include <random>
#include <vector>

#include "reference/common/time_format.h"

using namespace outpost;

BOOST_AUTO_TEST_SUITE(rfc3339)

BOOST_AUTO_TEST_CASE(round_trips) {
  const auto parsed = parse_rfc3339("2026-11-28T20:43:56.123Z");
  BOOST_REQUIRE(parsed);
  BOOST_TEST(format_rfc3339(*parsed) == "2026-11-28T20:43:56.123Z");
}

// What the C library prints for the same instant: the formatter writes digits itself, so it is held to gmtime_r.
std::string formatted_by_libc(WallTime time) {
  const auto since_epoch = time.time_since_epoch();
  const auto seconds = std::chrono::floor<std::chrono::seconds>(since_epoch);
  const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch - seconds).count();
  const std::time_t t = seconds.count();
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[96];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(millis));
  return buffer;
}

BOOST_AUTO_TEST_CASE(formats_as_the_c_library_does) {
  using namespace std::chrono;
  std::vector<WallTime> times = {WallTime{}, WallTime{} - nanoseconds(1), WallTime{} - milliseconds(1500),
                                 *parse_rfc3339("2024-02-29T23:59:59.999Z"), *parse_rfc3339("2100-03-01T00:00:00Z"),
                                 *parse_rfc3339("1900-02-28T12:00:00.5Z"), *parse_rfc3339("2261-12-31T23:59:59.999Z"),
                                 *parse_rfc3339("1678-01-01T00:00:00Z")};
  std::mt19937_64 random(7);
  for (int i = 0; i < 20'000; ++i)  // anywhere in WallTime's range, 1678-2261
    // In unsigned arithmetic, then converted (modular in C++20): -9e18 to 9e18 without overflowing on the way.
    times.push_back(WallTime{} + nanoseconds(static_cast<int64_t>(random() % 18'000'000'000'000'000'000ull -
                                                                  9'000'000'000'000'000'000ull)));
  for (const WallTime time : times) BOOST_TEST(format_rfc3339(time) == formatted_by_libc(time));
}

BOOST_AUTO_TEST_CASE(offsets_are_applied) {
  const auto utc = parse_rfc3339("2026-01-01T10:00:00Z");
  const auto offset = parse_rfc3339("2026-01-01T12:00:00+02:00");
  BOOST_REQUIRE(utc && offset);
  BOOST_TEST((*utc == *offset));
}

// The instant timegm gives for these fields (it runs a field past its range into the next, as the parser does).
WallTime counted_by_libc(int year, int month, int day, int hour, int minute, int second) {
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  return WallTime(std::chrono::seconds(timegm(&tm)));
}

BOOST_AUTO_TEST_CASE(reads_fields_as_the_c_library_counts_them) {
  // Plain digits, read one by one, on every field's whole range (every day the month has, a leap second).
  std::mt19937_64 random(11);
  for (int i = 0; i < 20'000; ++i) {
    const int year = 1678 + static_cast<int>(random() % 584), month = 1 + static_cast<int>(random() % 12);
    const unsigned days_in_month = static_cast<unsigned>(
        std::chrono::year_month_day_last{std::chrono::year(year) / std::chrono::month(month) / std::chrono::last}.day());
    const int day = 1 + static_cast<int>(random() % days_in_month), hour = static_cast<int>(random() % 24);
    const int minute = static_cast<int>(random() % 60), second = static_cast<int>(random() % 61);
    char text[32];
    std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02dZ", year, month, day, hour, minute, second);
    const auto parsed = parse_rfc3339(text);
    BOOST_TEST_REQUIRE(parsed.has_value(), text);
    BOOST_TEST((*parsed == counted_by_libc(year, month, day, hour, minute, second)), text);
  }
}

BOOST_AUTO_TEST_CASE(rejects_malformed) {
  for (const char* bad : {"", "2026-01-01", "2026-13-01T00:00:00Z", "2026-01-01T00:00:00", "2026-01-01T00:00:00Zjunk",
                          "2026-01-01T00:00:00.", "2999-01-01T00:00:00Z", "9999-12-31T23:59:59Z",
                          // Days the month does not have: they ran into the next month.
                          "2030-02-30T00:00:00Z", "2030-04-31T00:00:00Z", "2029-02-29T00:00:00Z", "2100-02-29T00:00:00Z",
                          // Offsets past a day, and fields that are not digits (sscanf took a sign or a space).
                          "2030-01-01T00:00:00+25:00", "2030-01-01T00:00:00+24:00", "2030-01-01T00:00:00+01:60",
                          "2030-01-01T00:00:00+0a:00", "2026-11-30T 1:00:00Z", "2026-11-30T-1:00:00Z",
                          "2026-11-30T01:00:00+-1:00", "+026-11-30T01:00:00Z"})
    BOOST_TEST(!parse_rfc3339(bad), bad);
}

BOOST_AUTO_TEST_CASE(accepts_what_rfc_3339_allows) {
  BOOST_TEST((*parse_rfc3339("2030-01-01t00:00:00z") == *parse_rfc3339("2030-01-01T00:00:00Z")));  // 5.6: either case
  BOOST_TEST(parse_rfc3339("2024-02-29T12:00:00Z").has_value());
  BOOST_TEST(parse_rfc3339("2000-02-29T12:00:00Z").has_value());
  BOOST_TEST((*parse_rfc3339("2026-12-31T23:59:60-01:00") == *parse_rfc3339("2027-01-01T01:00:00Z")));  // leap second
  BOOST_TEST((*parse_rfc3339("2030-01-01T00:00:00-23:59") == *parse_rfc3339("2030-01-01T23:59:00Z")));
}

BOOST_AUTO_TEST_SUITE_END()
