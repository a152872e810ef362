#include "reference/common/error.h"

namespace outpost {

std::string ApiError::body() const {
  nlohmann::json error = {{"code", code_}, {"message", what()}};
  if (!detail_.is_null()) error["detail"] = detail_;
  return nlohmann::json{{"errors", nlohmann::json::array({error})}}.dump();
}

}  // namespace outpost
