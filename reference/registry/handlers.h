#pragma once
// The route handlers, grouped by object. Each throws ApiError for the client's mistakes; Registry renders them.
#include <memory>

#include "reference/common/http.h"
#include "reference/registry/context.h"
#include "reference/registry/route.h"

namespace outpost::registry {

// blob_handlers.cpp
http::Response get_blob(Context& context, const http::Request& request, const Route& route);  // GET and HEAD
http::Response delete_blob(Context& context, const Route& route);

// upload_handlers.cpp
std::unique_ptr<http::Call> start_upload(Context& context, const http::Request& request, const Route& route);
std::unique_ptr<http::Call> continue_upload(Context& context, const http::Request& request, const Route& route);

// manifest_handlers.cpp
http::Response get_manifest(Context& context, const http::Request& request, const Route& route);  // GET and HEAD
std::unique_ptr<http::Call> put_manifest(Context& context, const http::Request& request, const Route& route);
http::Response delete_manifest(Context& context, const Route& route);

// listing_handlers.cpp
http::Response list_tags(Context& context, const http::Request& request, const Route& route);
http::Response list_catalog(Context& context, const http::Request& request);
http::Response list_referrers(Context& context, const http::Request& request, const Route& route);

// Shared helpers.
oci::Digest parse_digest_or_throw(std::string_view text);
http::Response json_response(int status, const std::string& body, std::string_view content_type = "application/json");
std::string blob_location(std::string_view repository, const oci::Digest& digest);

}  // namespace outpost::registry
