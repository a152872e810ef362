#pragma once
// Numbers on the command line are decimal. CLI11 converts an integer option with strtoull / strtoll in base 0 and a
// real one with strtod, so "010" was read as 8 (`--seed 010` ran seed 8, `--expiration-in-days 030` gave 24 days)
// and "0x10" as 16. These transforms go first on an option (CLI::Option::transform puts them before its checks), so
// the conversion and the option's range check see plain decimal text. Header-only: `outpost sim` uses them too and
// links none of the live commands.
#include <string>

#include "CLI/CLI.hpp"

namespace outpost::cli {

namespace decimal_detail {
inline bool all_digits(const std::string& text, size_t from) {
  if (from >= text.size()) return false;
  for (size_t i = from; i < text.size(); ++i)
    if (text[i] < '0' || text[i] > '9') return false;
  return true;
}
// From `from` on: "0010" -> "10", "000" -> "0", "00.5" -> "0.5" (a zero followed by a digit goes).
inline void strip_leading_zeros(std::string& text, size_t from) {
  size_t end = from;
  while (end + 1 < text.size() && text[end] == '0' && text[end + 1] >= '0' && text[end + 1] <= '9') ++end;
  text.erase(from, end - from);
}
}  // namespace decimal_detail

// A whole number in decimal digits, leading zeros dropped; with `negative_allowed`, a leading '-' is kept for the
// option's own range check to name ("--expiration-in-days must be between 1 and 36500, not -3").
inline CLI::Validator decimal_whole_number(bool negative_allowed = false) {
  return CLI::Validator(
      [negative_allowed](std::string& text) {
        const size_t from = negative_allowed && text.starts_with('-') ? 1 : 0;
        if (!decimal_detail::all_digits(text, from))
          return "'" + text + "' is not a whole number in decimal digits";
        decimal_detail::strip_leading_zeros(text, from);
        return std::string();
      },
      "", "DECIMAL");
}

// Seconds as decimal digits with an optional fraction ("3600", "0.5"), leading zeros dropped: no sign, exponent, hex,
// "inf" or "nan", so a period is never negative or not a number.
inline CLI::Validator decimal_seconds() {
  return CLI::Validator(
      [](std::string& text) {
        const size_t dot = text.find('.');
        const std::string whole = text.substr(0, dot);
        const bool fraction_ok = dot == std::string::npos || decimal_detail::all_digits(text, dot + 1);
        if (!decimal_detail::all_digits(whole, 0) || !fraction_ok)
          return "'" + text + "' is not a number of seconds (decimal digits, e.g. 3600 or 0.5)";
        decimal_detail::strip_leading_zeros(text, 0);
        return std::string();
      },
      "", "SECONDS");
}

}  // namespace outpost::cli
