#include "reference/common/error.h"

#include "reference/common/json_text.h"

namespace outpost {

std::string ApiError::body() const {
  nlohmann::json error = {{"code", code_}, {"message", message_}};
  if (!detail_.is_null()) error["detail"] = detail_;
  // A message or detail may quote what the client sent, bytes that are not UTF-8 included (a manifest's parse error
  // shows the bytes it stopped at): those become U+FFFD here rather than making the error itself fail (a 500).
  return json_text(nlohmann::json{{"errors", nlohmann::json::array({error})}});
}

}  // namespace outpost
