#include "reference/common/time_format.h"

#include <cctype>
#include <chrono>
#include <string>

namespace outpost {

// Written digit by digit from the civil calendar (std::chrono's days-to-date arithmetic), without gmtime_r and
// snprintf: every status report and log line carries a timestamp, and a simulated fleet writes millions of them.
std::string format_rfc3339(WallTime time) {
  using namespace std::chrono;
  const auto since_epoch = time.time_since_epoch();
  const auto day = floor<days>(since_epoch);
  const year_month_day date{sys_days(day)};
  const auto millis = duration_cast<milliseconds>(since_epoch - day).count();  // within the day, never negative
  const auto put = [](char* at, long long value, int width) {
    for (int i = width - 1; i >= 0; --i, value /= 10) at[i] = static_cast<char>('0' + value % 10);
  };
  std::string text = "0000-00-00T00:00:00.000Z";
  put(text.data(), static_cast<int>(date.year()), 4);
  put(text.data() + 5, static_cast<unsigned>(date.month()), 2);
  put(text.data() + 8, static_cast<unsigned>(date.day()), 2);
  put(text.data() + 11, millis / 3'600'000, 2);
  put(text.data() + 14, millis / 60'000 % 60, 2);
  put(text.data() + 17, millis / 1000 % 60, 2);
  put(text.data() + 20, millis % 1000, 3);
  return text;
}

namespace {
// The fields of "YYYY-MM-DDTHH:MM:SS" at the start of `text`, in that order: digits only, 'T' or 't' between date and
// time (RFC 3339 5.6 lets either case through). Nothing else is read as a number: a sign or a space was taken by
// the sscanf this replaced, so "2026-11-30T-1:00:00Z" meant an hour before midnight.
bool read_date_time(std::string_view text, int (&fields)[6]) {
  const auto digit = [&text](size_t at) { return text[at] >= '0' && text[at] <= '9'; };
  bool plain = text.size() >= 19 && text[4] == '-' && text[7] == '-' && (text[10] == 'T' || text[10] == 't') &&
               text[13] == ':' && text[16] == ':';
  for (size_t at : {0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18}) plain = plain && digit(at);
  if (!plain) return false;
  const size_t starts[6] = {0, 5, 8, 11, 14, 17};
  for (size_t i = 0; i < 6; ++i) {
    fields[i] = 0;
    for (size_t at = starts[i]; at < starts[i] + (i == 0 ? 4 : 2); ++at) fields[i] = fields[i] * 10 + (text[at] - '0');
  }
  return true;
}

bool two_digits(std::string_view text, size_t at) {
  return at + 2 <= text.size() && std::isdigit(static_cast<unsigned char>(text[at])) &&
         std::isdigit(static_cast<unsigned char>(text[at + 1]));
}
}  // namespace

std::optional<WallTime> parse_rfc3339(std::string_view text) {
  int fields[6];
  if (!read_date_time(text, fields)) return std::nullopt;
  const auto [year, month, day, hour, minute, second] = fields;
  // WallTime counts nanoseconds in 64 bits: 1678-2261 fits; anything beyond would wrap silently.
  if (year < kFirstRfc3339Year || year > kLastRfc3339Year) return std::nullopt;
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  // A day the month does not have is refused: it was counted on into the next month (the 30th of February was the
  // 2nd of March), so a mistyped expiry was stored as another date. Second 60 is a leap second (RFC 3339 5.7).
  using namespace std::chrono;
  const year_month_day_last last_day{std::chrono::year(year) / std::chrono::month(static_cast<unsigned>(month)) / last};
  if (static_cast<unsigned>(day) > static_cast<unsigned>(last_day.day())) return std::nullopt;
  size_t pos = 19;
  long long nanos = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    long long scale = 100000000;
    size_t digits = 0;
    while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
      if (digits < 9) nanos += (text[pos] - '0') * scale, scale /= 10;
      ++pos, ++digits;
    }
    if (digits == 0) return std::nullopt;
  }
  long offset_seconds = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos + 6 == text.size() && (text[pos] == '+' || text[pos] == '-') && two_digits(text, pos + 1) &&
             text[pos + 3] == ':' && two_digits(text, pos + 4)) {
    const int oh = (text[pos + 1] - '0') * 10 + (text[pos + 2] - '0');
    const int om = (text[pos + 4] - '0') * 10 + (text[pos + 5] - '0');
    if (oh > 23 || om > 59) return std::nullopt;  // RFC 3339 time-numoffset: +25:00 was taken as 25 hours
    offset_seconds = (oh * 3600 + om * 60) * (text[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != text.size()) return std::nullopt;
  const sys_days first_of_month = std::chrono::year(year) / std::chrono::month(static_cast<unsigned>(month)) / 1;
  const auto since_epoch = first_of_month.time_since_epoch() + days(day - 1) + hours(hour) + minutes(minute) +
                           seconds(second) - seconds(offset_seconds);
  return WallTime(duration_cast<Nanoseconds>(since_epoch)) + Nanoseconds(nanos);
}

}  // namespace outpost
