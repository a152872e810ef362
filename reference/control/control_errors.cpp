#include "reference/control/control_errors.h"

namespace outpost::control {

ApiError invalid_request(std::string message, nlohmann::json detail) {
  return ApiError(400, "INVALID_REQUEST", std::move(message), std::move(detail));
}
ApiError denied(std::string message, nlohmann::json detail) {
  return ApiError(403, "DENIED", std::move(message), std::move(detail));
}
ApiError not_found(std::string message, nlohmann::json detail) {
  return ApiError(404, "NOT_FOUND", std::move(message), std::move(detail));
}
ApiError conflict(std::string message, nlohmann::json detail) {
  return ApiError(409, "CONFLICT", std::move(message), std::move(detail));
}
ApiError limit_exceeded(std::string message, nlohmann::json detail) {
  return ApiError(409, "LIMIT_EXCEEDED", std::move(message), std::move(detail));
}

std::string in_quotes(std::string_view text) { return "'" + std::string(text) + "'"; }

}  // namespace outpost::control
