#include "simulator/check/request.h"

#include <vector>

#include "reference/oci/name.h"

namespace outpost::check {

namespace {
std::vector<std::string_view> segments_of(std::string_view path) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    const size_t slash = path.find('/', start);
    out.push_back(path.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
    if (slash == std::string_view::npos) return out;
    start = slash + 1;
  }
}

std::string joined(const std::vector<std::string_view>& parts, size_t count) {
  std::string out;
  for (size_t i = 0; i < count; ++i) {
    if (i) out.push_back('/');
    out.append(parts[i]);
  }
  return out;
}

Request with(Operation operation, std::string repository = {}) {
  Request request;
  request.operation = operation;
  request.repository = std::move(repository);
  return request;
}

// Repository routes, matched from the end: a repository name may itself hold "blobs" or "manifests" segments.
Request classify_repository_route(http::Method method, std::string_view rest, const http::Request& query) {
  using http::Method;
  const auto s = segments_of(rest);
  const size_t n = s.size();
  auto repository = [&](size_t suffix) { return joined(s, n - suffix); };
  auto valid = [](const Request& request) {
    return oci::valid_repository_name(request.repository) ? request : with(Operation::Unrouted);
  };
  if (n >= 3 && s[n - 2] == "tags" && s[n - 1] == "list" && method == Method::Get)
    return valid(with(Operation::ListTags, repository(2)));
  const bool upload_start = (n >= 4 && s[n - 3] == "blobs" && s[n - 2] == "uploads" && s[n - 1].empty()) ||
                            (n >= 3 && s[n - 2] == "blobs" && s[n - 1] == "uploads");
  if (upload_start && method == Method::Post) {
    Request request = with(Operation::Upload, repository(s[n - 1].empty() ? 3 : 2));
    const auto from = query.query_param("from");
    // SPEC 3.6: a mount names its source with from=, and only a repository can lend a blob.
    if (query.query_param("mount") && from && oci::valid_repository_name(*from)) {
      request.operation = Operation::Mount;
      request.mount_source = *from;
    }
    return valid(request);
  }
  if (n >= 4 && s[n - 3] == "blobs" && s[n - 2] == "uploads" && !s[n - 1].empty() &&
      (method == Method::Get || method == Method::Head || method == Method::Patch || method == Method::Put ||
       method == Method::Delete))
    return valid(with(Operation::Upload, repository(3)));
  if (n >= 3 && s[n - 2] == "blobs" && !s[n - 1].empty()) {
    if (method == Method::Get || method == Method::Head) return valid(with(Operation::PullBlob, repository(2)));
    if (method == Method::Delete) return valid(with(Operation::DeleteBlob, repository(2)));
  }
  if (n >= 3 && s[n - 2] == "manifests" && !s[n - 1].empty()) {
    if (method == Method::Get || method == Method::Head) return valid(with(Operation::PullManifest, repository(2)));
    if (method == Method::Put) return valid(with(Operation::PushManifest, repository(2)));
    if (method == Method::Delete) {
      // SPEC 3.6: by digest (algorithm:hex) deletes content, by tag only untags.
      const bool by_digest = s[n - 1].find(':') != std::string_view::npos;
      return valid(with(by_digest ? Operation::DeleteManifest : Operation::Untag, repository(2)));
    }
  }
  if (n >= 3 && s[n - 2] == "referrers" && !s[n - 1].empty() && method == Method::Get)
    return valid(with(Operation::Referrers, repository(2)));
  return with(Operation::Unrouted);
}

// docs/protocol.md, "Who may call what": activate config/write, config and inventory config/read, messages
// message/read, status message/write.
Request classify_gateway(http::Method method, std::string_view rest) {
  // "<cr>/<operation>": two segments, the first not empty. (Split by hand: every agent's every call comes here.)
  const size_t slash = rest.find('/');
  if (slash == std::string_view::npos || slash == 0 || rest.find('/', slash + 1) != std::string_view::npos)
    return with(Operation::Unrouted);
  Request request = with(Operation::Gateway);
  request.gateway_cr = std::string(rest.substr(0, slash));
  const std::string_view op = rest.substr(slash + 1);
  const bool get = method == http::Method::Get, post = method == http::Method::Post;
  if (op == "activate" && post)
    request.gateway_needs = {GatewayRights::kConfigWrite};
  else if ((op == "config" || op == "inventory") && get)
    request.gateway_needs = {GatewayRights::kConfigRead};
  else if (op == "messages" && get)
    request.gateway_needs = {GatewayRights::kMessageRead};
  else if (op == "status" && post)
    request.gateway_needs = {GatewayRights::kMessageWrite};
  else
    return with(Operation::Unrouted);
  return request;
}
}  // namespace

std::string_view to_string(Operation operation) {
  switch (operation) {
    case Operation::Probe: return "probe";
    case Operation::Ping: return "ping";
    case Operation::PullManifest: return "pull manifest";
    case Operation::PullBlob: return "pull blob";
    case Operation::Upload: return "upload";
    case Operation::PushManifest: return "push manifest";
    case Operation::Mount: return "mount";
    case Operation::DeleteBlob: return "delete blob";
    case Operation::DeleteManifest: return "delete manifest";
    case Operation::Untag: return "untag";
    case Operation::ListTags: return "list tags";
    case Operation::Referrers: return "referrers";
    case Operation::Catalog: return "catalog";
    case Operation::Metrics: return "metrics";
    case Operation::Management: return "management";
    case Operation::Gateway: return "gateway";
    case Operation::TokenExchange: return "token exchange";
    case Operation::Unrouted: return "unrouted";
  }
  return "?";
}

bool Request::is_write() const {
  switch (operation) {
    case Operation::Upload:
    case Operation::PushManifest:
    case Operation::Mount:
    case Operation::DeleteBlob:
    case Operation::DeleteManifest:
    case Operation::Untag: return true;
    default: return false;
  }
}

bool Request::names_repository() const { return !repository.empty(); }

Request classify(http::Method method, std::string_view path, std::string_view query) {
  using http::Method;
  if (path == "/healthz" || path == "/readyz") return with(Operation::Probe);
  if (path == "/metrics" && method == Method::Get) return with(Operation::Metrics);
  if (path == "/oauth2/token" || path == "/acr/oauth2/token") return with(Operation::TokenExchange);
  if (path.starts_with("/mgmt/v1/") || path == "/mgmt/v1") return with(Operation::Management);
  if (path.starts_with("/gateway/v1/")) return classify_gateway(method, path.substr(12));
  if ((path == "/v2/" || path == "/v2") && (method == Method::Get || method == Method::Head))
    return with(Operation::Ping);
  if (path == "/v2/_catalog" && method == Method::Get) return with(Operation::Catalog);
  if (path.starts_with("/v2/")) {
    http::Request parsed;  // only for its query-parameter decoding
    parsed.query = std::string(query);
    return classify_repository_route(method, path.substr(4), parsed);
  }
  return with(Operation::Unrouted);
}

}  // namespace outpost::check
