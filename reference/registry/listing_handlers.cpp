#include <charconv>

#include "reference/oci/media_types.h"
#include "reference/registry/handlers.h"
#include "reference/registry/oci_errors.h"

namespace outpost::registry {

namespace {
constexpr size_t kUnlimited = static_cast<size_t>(-1);

// `n` is optional; absent means "all" (distribution-spec: the registry MAY cap it, we do not).
size_t page_size(const http::Request& request) {
  const auto n = request.query_param("n");
  if (!n) return kUnlimited;
  size_t value = 0;
  auto [end, error] = std::from_chars(n->data(), n->data() + n->size(), value);
  if (n->empty() || error != std::errc() || end != n->data() + n->size())
    throw pagination_invalid("n must be a non-negative integer, got '" + *n + "'");
  return value;
}

// Fetches one item more than the page to learn whether a next page exists; sets the Link header if so.
template <typename Fetch>
std::vector<std::string> paginate(const http::Request& request, std::string_view base_path, http::Response& response,
                                  Fetch fetch) {
  const size_t n = page_size(request);
  const std::string last = request.query_param("last").value_or("");
  if (n == 0) return {};
  std::vector<std::string> items = fetch(last, n == kUnlimited ? kUnlimited : n + 1);
  // n=0 asks for nothing and gets no Link (distribution-spec: "MUST NOT include a Link header").
  if (n != kUnlimited && n > 0 && items.size() > n) {
    items.resize(n);
    // Appended piece by piece: GCC 12 at -O3 reports a false -Wrestrict on a long operator+ chain here.
    std::string link = "<";
    link.append(base_path).append("?last=").append(http::percent_encode(items.back()));
    link.append("&n=").append(std::to_string(n)).append(">; rel=\"next\"");
    response.headers.set("Link", std::move(link));
  }
  return items;
}
}  // namespace

http::Response list_tags(Context& context, const http::Request& request, const Route& route) {
  auto& metadata = *context.storage.metadata;
  if (!metadata.repository_exists(route.repository)) throw name_unknown(route.repository);
  http::Response response = json_response(200, "");
  const auto tags = paginate(request, "/v2/" + route.repository + "/tags/list", response,
                             [&](const std::string& last, size_t limit) { return metadata.tags(route.repository, last, limit); });
  response.body = nlohmann::json{{"name", route.repository}, {"tags", tags}}.dump();
  return response;
}

http::Response list_catalog(Context& context, const http::Request& request) {
  auto& metadata = *context.storage.metadata;
  http::Response response = json_response(200, "");
  const auto repositories = paginate(request, "/v2/_catalog", response, [&](const std::string& last, size_t limit) {
    // Filter to what the requester may read, topping up pages so filtering never ends a listing early.
    std::vector<std::string> visible;
    std::string after = last;
    while (visible.size() < limit) {
      const size_t batch = limit == kUnlimited ? 1000 : std::max<size_t>(limit - visible.size(), 100);
      const auto names = metadata.repositories(after, batch);
      for (const auto& name : names)
        if (visible.size() < limit && context.policy.may_list(request, name)) visible.push_back(name);
      if (names.size() < batch) break;
      after = names.back();
    }
    return visible;
  });
  response.body = nlohmann::json{{"repositories", repositories}}.dump();
  return response;
}

http::Response list_referrers(Context& context, const http::Request& request, const Route& route) {
  const oci::Digest subject = parse_digest_or_throw(route.object);
  // An empty artifactType filters nothing (rather than keeping only referrers without one).
  auto artifact_type = request.query_param("artifactType");
  if (artifact_type && artifact_type->empty()) artifact_type.reset();
  nlohmann::json manifests = nlohmann::json::array();
  for (const auto& record : context.storage.metadata->referrers(route.repository, subject)) {
    if (artifact_type && record.artifact_type != *artifact_type) continue;
    nlohmann::json descriptor = {{"mediaType", record.media_type}, {"digest", record.digest.str()}, {"size", record.size}};
    if (!record.artifact_type.empty()) descriptor["artifactType"] = record.artifact_type;
    if (!record.annotations_json.empty()) descriptor["annotations"] = nlohmann::json::parse(record.annotations_json);
    manifests.push_back(std::move(descriptor));
  }
  const nlohmann::json index = {
      {"schemaVersion", 2}, {"mediaType", std::string(oci::kOciImageIndex)}, {"manifests", manifests}};
  http::Response response = json_response(200, index.dump(), oci::kOciImageIndex);
  if (artifact_type) response.headers.set("OCI-Filters-Applied", "artifactType");
  return response;
}

}  // namespace outpost::registry
