#include "reference/registry/auth/node_handler.h"

#include "reference/common/log.h"
#include "reference/registry/oci_errors.h"

namespace outpost::registry {

namespace {
// A management call that reports its success once answered.
class NotifyingCall final : public http::Call {
 public:
  NotifyingCall(std::unique_ptr<http::Call> inner, std::function<void()> notify)
      : inner_(std::move(inner)), notify_(std::move(notify)) {}
  bool on_body(std::string_view piece) override { return inner_->on_body(piece); }
  http::Response finish() override {
    http::Response response = inner_->finish();
    if (response.status < 300) notify_();
    return response;
  }
  bool decided() const override { return inner_->decided(); }

 private:
  std::unique_ptr<http::Call> inner_;
  std::function<void()> notify_;
};
}  // namespace

NodeHandler::NodeHandler(http::Handler& registry, TokenEndpoint& tokens, TokenAccessPolicy& policy,
                         control::ManagementApi* management, http::Handler* gateway)
    : registry_(registry), tokens_(tokens), policy_(policy), management_(management), gateway_(gateway) {}

bool NodeHandler::is_management(std::string_view path) {
  const std::string_view prefix = control::ManagementApi::kPrefix;  // "/mgmt/v1/"
  return path.starts_with(prefix) || path == prefix.substr(0, prefix.size() - 1);
}

std::unique_ptr<http::Call> NodeHandler::start(http::Request request) {
  if (TokenEndpoint::serves(request.path)) return tokens_.start(std::move(request));
  if (gateway_ != nullptr && request.path.starts_with("/gateway/")) return gateway_->start(std::move(request));
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
    auto call = management_->start(request);
    if (!after_management_change || request.method == http::Method::Get || request.method == http::Method::Head)
      return call;
    return std::make_unique<NotifyingCall>(std::move(call), after_management_change);
  }
  if (management_ == nullptr && is_management(request.path)) {
    // A connected registry, or the cloud's data endpoint: the management API lives only on the cloud's login server
    // (SPEC 7.2). Said so, rather than "no such endpoint", to a client pointed at the wrong node.
    http::Response response = error_response(ApiError(
        404, "NOT_FOUND",
        "the management API is served only by the cloud registry's login server, not at this address (a "
        "connected registry, or the cloud's data endpoint): point --registry (or OUTPOST_REGISTRY) at the cloud's "
        "login server",
        {{"path", request.path}}));
    response.route = "mgmt_unknown";
    return http::respond_now(std::move(response));
  }
  return registry_.start(std::move(request));
}

}  // namespace outpost::registry
