#pragma once
// The order tags are listed in. The distribution-spec ("Listing Tags") asks for lexical order, "i.e. case-insensitive
// alphanumeric order": tags compare by their ASCII-lowercased text (tags are ASCII by their grammar), and two tags
// that differ only in case ("V1" and "v1") by their bytes, so the order is total and `last=` pages are exact. Both
// stores list in this order: the memory store's map uses it, SQLite's `COLLATE NOCASE, tag` gives the same.
#include <algorithm>
#include <string_view>

#include "reference/common/ascii.h"

namespace outpost::storage {

constexpr bool tag_less(std::string_view a, std::string_view b) {
  const size_t common = std::min(a.size(), b.size());
  for (size_t i = 0; i < common; ++i) {
    const char x = ascii_lower(a[i]), y = ascii_lower(b[i]);
    // SQLite's NOCASE compares the folded bytes as unsigned, as memcmp does.
    if (x != y) return static_cast<unsigned char>(x) < static_cast<unsigned char>(y);
  }
  if (a.size() != b.size()) return a.size() < b.size();
  return a < b;
}

struct TagOrder {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const { return tag_less(a, b); }
};

}  // namespace outpost::storage
