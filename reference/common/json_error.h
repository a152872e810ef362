#pragma once
// What a nlohmann::json exception says, for a client. Its messages start with "[json.exception.parse_error.101] ", the
// library's own reference, of no use to whoever sent the bad JSON; the rest says what and where. Any other exception
// (JsonTooDeep, from reference/common/json_depth.h) is told as it is.
#include <exception>
#include <string>
#include <string_view>

namespace outpost {

inline std::string json_error_message(const std::exception& error) {
  std::string_view message = error.what();
  if (message.starts_with("[json.exception."))
    if (const size_t end = message.find("] "); end != std::string_view::npos) message.remove_prefix(end + 2);
  return std::string(message);
}

}  // namespace outpost
