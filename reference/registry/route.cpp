#include "reference/registry/route.h"

#include <array>
#include <vector>

#include "reference/oci/name.h"
#include "reference/oci/reference.h"
#include "reference/registry/oci_errors.h"

namespace outpost::registry {

namespace {
using http::Method;

std::vector<std::string_view> split_segments(std::string_view path) {
  std::vector<std::string_view> segments;
  size_t start = 0;
  while (start <= path.size()) {
    const size_t slash = path.find('/', start);
    const size_t end = slash == std::string_view::npos ? path.size() : slash;
    segments.push_back(path.substr(start, end - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return segments;
}

bool allowed(Method method, std::initializer_list<Method> methods) {
  for (Method m : methods)
    if (m == method) return true;
  return false;
}

// The repository is everything between "/v2/" and the route's suffix; repository names may themselves contain
// "blobs" or "manifests" segments, so suffixes are matched from the end.
std::string join(const std::vector<std::string_view>& segments, size_t first, size_t last) {
  std::string name;
  for (size_t i = first; i < last; ++i) {
    if (i > first) name.push_back('/');
    name.append(segments[i]);
  }
  return name;
}

bool names_a_repository(RouteKind kind) {
  switch (kind) {
    case RouteKind::TagList:
    case RouteKind::Manifest:
    case RouteKind::Blob:
    case RouteKind::UploadStart:
    case RouteKind::Upload:
    case RouteKind::Referrers:
      return true;
    case RouteKind::Base:
    case RouteKind::Catalog:
    case RouteKind::Healthz:
    case RouteKind::Readyz:
    case RouteKind::Metrics:
    case RouteKind::NotFound:
      return false;
  }
  return false;
}

Route finish(Route route, const http::Request& request, std::initializer_list<Method> methods) {
  if (!allowed(request.method, methods)) {
    // A 405 names the methods the resource has (RFC 9110 15.5.6: the server must send Allow).
    std::string allow;
    for (Method m : methods) allow += (allow.empty() ? "" : ", ") + std::string(http::method_name(m));
    throw unsupported_method(request.method, route.label).with_header("Allow", allow);
  }
  // Every route under /v2/<name>/ names a repository, and an empty one is invalid like any other bad name:
  // "/v2//manifests/v1" must not write to a repository called "" (the catalog would never list it).
  if (names_a_repository(route.kind) && !oci::valid_repository_name(route.repository))
    throw name_invalid(route.repository);
  return route;
}
}  // namespace

Route match_route(const http::Request& request) {
  const std::string_view path = request.path;
  const Method method = request.method;
  Route route;
  if (path == "/healthz") return finish({RouteKind::Healthz, "", "", Access::None, false, {}, "healthz"}, request,
                                        {Method::Get, Method::Head});
  if (path == "/readyz") return finish({RouteKind::Readyz, "", "", Access::None, false, {}, "readyz"}, request,
                                       {Method::Get, Method::Head});
  if (path == "/metrics") return finish({RouteKind::Metrics, "", "", Access::Metrics, false, {}, "metrics"}, request,
                                        {Method::Get});
  if (path == "/v2" || path == "/v2/")
    return finish({RouteKind::Base, "", "", Access::AnyCredentials, false, {}, "base"}, request,
                  {Method::Get, Method::Head});
  if (path == "/v2/_catalog")
    return finish({RouteKind::Catalog, "", "", Access::Catalog, false, {}, "catalog"}, request, {Method::Get});
  if (!path.starts_with("/v2/")) return {RouteKind::NotFound, "", "", Access::None, false, {}, "not_found"};

  std::vector<std::string_view> s = split_segments(path.substr(4));
  // "/v2/<name>/blobs/uploads/" ends with an empty segment: the upload-start route.
  const size_t n = s.size();
  auto name_before = [&](size_t suffix) { return join(s, 0, n - suffix); };

  if (n >= 3 && s[n - 2] == "tags" && s[n - 1] == "list") {
    return finish({RouteKind::TagList, name_before(2), "", Access::ContentOrMetadataRead, false, {}, "tags_list"},
                  request, {Method::Get});
  }
  if (n >= 4 && s[n - 3] == "blobs" && s[n - 2] == "uploads") {
    if (s[n - 1].empty()) {
      route = {RouteKind::UploadStart, name_before(3), "", Access::ContentWrite, true, {}, "upload_start"};
      route = finish(std::move(route), request, {Method::Post});
      if (auto from = request.query_param("from"); from && request.query_param("mount")) route.mount_source = *from;
      return route;
    }
    const std::string id(s[n - 1]);
    return finish({RouteKind::Upload, name_before(3), id, Access::ContentWrite, true, {}, "upload"}, request,
                  {Method::Get, Method::Head, Method::Patch, Method::Put, Method::Delete});
  }
  if (n >= 3 && s[n - 2] == "blobs" && s[n - 1] == "uploads") {
    route = finish({RouteKind::UploadStart, name_before(2), "", Access::ContentWrite, true, {}, "upload_start"},
                   request, {Method::Post});
    if (auto from = request.query_param("from"); from && request.query_param("mount")) route.mount_source = *from;
    return route;
  }
  if (n >= 3 && s[n - 2] == "blobs" && !s[n - 1].empty()) {
    route = {RouteKind::Blob, name_before(2), std::string(s[n - 1]), Access::ContentRead, false, {}, "blob"};
    if (method == Method::Delete) route.access = Access::ContentDelete, route.is_write = true;
    return finish(std::move(route), request, {Method::Get, Method::Head, Method::Delete});
  }
  if (n >= 3 && s[n - 2] == "manifests" && !s[n - 1].empty()) {
    route = {RouteKind::Manifest, name_before(2), std::string(s[n - 1]), Access::ContentRead, false, {}, "manifest"};
    if (method == Method::Put) {
      route.access = Access::ContentWrite, route.is_write = true;
    } else if (method == Method::Delete) {
      // Deleting by digest removes content; deleting by tag only untags (SPEC 3.6).
      const bool by_digest = route.object.find(':') != std::string::npos;
      route.access = by_digest ? Access::ContentDelete : Access::MetadataWrite;
      route.is_write = true;
    }
    return finish(std::move(route), request, {Method::Get, Method::Head, Method::Put, Method::Delete});
  }
  if (n >= 3 && s[n - 2] == "referrers" && !s[n - 1].empty()) {
    return finish({RouteKind::Referrers, name_before(2), std::string(s[n - 1]), Access::ContentOrMetadataRead, false,
                   {}, "referrers"},
                  request, {Method::Get});
  }
  return {RouteKind::NotFound, "", "", Access::None, false, {}, "not_found"};
}

}  // namespace outpost::registry
