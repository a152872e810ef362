#include "reference/registry/auth/node_handler.h"

#include "reference/common/log.h"
#include "reference/registry/oci_errors.h"

namespace outpost::registry {

NodeHandler::NodeHandler(http::Handler& registry, TokenEndpoint& tokens, TokenAccessPolicy& policy,
                         control::ManagementApi* management)
    : registry_(registry), tokens_(tokens), policy_(policy), management_(management) {}

bool NodeHandler::is_management(std::string_view path) {
  const std::string_view prefix = control::ManagementApi::kPrefix;  // "/mgmt/v1/"
  return path.starts_with(prefix) || path == prefix.substr(0, prefix.size() - 1);
}

std::unique_ptr<http::Call> NodeHandler::start(http::Request request) {
  if (TokenEndpoint::serves(request.path)) return tokens_.start(std::move(request));
  if (management_ != nullptr && is_management(request.path)) {
    try {
      policy_.authorize_management(request);
    } catch (const ApiError& error) {
      http::Response response = error_response(error);
      response.route = "management";
      return http::respond_now(std::move(response));
    } catch (const std::exception& error) {
      log::error("management authorization failed", {{"error", error.what()}});
      http::Response response =
          error_response(ApiError(500, "UNKNOWN", std::string("internal error: ") + error.what()));
      response.route = "management";
      return http::respond_now(std::move(response));
    }
    return management_->start(request);
  }
  return registry_.start(std::move(request));
}

}  // namespace outpost::registry
