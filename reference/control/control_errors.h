#pragma once
// The management API's error codes (SPEC 7.2), each with its HTTP status. Messages say what was wrong and what is
// allowed, since they are what an operator reads in the CLI's output.
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "reference/common/error.h"

namespace outpost::control {

ApiError invalid_request(std::string message, nlohmann::json detail = nullptr);  // 400 INVALID_REQUEST
ApiError denied(std::string message, nlohmann::json detail = nullptr);           // 403 DENIED
ApiError not_found(std::string message, nlohmann::json detail = nullptr);        // 404 NOT_FOUND
ApiError conflict(std::string message, nlohmann::json detail = nullptr);         // 409 CONFLICT
ApiError limit_exceeded(std::string message, nlohmann::json detail = nullptr);   // 409 LIMIT_EXCEEDED

// A name as the messages quote it: 'name'.
std::string in_quotes(std::string_view text);

}  // namespace outpost::control
