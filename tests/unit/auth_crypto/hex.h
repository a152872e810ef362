#pragma once
// Lowercase hex of raw bytes, as known-answer vectors are written.
#include <string>

namespace outpost::testing {

inline std::string hex(const std::string& bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

}  // namespace outpost::testing
