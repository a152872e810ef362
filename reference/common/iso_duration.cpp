#include "reference/common/iso_duration.h"

#include <cctype>
#include <cstdint>

namespace outpost {

namespace {

constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kMinute = 60 * kSecond;
constexpr int64_t kHour = 60 * kMinute;
constexpr int64_t kDay = 24 * kHour;
constexpr int64_t kWeek = 7 * kDay;

bool is_digit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }

// Reads the digits at `pos` as a non-negative integer; nothing if there are none or the value overflows.
std::optional<int64_t> read_integer(std::string_view text, size_t& pos) {
  const size_t start = pos;
  int64_t value = 0;
  while (pos < text.size() && is_digit(text[pos])) {
    if (__builtin_mul_overflow(value, 10, &value) || __builtin_add_overflow(value, text[pos] - '0', &value))
      return std::nullopt;
    ++pos;
  }
  if (pos == start) return std::nullopt;
  return value;
}

// Adds `count * unit` to `total`; false on overflow (a duration must fit in 64-bit nanoseconds, about 292 years).
bool accumulate(int64_t& total, int64_t count, int64_t unit) {
  int64_t product = 0;
  return !__builtin_mul_overflow(count, unit, &product) && !__builtin_add_overflow(total, product, &total);
}

}  // namespace

std::optional<Nanoseconds> parse_iso_duration(std::string_view text) {
  if (text.empty() || (text[0] != 'P' && text[0] != 'p')) return std::nullopt;
  // Designators in the only order allowed; `rank` only grows, so each appears at most once and in order.
  struct Unit {
    char designator;
    bool after_t;
    int64_t nanoseconds;
  };
  static constexpr Unit kUnits[] = {
      {'W', false, kWeek}, {'D', false, kDay}, {'H', true, kHour}, {'M', true, kMinute}, {'S', true, kSecond}};
  size_t rank = 0;
  bool in_time = false;
  bool any_component = false;
  bool time_component = false;
  int64_t total = 0;
  size_t pos = 1;
  while (pos < text.size()) {
    if (text[pos] == 'T' || text[pos] == 't') {
      if (in_time) return std::nullopt;
      in_time = true;
      ++pos;
      continue;
    }
    const auto count = read_integer(text, pos);
    if (!count) return std::nullopt;
    int64_t fraction = 0;  // nanoseconds, seconds only
    bool has_fraction = false;
    if (pos < text.size() && text[pos] == '.') {
      has_fraction = true;
      ++pos;
      int64_t scale = kSecond / 10;
      const size_t start = pos;
      for (; pos < text.size() && is_digit(text[pos]); ++pos) {
        fraction += (text[pos] - '0') * scale;  // digits beyond nanoseconds are dropped
        scale /= 10;
      }
      if (pos == start) return std::nullopt;
    }
    if (pos == text.size()) return std::nullopt;  // a number without a designator
    const char designator = static_cast<char>(std::toupper(static_cast<unsigned char>(text[pos])));
    ++pos;
    size_t index = rank;
    while (index < std::size(kUnits) && kUnits[index].designator != designator) ++index;
    if (index == std::size(kUnits) || kUnits[index].after_t != in_time) return std::nullopt;
    if (has_fraction && designator != 'S') return std::nullopt;
    if (!accumulate(total, *count, kUnits[index].nanoseconds) || __builtin_add_overflow(total, fraction, &total))
      return std::nullopt;
    rank = index + 1;
    any_component = true;
    time_component = time_component || in_time;
  }
  // `P` alone, and a `T` with nothing after it (`PT`, `P1DT`), are not durations.
  if (!any_component || (in_time && !time_component)) return std::nullopt;
  return Nanoseconds(total);
}

std::string format_iso_duration(Nanoseconds duration) {
  int64_t rest = duration.count();
  std::string out;
  // Parsing never yields a negative duration, but formatting one should not lie: ISO 8601-2 writes a leading minus.
  uint64_t magnitude = rest < 0 ? 0 - static_cast<uint64_t>(rest) : static_cast<uint64_t>(rest);
  if (rest < 0) out.push_back('-');
  out.push_back('P');
  const uint64_t days = magnitude / kDay;
  magnitude %= kDay;
  if (days) out += std::to_string(days) + "D";
  if (magnitude == 0) {
    if (days == 0) out += "T0S";
    return out;
  }
  out.push_back('T');
  const uint64_t hours = magnitude / kHour, minutes = magnitude % kHour / kMinute;
  const uint64_t seconds = magnitude % kMinute / kSecond, nanos = magnitude % kSecond;
  if (hours) out += std::to_string(hours) + "H";
  if (minutes) out += std::to_string(minutes) + "M";
  if (seconds || nanos) {
    out += std::to_string(seconds);
    if (nanos) {
      std::string digits = std::to_string(nanos);
      digits.insert(0, 9 - digits.size(), '0');
      digits.erase(digits.find_last_not_of('0') + 1);
      out += "." + digits;
    }
    out.push_back('S');
  }
  return out;
}

std::optional<Nanoseconds> parse_human_duration(std::string_view text) {
  if (!text.empty() && (text[0] == 'P' || text[0] == 'p')) return parse_iso_duration(text);
  // Units largest first; each may appear once, in this order (`1h30m`, not `30m1h`). Lowercase only: `M` would read as
  // months to some people.
  struct Unit {
    std::string_view suffix;
    int64_t nanoseconds;
  };
  static constexpr Unit kUnits[] = {
      {"d", kDay}, {"h", kHour}, {"m", kMinute}, {"s", kSecond}, {"ms", 1'000'000}};
  size_t rank = 0;
  int64_t total = 0;
  size_t pos = 0;
  if (text.empty()) return std::nullopt;
  while (pos < text.size()) {
    const auto count = read_integer(text, pos);
    if (!count) return std::nullopt;
    size_t end = pos;
    while (end < text.size() && !is_digit(text[end])) ++end;
    const std::string_view suffix = text.substr(pos, end - pos);
    size_t index = rank;
    while (index < std::size(kUnits) && kUnits[index].suffix != suffix) ++index;
    if (index == std::size(kUnits) || !accumulate(total, *count, kUnits[index].nanoseconds)) return std::nullopt;
    rank = index + 1;
    pos = end;
  }
  return Nanoseconds(total);
}

}  // namespace outpost
