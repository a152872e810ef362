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

std::string json_text(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string ordered_json_text(const nlohmann::ordered_json& value) {
  return value.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace outpost
