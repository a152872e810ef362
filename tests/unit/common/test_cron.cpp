#include <boost/test/unit_test.hpp>

#include <stdexcept>

#include "reference/common/cron.h"
#include "reference/common/time_format.h"

using namespace outpost;
using namespace std::chrono_literals;

namespace {

WallTime at(const char* text) {
  const auto time = parse_rfc3339(text);
  if (!time) throw std::logic_error(std::string("bad test timestamp ") + text);
  return *time;
}

std::string show(std::optional<WallTime> time) { return time ? format_rfc3339(*time) : "none"; }

std::string next(const char* expression, const char* after) {
  return show(CronSchedule::parse(expression).next_after(at(after)));
}

// The first `count` occurrences after `after`, comma-separated.
std::string occurrences(const char* expression, const char* after, int count) {
  const CronSchedule schedule = CronSchedule::parse(expression);
  std::string out;
  std::optional<WallTime> cursor = at(after);
  for (int i = 0; i < count && cursor; ++i) {
    cursor = schedule.next_after(*cursor);
    out += (i ? "," : "") + show(cursor);
  }
  return out;
}

// The message of the std::invalid_argument that parsing `expression` throws ("" if it does not throw).
std::string refusal(const char* expression) {
  try {
    CronSchedule::parse(expression);
  } catch (const std::invalid_argument& error) {
    return error.what();
  }
  return "";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(cron)

BOOST_AUTO_TEST_CASE(numbers_and_strictly_after) {
  BOOST_TEST(next("30 14 * * *", "2026-01-01T00:00:00Z") == "2026-01-01T14:30:00.000Z");
  BOOST_TEST(next("30 14 * * *", "2026-01-01T14:29:59.999Z") == "2026-01-01T14:30:00.000Z");
  BOOST_TEST(next("30 14 * * *", "2026-01-01T14:30:00Z") == "2026-01-02T14:30:00.000Z");
  BOOST_TEST(next("30 14 * * *", "2026-01-01T14:30:00.001Z") == "2026-01-02T14:30:00.000Z");
  BOOST_TEST(next("* * * * *", "2026-01-01T10:00:30Z") == "2026-01-01T10:01:00.000Z");
  BOOST_TEST(CronSchedule::parse("  30\t14 * *  * ").text() == "  30\t14 * *  * ");
}

BOOST_AUTO_TEST_CASE(ranges_lists_and_steps) {
  BOOST_TEST(occurrences("0-10/5,30 9-10 * * *", "2026-01-01T09:00:00Z", 8) ==
             "2026-01-01T09:05:00.000Z,2026-01-01T09:10:00.000Z,2026-01-01T09:30:00.000Z,2026-01-01T10:00:00.000Z,"
             "2026-01-01T10:05:00.000Z,2026-01-01T10:10:00.000Z,2026-01-01T10:30:00.000Z,2026-01-02T09:00:00.000Z");
  BOOST_TEST(occurrences("*/15 * * * *", "2026-01-01T23:20:00Z", 3) ==
             "2026-01-01T23:30:00.000Z,2026-01-01T23:45:00.000Z,2026-01-02T00:00:00.000Z");
  BOOST_TEST(occurrences("10-50/20 0 * * *", "2026-01-01T00:00:00Z", 4) ==
             "2026-01-01T00:10:00.000Z,2026-01-01T00:30:00.000Z,2026-01-01T00:50:00.000Z,2026-01-02T00:10:00.000Z");
  BOOST_TEST(occurrences("0 0 1,15 * *", "2026-01-01T00:00:00Z", 3) ==
             "2026-01-15T00:00:00.000Z,2026-02-01T00:00:00.000Z,2026-02-15T00:00:00.000Z");
  BOOST_TEST(next("0 */6 * * *", "2026-01-01T06:00:00Z") == "2026-01-01T12:00:00.000Z");
}

BOOST_AUTO_TEST_CASE(month_and_weekday_names) {
  // 2026-01-03 is a Saturday.
  BOOST_TEST(next("0 12 * * MON-fri", "2026-01-03T00:00:00Z") == "2026-01-05T12:00:00.000Z");
  BOOST_TEST(occurrences("0 0 1 feb-Mar,DEC *", "2026-01-01T00:00:00Z", 4) ==
             "2026-02-01T00:00:00.000Z,2026-03-01T00:00:00.000Z,2026-12-01T00:00:00.000Z,2027-02-01T00:00:00.000Z");
  BOOST_TEST(next("0 0 1 jan-dec/3 *", "2026-01-01T00:00:00Z") == "2026-04-01T00:00:00.000Z");
  BOOST_TEST(next("0 0 * * sat,sun", "2026-01-01T00:00:00Z") == "2026-01-03T00:00:00.000Z");
}

BOOST_AUTO_TEST_CASE(seven_is_sunday) {
  // 2026-01-01 is a Thursday; the first Sunday is the 4th.
  for (const char* expression : {"0 0 * * 0", "0 0 * * 7", "0 0 * * sun", "0 0 * * 6-7"})
    BOOST_TEST(occurrences(expression, "2026-01-03T12:00:00Z", 1) == "2026-01-04T00:00:00.000Z", expression);
  BOOST_TEST(occurrences("0 0 * * 5-7", "2026-01-01T00:00:00Z", 4) ==
             "2026-01-02T00:00:00.000Z,2026-01-03T00:00:00.000Z,2026-01-04T00:00:00.000Z,2026-01-09T00:00:00.000Z");
  BOOST_TEST(CronSchedule::parse("* * * * 0-7").every_minute());
}

BOOST_AUTO_TEST_CASE(refusals_say_what_is_wrong) {
  const std::pair<const char*, const char*> cases[] = {
      {"", "has 0 fields; expected 5"},
      {"0 0 * *", "has 4 fields; expected 5: minute hour day-of-month month day-of-week"},
      {"0 0 * * * *", "has 6 fields"},
      {"60 * * * *", "minute field \"60\": 60 is out of range 0-59"},
      {"* 24 * * *", "hour field \"24\": 24 is out of range 0-23"},
      {"* * 0 * *", "day-of-month field \"0\": 0 is out of range 1-31"},
      {"* * 32 * *", "day-of-month field \"32\""},
      {"* * * 13 *", "month field \"13\": 13 is out of range 1-12 or a name (jan, ...)"},
      {"* * * foo *", "month field \"foo\": \"foo\" is not in 1-12 or a name (jan, ...)"},
      {"* * * * 8", "day-of-week field \"8\": 8 is out of range 0-7 or a name (sun, ...)"},
      {"* * * * mon-", "day-of-week field \"mon-\": missing value"},
      {"* * * jan *x", "day-of-week field \"*x\""},
      {"*/0 * * * *", "minute field \"*/0\": step \"0\" must be a number from 1 to 59"},
      {"*/x * * * *", "step \"x\""},
      {"5/2 * * * *", "a step needs `*` or a range"},
      {"10-5 * * * *", "range \"10-5\" runs backwards"},
      {"1,,2 * * * *", "minute field \"1,,2\": empty list element"},
      {"-1 * * * *", "missing value"},
      {"1-2-3 * * * *", "\"2-3\" is not in 0-59"},
      {"1.5 * * * *", "\"1.5\" is not in 0-59"},
      {"99999999999 * * * *", "is not in 0-59"},
      {"* * * 1 monday", "day-of-week field \"monday\""},
  };
  for (const auto& [expression, expected] : cases) {
    const std::string message = refusal(expression);
    BOOST_TEST(message.find(expected) != std::string::npos, "\"" << expression << "\" -> \"" << message << "\"");
  }
}

BOOST_AUTO_TEST_CASE(next_after_crosses_month_and_year_ends) {
  BOOST_TEST(next("0 0 1 * *", "2026-12-15T08:00:00Z") == "2027-01-01T00:00:00.000Z");
  BOOST_TEST(next("59 23 31 12 *", "2026-12-31T23:59:00Z") == "2027-12-31T23:59:00.000Z");
  BOOST_TEST(next("* * * * *", "2026-12-31T23:59:00Z") == "2027-01-01T00:00:00.000Z");
  // April has no 31st: skipped to May.
  BOOST_TEST(next("59 23 31 * *", "2026-04-01T00:00:00Z") == "2026-05-31T23:59:00.000Z");
  BOOST_TEST(next("0 0 31 * *", "2026-01-31T00:00:00Z") == "2026-03-31T00:00:00.000Z");
  BOOST_TEST(next("0 0 1 1 *", "1969-12-31T12:00:00Z") == "1970-01-01T00:00:00.000Z");
}

BOOST_AUTO_TEST_CASE(leap_years) {
  BOOST_TEST(next("0 0 29 2 *", "2026-01-01T00:00:00Z") == "2028-02-29T00:00:00.000Z");
  BOOST_TEST(next("0 0 29 2 *", "2028-02-29T00:00:00Z") == "2032-02-29T00:00:00.000Z");
  BOOST_TEST(next("0 0 * 2 *", "2028-02-28T00:00:00Z") == "2028-02-29T00:00:00.000Z");
  BOOST_TEST(next("0 0 * 2 *", "2027-02-28T00:00:00Z") == "2028-02-01T00:00:00.000Z");
  // 2100 is not a leap year, and 2104 is more than five years on.
  BOOST_TEST(next("0 0 29 2 *", "2096-03-01T00:00:00Z") == "none");
  BOOST_TEST(CronSchedule::parse("30 12 29 feb *").matches(at("2028-02-29T12:30:45Z")));
}

BOOST_AUTO_TEST_CASE(day_of_month_or_day_of_week) {
  // Both restricted: the 13th or any Friday (2026-01-02, 09 and 16 are Fridays; the 13th is a Tuesday).
  BOOST_TEST(occurrences("0 0 13 * 5", "2026-01-01T00:00:00Z", 4) ==
             "2026-01-02T00:00:00.000Z,2026-01-09T00:00:00.000Z,2026-01-13T00:00:00.000Z,2026-01-16T00:00:00.000Z");
  const CronSchedule schedule = CronSchedule::parse("0 0 13 * fri");
  BOOST_TEST(schedule.matches(at("2026-01-13T00:00:00Z")));   // Tuesday the 13th
  BOOST_TEST(schedule.matches(at("2026-01-16T00:00:59Z")));   // Friday the 16th
  BOOST_TEST(!schedule.matches(at("2026-01-14T00:00:00Z")));  // Wednesday the 14th
  BOOST_TEST(!schedule.matches(at("2026-01-16T00:01:00Z")));  // wrong minute
  // Only one restricted: both must hold. A field starting with `*` counts as unrestricted, as in Vixie cron, so
  // `*/2` with Friday means odd-numbered Fridays.
  BOOST_TEST(next("0 0 * * 5", "2026-01-01T00:00:00Z") == "2026-01-02T00:00:00.000Z");
  BOOST_TEST(next("0 0 */2 * 5", "2026-01-01T00:00:00Z") == "2026-01-09T00:00:00.000Z");
  BOOST_TEST(next("0 0 13 * *", "2026-01-01T00:00:00Z") == "2026-01-13T00:00:00.000Z");
}

BOOST_AUTO_TEST_CASE(impossible_dates_give_nothing) {
  BOOST_TEST(next("0 0 30 2 *", "2026-01-01T00:00:00Z") == "none");
  BOOST_TEST(next("0 0 31 4,6,9,11 *", "2026-01-01T00:00:00Z") == "none");
  // Beyond what a WallTime can hold (64-bit nanoseconds end in April 2262).
  BOOST_TEST(!CronSchedule::parse("0 0 1 1 *").next_after(WallTime::max() - std::chrono::days(30)));
}

BOOST_AUTO_TEST_CASE(every_minute) {
  for (const char* expression : {"* * * * *", "0-59 * * * *", "*/1 * * * *", "* 0-23 1-31 1-12 0-6", "* * * jan-dec *"})
    BOOST_TEST(CronSchedule::parse(expression).every_minute(), expression);
  for (const char* expression : {"0 * * * *", "* 0-22 * * *", "* * */2 * *", "* * * * 1-5", "* * * 2 *"})
    BOOST_TEST(!CronSchedule::parse(expression).every_minute(), expression);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(sync_window)

BOOST_AUTO_TEST_CASE(every_minute_without_window_is_continuous) {
  const SyncWindow window(CronSchedule::parse("* * * * *"), std::nullopt);
  BOOST_TEST(window.continuous());
  BOOST_TEST(window.open_at(at("2026-01-01T10:00:30Z")));
  BOOST_TEST(show(window.closes_at(at("2026-01-01T10:00:30Z"))) == "none");
  BOOST_TEST(show(window.next_open_after(at("2026-01-01T10:00:30Z"))) == "none");
}

BOOST_AUTO_TEST_CASE(hourly_quarter_hour_windows) {
  const SyncWindow window(CronSchedule::parse("0 * * * *"), 15min);
  BOOST_TEST(!window.continuous());
  BOOST_TEST(!window.open_at(at("2026-01-01T09:59:59.999Z")));
  BOOST_TEST(window.open_at(at("2026-01-01T10:00:00Z")));
  BOOST_TEST(window.open_at(at("2026-01-01T10:14:59.999Z")));
  BOOST_TEST(!window.open_at(at("2026-01-01T10:15:00Z")));
  BOOST_TEST(show(window.closes_at(at("2026-01-01T10:05:00Z"))) == "2026-01-01T10:15:00.000Z");
  BOOST_TEST(show(window.closes_at(at("2026-01-01T10:20:00Z"))) == "none");
  BOOST_TEST(show(window.next_open_after(at("2026-01-01T09:59:00Z"))) == "2026-01-01T10:00:00.000Z");
  BOOST_TEST(show(window.next_open_after(at("2026-01-01T10:00:00Z"))) == "2026-01-01T11:00:00.000Z");
  BOOST_TEST(show(window.next_open_after(at("2026-01-01T10:05:00Z"))) == "2026-01-01T11:00:00.000Z");
  BOOST_TEST(show(window.next_open_after(at("2026-01-01T10:20:00Z"))) == "2026-01-01T11:00:00.000Z");
  BOOST_TEST(show(window.next_open_after(at("2026-12-31T23:30:00Z"))) == "2027-01-01T00:00:00.000Z");
}

BOOST_AUTO_TEST_CASE(windows_cross_midnight) {
  const SyncWindow window(CronSchedule::parse("0 23 * * *"), 2h);
  BOOST_TEST(window.open_at(at("2026-01-02T00:30:00Z")));
  BOOST_TEST(!window.open_at(at("2026-01-02T01:00:00Z")));
  BOOST_TEST(show(window.closes_at(at("2026-01-02T00:30:00Z"))) == "2026-01-02T01:00:00.000Z");
}

BOOST_AUTO_TEST_CASE(overlapping_and_touching_windows_merge) {
  const SyncWindow overlapping(CronSchedule::parse("0,30 9 * * *"), 45min);  // 9:00-9:45 and 9:30-10:15
  BOOST_TEST(overlapping.open_at(at("2026-01-01T10:00:00Z")));
  BOOST_TEST(!overlapping.open_at(at("2026-01-01T10:15:00Z")));
  BOOST_TEST(show(overlapping.closes_at(at("2026-01-01T09:10:00Z"))) == "2026-01-01T10:15:00.000Z");
  BOOST_TEST(show(overlapping.next_open_after(at("2026-01-01T09:10:00Z"))) == "2026-01-02T09:00:00.000Z");
  const SyncWindow touching(CronSchedule::parse("0,30 9 * * *"), 30min);  // 9:00-9:30 and 9:30-10:00
  BOOST_TEST(show(touching.closes_at(at("2026-01-01T09:05:00Z"))) == "2026-01-01T10:00:00.000Z");
}

BOOST_AUTO_TEST_CASE(windows_that_always_overlap_never_close) {
  for (const SyncWindow& window : {SyncWindow(CronSchedule::parse("*/10 * * * *"), 1h),
                                   SyncWindow(CronSchedule::parse("0 0 * * mon"), 7 * 24h),
                                   SyncWindow(CronSchedule::parse("* * * * *"), 1h)}) {
    BOOST_TEST(!window.continuous());
    for (const char* now : {"2026-01-01T00:00:00Z", "2026-01-01T10:09:59Z", "2026-06-30T23:59:59.999Z"}) {
      BOOST_TEST(window.open_at(at(now)), now);
      BOOST_TEST(show(window.closes_at(at(now))) == "none", now);
      BOOST_TEST(show(window.next_open_after(at(now))) == "none", now);
    }
  }
}

BOOST_AUTO_TEST_CASE(no_window_opens_one_minute_without_a_deadline) {
  const SyncWindow window(CronSchedule::parse("0 * * * *"), std::nullopt);
  BOOST_TEST(!window.continuous());
  BOOST_TEST(window.open_at(at("2026-01-01T10:00:00Z")));
  BOOST_TEST(window.open_at(at("2026-01-01T10:00:59.999Z")));
  BOOST_TEST(!window.open_at(at("2026-01-01T10:01:00Z")));
  BOOST_TEST(show(window.closes_at(at("2026-01-01T10:00:30Z"))) == "none");  // the round runs to completion
  BOOST_TEST(show(window.next_open_after(at("2026-01-01T10:00:30Z"))) == "2026-01-01T11:00:00.000Z");
  BOOST_TEST(show(window.next_open_after(at("2026-01-01T10:30:00Z"))) == "2026-01-01T11:00:00.000Z");
  // Consecutive minutes merge into one stretch: the next one opens the next day.
  const SyncWindow mornings(CronSchedule::parse("* 0-5 * * *"), std::nullopt);
  BOOST_TEST(mornings.open_at(at("2026-01-01T03:00:00Z")));
  BOOST_TEST(show(mornings.next_open_after(at("2026-01-01T03:00:00Z"))) == "2026-01-02T00:00:00.000Z");
}

BOOST_AUTO_TEST_CASE(a_schedule_that_never_fires) {
  const SyncWindow window(CronSchedule::parse("0 0 30 2 *"), 1h);
  BOOST_TEST(!window.open_at(at("2026-01-01T00:00:00Z")));
  BOOST_TEST(show(window.next_open_after(at("2026-01-01T00:00:00Z"))) == "none");
}

BOOST_AUTO_TEST_CASE(refuses_an_empty_window) {
  BOOST_CHECK_THROW(SyncWindow(CronSchedule::parse("0 * * * *"), 0s), std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()
