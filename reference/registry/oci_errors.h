#pragma once
// The distribution-spec's error codes (OCI distribution-spec v1.1, "Error Codes"), each with its HTTP status.
#include <string>
#include <string_view>

#include "reference/common/error.h"
#include "reference/common/http.h"

namespace outpost::registry {

// Content whose stored bytes no longer match what was stored (damaged on disk): 500, naming the repair (push it
// again: a push of the right bytes replaces the damaged file), and logged for the operator.
ApiError damaged_content(std::string_view what, const std::string& digest, uint64_t stored_size, uint64_t found_size);
ApiError blob_unknown(std::string_view digest);
ApiError blob_upload_invalid(std::string message);
ApiError blob_upload_unknown(std::string_view id);
ApiError digest_invalid(std::string message);
ApiError manifest_blob_unknown(std::string_view digest);
ApiError manifest_invalid(std::string message);
ApiError manifest_too_large(uint64_t limit);
ApiError manifest_unknown(std::string_view reference);
ApiError name_invalid(std::string_view name);
ApiError name_unknown(std::string_view name);
ApiError size_invalid(std::string message);
ApiError tag_invalid(std::string_view tag);
ApiError range_not_satisfiable(std::string message);
ApiError pagination_invalid(std::string message);
ApiError unsupported(std::string message);
ApiError unsupported_method(http::Method method, std::string_view route);
ApiError route_unknown(std::string_view path);

// Renders an error as a response: JSON body, Content-Type, status.
http::Response error_response(const ApiError& error);

}  // namespace outpost::registry
