#include "reference/common/cron.h"

#include <array>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <utility>
#include <vector>

#include "reference/common/ascii.h"

namespace outpost {

namespace {

using std::chrono::days;
using std::chrono::minutes;
using std::chrono::sys_days;
using MinuteTime = std::chrono::sys_time<minutes>;

struct FieldSpec {
  const char* name;
  int min;
  int max;
  std::array<std::string_view, 12> names;  // names[i] stands for min + i; empty when the field takes no names
};

constexpr FieldSpec kFields[] = {
    {"minute", 0, 59, {}},
    {"hour", 0, 23, {}},
    {"day-of-month", 1, 31, {}},
    {"month", 1, 12, {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}},
    {"day-of-week", 0, 7, {"sun", "mon", "tue", "wed", "thu", "fri", "sat"}},
};

[[noreturn]] void refuse(std::string_view expression, const FieldSpec& field, std::string_view text,
                         const std::string& why) {
  throw std::invalid_argument("cron expression \"" + std::string(expression) + "\": " + field.name + " field \"" +
                              std::string(text) + "\": " + why);
}

std::string allowed(const FieldSpec& field) {
  std::string out = std::to_string(field.min) + "-" + std::to_string(field.max);
  if (!field.names[0].empty()) out += std::string(" or a name (") + std::string(field.names[0]) + ", ...)";
  return out;
}

// One value: digits or (month, weekday) a three-letter name, case-insensitive.
int parse_value(std::string_view expression, const FieldSpec& field, std::string_view field_text,
                std::string_view text) {
  if (text.empty()) refuse(expression, field, field_text, "missing value; allowed: " + allowed(field));
  if (std::isdigit(static_cast<unsigned char>(text[0]))) {
    int value = 0;
    for (char c : text) {
      if (!std::isdigit(static_cast<unsigned char>(c)) || value > field.max)
        refuse(expression, field, field_text, "\"" + std::string(text) + "\" is not in " + allowed(field));
      value = value * 10 + (c - '0');
    }
    if (value < field.min || value > field.max)
      refuse(expression, field, field_text, std::to_string(value) + " is out of range " + allowed(field));
    return value;
  }
  const std::string lower = ascii_lowercase(text);
  for (size_t i = 0; i < field.names.size(); ++i)
    if (!field.names[i].empty() && field.names[i] == lower) return field.min + static_cast<int>(i);
  refuse(expression, field, field_text, "\"" + std::string(text) + "\" is not in " + allowed(field));
}

// A field as a bit mask of the values it allows (bit v for value v).
uint64_t parse_field(std::string_view expression, const FieldSpec& field, std::string_view text) {
  uint64_t mask = 0;
  size_t start = 0;
  for (;;) {
    const size_t comma = text.find(',', start);
    const std::string_view item = text.substr(start, comma == std::string_view::npos ? text.npos : comma - start);
    if (item.empty()) refuse(expression, field, text, "empty list element");
    const size_t slash = item.find('/');
    const std::string_view base = item.substr(0, slash);
    int low = field.min, high = field.max, step = 1;
    if (base != "*") {
      const size_t dash = base.find('-');
      low = parse_value(expression, field, text, base.substr(0, dash));
      high = dash == std::string_view::npos ? low : parse_value(expression, field, text, base.substr(dash + 1));
      if (high < low)
        refuse(expression, field, text, "range \"" + std::string(base) + "\" runs backwards");
      if (dash == std::string_view::npos && slash != std::string_view::npos)
        refuse(expression, field, text, "a step needs `*` or a range, as in `*/5` or `10-50/5`");
    }
    if (slash != std::string_view::npos) {
      const std::string_view step_text = item.substr(slash + 1);
      step = 0;
      for (char c : step_text) {
        if (!std::isdigit(static_cast<unsigned char>(c)) || step > field.max) {
          step = 0;
          break;
        }
        step = step * 10 + (c - '0');
      }
      if (step < 1 || step > field.max)
        refuse(expression, field, text, "step \"" + std::string(step_text) + "\" must be a number from 1 to " +
                                            std::to_string(field.max));
    }
    for (int value = low; value <= high; value += step) mask |= uint64_t{1} << value;
    if (comma == std::string_view::npos) return mask;
    start = comma + 1;
  }
}

struct CivilDay {
  unsigned month;       // 1..12
  unsigned day;         // 1..31
  unsigned weekday;     // 0 = Sunday
  sys_days next_month;  // the first day of the following month
};

CivilDay civil(sys_days day) {
  const std::chrono::year_month_day ymd{day};
  const std::chrono::year_month_day first_of_next = (ymd.year() / ymd.month() / 1) + std::chrono::months{1};
  return {static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
          std::chrono::weekday{day}.c_encoding(), sys_days{first_of_next}};
}

// No occurrence later than this can be a WallTime (64-bit nanoseconds end in 2262).
const MinuteTime kLastRepresentable = std::chrono::floor<minutes>(WallTime::max());

}  // namespace

CronSchedule CronSchedule::parse(std::string_view expression) {
  std::vector<std::string_view> fields;
  size_t pos = 0;
  while (pos < expression.size()) {
    if (std::isspace(static_cast<unsigned char>(expression[pos]))) {
      ++pos;
      continue;
    }
    const size_t start = pos;
    while (pos < expression.size() && !std::isspace(static_cast<unsigned char>(expression[pos]))) ++pos;
    fields.push_back(expression.substr(start, pos - start));
  }
  if (fields.size() != 5)
    throw std::invalid_argument("cron expression \"" + std::string(expression) + "\" has " +
                                std::to_string(fields.size()) +
                                " fields; expected 5: minute hour day-of-month month day-of-week");
  CronSchedule schedule;
  schedule.text_ = std::string(expression);
  schedule.minutes_ = std::bitset<60>(parse_field(expression, kFields[0], fields[0]));
  schedule.hours_ = std::bitset<24>(parse_field(expression, kFields[1], fields[1]));
  schedule.days_of_month_ = std::bitset<32>(parse_field(expression, kFields[2], fields[2]));
  schedule.months_ = std::bitset<13>(parse_field(expression, kFields[3], fields[3]));
  uint64_t weekdays = parse_field(expression, kFields[4], fields[4]);
  if (weekdays & (uint64_t{1} << 7)) weekdays = (weekdays | 1) & 0x7f;  // 7 is Sunday, like 0
  schedule.days_of_week_ = std::bitset<7>(weekdays);
  // Vixie cron's rule: a field counts as restricted unless it starts with `*`, so `*/2` is unrestricted but `1-31`
  // is restricted. Following it keeps existing crontabs meaning what they meant.
  schedule.day_of_month_restricted_ = fields[2][0] != '*';
  schedule.day_of_week_restricted_ = fields[4][0] != '*';
  return schedule;
}

namespace {

bool day_matches(const std::bitset<32>& days_of_month, const std::bitset<7>& days_of_week, bool either,
                 const CivilDay& day) {
  const bool dom = days_of_month[day.day], dow = days_of_week[day.weekday];
  return either ? (dom || dow) : (dom && dow);
}

}  // namespace

bool CronSchedule::matches(WallTime time) const {
  const MinuteTime minute = std::chrono::floor<minutes>(time);
  const sys_days day = std::chrono::floor<days>(minute);
  const CivilDay date = civil(day);
  const auto minute_of_day = (minute - day).count();
  return minutes_[minute_of_day % 60] && hours_[minute_of_day / 60] && months_[date.month] &&
         day_matches(days_of_month_, days_of_week_, day_of_month_restricted_ && day_of_week_restricted_, date);
}

std::optional<WallTime> CronSchedule::next_after(WallTime after) const {
  const MinuteTime start = std::chrono::floor<minutes>(after) + minutes(1);
  sys_days day = std::chrono::floor<days>(start);
  const sys_days last_day = day + days(5 * 366);
  const bool either = day_of_month_restricted_ && day_of_week_restricted_;
  // Only the first day searched starts mid-day; every later day starts at 00:00.
  int first_minute_of_day = static_cast<int>((start - day).count());
  // Skip whole months and days that cannot match, then scan the day's hours and minutes: at most ~1830 days are
  // looked at, so even a schedule that never fires answers quickly.
  while (day <= last_day) {
    const CivilDay date = civil(day);
    if (!months_[date.month]) {
      day = date.next_month;
      first_minute_of_day = 0;
      continue;
    }
    if (day_matches(days_of_month_, days_of_week_, either, date)) {
      for (int hour = first_minute_of_day / 60; hour < 24; ++hour) {
        if (!hours_[hour]) continue;
        const int first = hour == first_minute_of_day / 60 ? first_minute_of_day % 60 : 0;
        for (int minute = first; minute < 60; ++minute) {
          if (!minutes_[minute]) continue;
          const MinuteTime found = day + minutes(hour * 60 + minute);
          if (found > kLastRepresentable) return std::nullopt;
          return WallTime(found);
        }
      }
    }
    day += days(1);
    first_minute_of_day = 0;
  }
  return std::nullopt;
}

bool CronSchedule::every_minute() const {
  // Months live in bits 1..12 (bit 0 is never set); days of month in 1..31.
  const bool every_month = months_.count() == 12, every_day_of_month = days_of_month_.count() == 31;
  const bool every_day = day_of_month_restricted_ && day_of_week_restricted_
                             ? every_day_of_month || days_of_week_.all()
                             : every_day_of_month && days_of_week_.all();
  return minutes_.all() && hours_.all() && every_month && every_day;
}

// ---------------------------------------------------------------------------------------------------------------------

namespace {

// The no-window decision: each occurrence opens a one-minute window.
constexpr Nanoseconds kOneMinute = std::chrono::minutes(1);
// A merged window still open this long after `now` is taken to never close (for example `*/10 * * * *` with PT1H).
// Walking a year of occurrences stays cheap; any window the spec allows (at most 7 days) closes well within it.
constexpr Nanoseconds kNeverClosesAfter = std::chrono::days(366);

struct MergedWindow {
  enum State { kClosed, kCloses, kNeverCloses } state;
  WallTime end;  // when kCloses
};

// The window open at `now`, merged with every window overlapping or touching it.
MergedWindow merged_window_at(const CronSchedule& schedule, Nanoseconds length, WallTime now) {
  if (length >= kOneMinute && schedule.every_minute()) return {MergedWindow::kNeverCloses, {}};
  // Occurrences in (now - length, now] open a window covering `now`; after that, each occurrence no later than the
  // current end extends it.
  WallTime cursor = now - length;
  std::optional<WallTime> end;
  for (;;) {
    const auto occurrence = schedule.next_after(cursor);
    if (!occurrence || *occurrence > (end ? *end : now)) break;
    end = *occurrence + length;
    if (*end - now > kNeverClosesAfter) return {MergedWindow::kNeverCloses, {}};
    cursor = *occurrence;
  }
  if (!end) return {MergedWindow::kClosed, {}};
  return {MergedWindow::kCloses, *end};
}

}  // namespace

SyncWindow::SyncWindow(CronSchedule schedule, std::optional<Nanoseconds> window)
    : schedule_(std::move(schedule)), window_(window) {
  if (window_ && *window_ <= Nanoseconds::zero())
    throw std::invalid_argument("sync window must be a positive duration");
}

bool SyncWindow::continuous() const { return !window_ && schedule_.every_minute(); }

bool SyncWindow::open_at(WallTime now) const {
  if (continuous()) return true;
  const auto occurrence = schedule_.next_after(now - window_.value_or(kOneMinute));
  return occurrence && *occurrence <= now;
}

std::optional<WallTime> SyncWindow::closes_at(WallTime now) const {
  if (!window_ || continuous()) return std::nullopt;  // no window: the round runs to completion
  const MergedWindow merged = merged_window_at(schedule_, *window_, now);
  if (merged.state != MergedWindow::kCloses) return std::nullopt;
  return merged.end;
}

std::optional<WallTime> SyncWindow::next_open_after(WallTime now) const {
  if (continuous()) return std::nullopt;
  const MergedWindow merged = merged_window_at(schedule_, window_.value_or(kOneMinute), now);
  switch (merged.state) {
    case MergedWindow::kClosed:
      return schedule_.next_after(now);
    case MergedWindow::kCloses:
      // Any occurrence up to the end merged into this window, so the next one opens a new window.
      return schedule_.next_after(merged.end);
    case MergedWindow::kNeverCloses:
      break;
  }
  return std::nullopt;
}

}  // namespace outpost
