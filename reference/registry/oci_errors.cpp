#include "reference/registry/oci_errors.h"

#include "reference/common/log.h"

namespace outpost::registry {

ApiError damaged_content(std::string_view what, const std::string& digest, uint64_t stored_size, uint64_t found_size) {
  const std::string found = stored_size == found_size ? "bytes that do not match its digest"
                                                      : std::to_string(found_size) + " bytes, not the " +
                                                            std::to_string(stored_size) + " stored";
  log::error("stored content is damaged", {{"kind", what}, {"digest", digest}, {"found", found}});
  return ApiError(500, "UNKNOWN",
                  std::string(what) + " " + digest + " is damaged on the registry's disk (it holds " + found +
                      "); pushing it again repairs it",
                  {{"digest", digest}});
}

ApiError blob_unknown(std::string_view digest) {
  return ApiError(404, "BLOB_UNKNOWN", "blob unknown to registry", {{"digest", digest}});
}
ApiError blob_upload_invalid(std::string message) { return ApiError(400, "BLOB_UPLOAD_INVALID", std::move(message)); }
ApiError blob_upload_unknown(std::string_view id) {
  return ApiError(404, "BLOB_UPLOAD_UNKNOWN", "blob upload unknown to registry", {{"uuid", id}});
}
ApiError digest_invalid(std::string message) { return ApiError(400, "DIGEST_INVALID", std::move(message)); }
ApiError manifest_blob_unknown(std::string_view digest) {
  return ApiError(400, "MANIFEST_BLOB_UNKNOWN", "manifest references a blob unknown to this repository",
                  {{"digest", digest}});
}
ApiError manifest_invalid(std::string message) { return ApiError(400, "MANIFEST_INVALID", std::move(message)); }
ApiError manifest_too_large(uint64_t limit) {
  return ApiError(413, "MANIFEST_INVALID", "manifest exceeds the size limit of " + std::to_string(limit) + " bytes",
                  {{"limit", limit}});
}
ApiError manifest_unknown(std::string_view reference) {
  return ApiError(404, "MANIFEST_UNKNOWN", "manifest unknown to registry", {{"reference", reference}});
}
ApiError name_invalid(std::string_view name) {
  return ApiError(400, "NAME_INVALID",
                  "invalid repository name: lowercase letters and digits separated by '.', '_', '__', '-' or '/', "
                  "at most 255 characters",
                  {{"name", name}});
}
ApiError name_unknown(std::string_view name) {
  return ApiError(404, "NAME_UNKNOWN", "repository name not known to registry", {{"name", name}});
}
ApiError size_invalid(std::string message) { return ApiError(400, "SIZE_INVALID", std::move(message)); }
ApiError tag_invalid(std::string_view tag) {
  return ApiError(400, "TAG_INVALID", "invalid tag: [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}", {{"tag", tag}});
}
ApiError range_not_satisfiable(std::string message) {
  return ApiError(416, "BLOB_UPLOAD_INVALID", std::move(message));
}
// The spec's list has no code for a bad `n` (Distribution's PAGINATION_NUMBER_INVALID is not in it, and a JSON error's
// code "MUST be one of" the list): UNSUPPORTED, with a message that names the parameter.
ApiError pagination_invalid(std::string message) { return ApiError(400, "UNSUPPORTED", std::move(message)); }
ApiError unsupported(std::string message) { return ApiError(400, "UNSUPPORTED", std::move(message)); }
ApiError unsupported_method(http::Method method, std::string_view route) {
  return ApiError(405, "UNSUPPORTED", "method " + std::string(http::method_name(method)) + " is not supported on " +
                                          std::string(route));
}
// Under /v2/ the distribution-spec's codes apply, and none names a missing endpoint: UNSUPPORTED. Elsewhere (a
// registry port serves /healthz, /metrics, the token and management APIs) NOT_FOUND, the management API's word.
ApiError route_unknown(std::string_view path) {
  return ApiError(404, path.starts_with("/v2/") ? "UNSUPPORTED" : "NOT_FOUND", "no such endpoint", {{"path", path}});
}

http::Response error_response(const ApiError& error) {
  http::Response response;
  response.status = error.status();
  response.headers.set("Content-Type", "application/json");
  response.body = error.body();
  for (const auto& [name, value] : error.headers()) response.headers.add(name, value);
  return response;
}

}  // namespace outpost::registry
