#pragma once
// 5-field cron expressions in UTC (SPEC 2.1, 5.4): minute hour day-of-month month day-of-week, each `*`, a number, a
// range `a-b`, a list `a,b`, and steps `*/n` or `a-b/n`; month and weekday names (`jan`, `mon`) are accepted; weekday 7
// is Sunday like 0. As in Vixie cron, when both day-of-month and day-of-week are restricted, a day matches either.
#include <bitset>
#include <optional>
#include <string>
#include <string_view>

#include "reference/common/clock.h"

namespace outpost {

class CronSchedule {
 public:
  // Throws std::invalid_argument with a message saying which field is wrong and what is allowed.
  static CronSchedule parse(std::string_view expression);

  // The first occurrence strictly after `after`, at a whole minute (UTC). Nothing only if none exists within 5 years
  // (e.g. `0 0 30 2 *`).
  std::optional<WallTime> next_after(WallTime after) const;
  // Does the whole minute containing `time` match?
  bool matches(WallTime time) const;
  // `* * * * *`: every minute. With no window this means continuous sync (SPEC 5.4).
  bool every_minute() const;
  const std::string& text() const { return text_; }

 private:
  std::string text_;
  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_of_month_;  // 1..31
  std::bitset<13> months_;         // 1..12
  std::bitset<7> days_of_week_;    // 0 = Sunday
  bool day_of_month_restricted_ = false;
  bool day_of_week_restricted_ = false;
};

// When a connected registry may talk to its parent (SPEC 5.4): continuous (every minute, no window), or windows of
// length `window` opening at each cron occurrence. Windows that overlap merge. Decision: a schedule other than every
// minute with no window opens a one-minute window at each occurrence, and the round started in it runs to completion
// (closes_at() gives nothing: no cancellation).
class SyncWindow {
 public:
  SyncWindow(CronSchedule schedule, std::optional<Nanoseconds> window);

  bool continuous() const;
  // Is a window open at `now`? Always true when continuous. (A window opens at an occurrence t and is open on
  // [t, t + window).)
  bool open_at(WallTime now) const;
  // The end of the window open at `now` (nothing when continuous or when none is open).
  std::optional<WallTime> closes_at(WallTime now) const;
  // The start of the next window strictly after `now` (nothing when continuous, or if the cron never fires again).
  std::optional<WallTime> next_open_after(WallTime now) const;

 private:
  CronSchedule schedule_;
  std::optional<Nanoseconds> window_;
};

}  // namespace outpost
