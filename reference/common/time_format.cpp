#include "reference/common/time_format.h"

#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>

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

std::optional<WallTime> parse_rfc3339(std::string_view text) {
  int year, month, day, hour, minute, second;
  int consumed = 0;
  const std::string s(text);
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &year, &month, &day, &hour, &minute, &second, &consumed) != 6 ||
      consumed != 19)
    return std::nullopt;
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  // WallTime counts nanoseconds in 64 bits: 1678-2261 fits; anything beyond would wrap silently.
  if (year < 1678 || year > 2261) return std::nullopt;
  size_t pos = 19;
  long long nanos = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    long long scale = 100000000;
    size_t digits = 0;
    while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) {
      if (digits < 9) nanos += (s[pos] - '0') * scale, scale /= 10;
      ++pos, ++digits;
    }
    if (digits == 0) return std::nullopt;
  }
  long offset_seconds = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos + 6 == s.size() && (s[pos] == '+' || s[pos] == '-') && s[pos + 3] == ':') {
    const int oh = std::stoi(s.substr(pos + 1, 2)), om = std::stoi(s.substr(pos + 4, 2));
    offset_seconds = (oh * 3600 + om * 60) * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  const std::time_t t = timegm(&tm);
  return WallTime(std::chrono::seconds(t - offset_seconds)) + Nanoseconds(nanos);
}

}  // namespace outpost
