#include "reference/registry/registry.h"

#include "reference/common/log.h"
#include "reference/oci/digest.h"
#include "reference/registry/handlers.h"
#include "reference/registry/oci_errors.h"
#include "reference/registry/route.h"
#include "reference/storage/space_budget.h"

namespace outpost::registry {

namespace {
// Turns anything a handler throws, while the body streams in or at finish, into an error response, so the transport
// only ever sees responses.
http::Response to_response(std::exception_ptr failure) {
  try {
    std::rethrow_exception(failure);
  } catch (const ApiError& error) {
    return error_response(error);
  } catch (const storage::UnknownUpload& error) {
    return error_response(blob_upload_unknown(error.what()));
  } catch (const storage::OutOfSpace& error) {
    // No OCI error code names a full disk. 507 Insufficient Storage (RFC 4918) says the registry's space, not the
    // request, is at fault, so a client (a child's sync agent too) retries later; nothing stored was lost.
    log::warn("request refused: storage full", {{"error", error.what()}});
    return error_response(ApiError(507, "UNKNOWN", std::string("insufficient storage: ") + error.what()));
  } catch (const std::exception& error) {
    log::error("request failed", {{"error", error.what()}});
    return error_response(ApiError(500, "UNKNOWN", std::string("internal error: ") + error.what()));
  }
}

class GuardedCall final : public http::Call {
 public:
  GuardedCall(std::unique_ptr<http::Call> inner, std::string_view label) : inner_(std::move(inner)), label_(label) {}
  bool on_body(std::string_view piece) override {
    if (failure_) return false;
    try {
      return inner_->on_body(piece);
    } catch (...) {
      failure_ = std::current_exception();
      return false;
    }
  }
  http::Response finish() override {
    http::Response response;
    if (failure_) {
      response = to_response(failure_);
    } else {
      try {
        response = inner_->finish();
      } catch (...) {
        response = to_response(std::current_exception());
      }
    }
    response.route = std::string(label_);
    return response;
  }
  bool decided() const override { return inner_->decided(); }

 private:
  std::unique_ptr<http::Call> inner_;
  std::string_view label_;
  std::exception_ptr failure_;
};

http::Response plain(int status, std::string body) {
  http::Response response;
  response.status = status;
  response.headers.set("Content-Type", "text/plain; charset=utf-8");
  response.body = std::move(body);
  return response;
}
}  // namespace

Registry::Registry(storage::Storage& storage, const Clock& clock, Random& random, AccessPolicy& policy,
                   RegistryOptions options)
    : options_(std::move(options)), context_{storage, clock, random, policy, options_, upload_leases_, change_order_} {}

std::unique_ptr<http::Call> Registry::start(http::Request request) {
  std::string_view label = "unrouted";
  std::unique_ptr<http::Call> call;
  try {
    const Route route = match_route(request);
    label = route.label;
    context_.policy.authorize(request, route);
    call = dispatch(request, route);
  } catch (...) {
    call = http::respond_now(to_response(std::current_exception()));
  }
  return std::make_unique<GuardedCall>(std::move(call), label);
}

std::unique_ptr<http::Call> Registry::dispatch(const http::Request& request, const Route& route) {
  using http::Method;
  switch (route.kind) {
    case RouteKind::Healthz:
      return http::respond_now(plain(200, "ok\n"));
    case RouteKind::Readyz:
      if (options_.ready && !options_.ready()) {
        const std::string why = options_.not_ready_reason ? options_.not_ready_reason() : std::string();
        return http::respond_now(plain(503, why.empty() ? "not ready\n" : "not ready: " + why + "\n"));
      }
      return http::respond_now(plain(200, "ready\n"));
    case RouteKind::Metrics:
      if (!options_.metrics_text) throw route_unknown(request.path);
      return http::respond_now(json_response(200, options_.metrics_text(), "text/plain; version=0.0.4"));
    case RouteKind::Base: {
      auto response = json_response(200, "{}");
      response.headers.set("Docker-Distribution-API-Version", "registry/2.0");
      return http::respond_now(std::move(response));
    }
    case RouteKind::Catalog:
      return http::respond_now(list_catalog(context_, request));
    case RouteKind::TagList:
      return http::respond_now(list_tags(context_, request, route));
    case RouteKind::Referrers:
      return http::respond_now(list_referrers(context_, request, route));
    case RouteKind::Blob:
      if (request.method == Method::Delete) return http::respond_now(delete_blob(context_, route));
      return http::respond_now(get_blob(context_, request, route));
    case RouteKind::UploadStart:
      return start_upload(context_, request, route);
    case RouteKind::Upload:
      return continue_upload(context_, request, route);
    case RouteKind::Manifest:
      if (request.method == Method::Put) return put_manifest(context_, request, route);
      if (request.method == Method::Delete) return http::respond_now(delete_manifest(context_, route));
      return http::respond_now(get_manifest(context_, request, route));
    case RouteKind::NotFound:
      break;
  }
  throw route_unknown(request.path);
}

oci::Digest parse_digest_or_throw(std::string_view text) {
  if (auto digest = oci::Digest::parse(text)) return *digest;
  if (text.starts_with("sha256:") || text.starts_with("sha512:"))
    throw ApiError(400, "DIGEST_INVALID",
                   "invalid digest: sha256 takes 64 and sha512 128 lowercase hex digits after the colon",
                   {{"digest", text}});
  if (oci::Digest::well_formed(text))
    throw ApiError(400, "DIGEST_INVALID", "unsupported digest algorithm (sha256 and sha512 are supported)",
                   {{"digest", text}});
  throw ApiError(400, "DIGEST_INVALID", "invalid digest: expected algorithm:hex, e.g. sha256:<64 hex digits>",
                 {{"digest", text}});
}

http::Response json_response(int status, const std::string& body, std::string_view content_type) {
  http::Response response;
  response.status = status;
  response.headers.set("Content-Type", std::string(content_type));
  response.body = body;
  return response;
}

std::string blob_location(std::string_view repository, const oci::Digest& digest) {
  return "/v2/" + std::string(repository) + "/blobs/" + digest.str();
}

}  // namespace outpost::registry
