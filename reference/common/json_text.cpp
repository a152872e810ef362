#include "reference/common/json_text.h"

#include <algorithm>

#include <nlohmann/json.hpp>

namespace outpost {

void append_json_string(std::string& out, std::string_view text) {
  const bool plain = std::all_of(text.begin(), text.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte >= 0x20 && byte < 0x80 && c != '"' && c != '\\';
  });
  if (!plain) {  // escapes and UTF-8 checks: rare in reports, and exactly dump()'s rules
    out += nlohmann::json(std::string(text)).dump();
    return;
  }
  out += '"';
  out += text;
  out += '"';
}

}  // namespace outpost
