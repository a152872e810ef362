#include "simulator/world/oci_client.h"

#include <nlohmann/json.hpp>

#include "reference/oci/digest.h"

namespace outpost::sim::world {

namespace {
constexpr int kPage = 1000;
constexpr const char* kManifestTypes =
    "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, "
    "application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json";

constexpr size_t kErrorExcerpt = 200;  // bytes of an error body quoted in a failure's text

std::string failure_text(const http::ClientResult& result, const std::string& what) {
  if (!result.ok()) return what + ": " + result.transport_error;
  return what + ": " + std::to_string(result.response->status) + " " +
         result.response->body.substr(0, kErrorExcerpt);
}

// A pulled blob's bytes, digested as they arrive and then dropped, as a real client streams a layer to disk. Holding
// each blob whole cost a copy per pull, and a backlog of pulls released at once (a paused node resuming) held every
// one of their blobs at the same time: a 4-node world pulling a few hundred per minute peaked near 2 GB.
class DigestingSink final : public http::BodySink {
 public:
  void write(std::string_view piece) override {
    hasher_.update(piece);
    if (excerpt_.size() < kErrorExcerpt) excerpt_.append(piece.substr(0, kErrorExcerpt - excerpt_.size()));
  }
  std::string digest() { return hasher_.finish().str(); }
  // The start of the body, for the failure's text when the answer was an error rather than the blob.
  const std::string& excerpt() const { return excerpt_; }

 private:
  oci::Hasher hasher_;
  std::string excerpt_;
};

// One page of a list endpoint (catalog or tags), as the strings under `key`.
Task<std::optional<std::vector<std::string>>> list_page(OciEndpoint endpoint, std::string path, std::string key,
                                                        std::string last, std::string* error) {
  std::string target = path + "?n=" + std::to_string(kPage);
  if (!last.empty()) target += "&last=" + http::percent_encode(last);
  http::ClientResult result =
      co_await exchange(*endpoint.stop, *endpoint.client,
                        make_request(http::Method::Get, endpoint.authority, target, endpoint.who));
  if (!result.ok() || result.response->status != 200) {
    *error = failure_text(result, "GET " + path);
    co_return std::nullopt;
  }
  std::vector<std::string> names;
  try {
    const auto body = nlohmann::json::parse(result.response->body);
    if (body.contains(key) && body[key].is_array())
      for (const auto& name : body[key]) names.push_back(name.get<std::string>());
  } catch (const std::exception& failure) {
    *error = "GET " + path + ": unreadable answer: " + failure.what();
    co_return std::nullopt;
  }
  co_return names;
}

// GET of a manifest by tag or digest, accepting every manifest type.
Task<http::ClientResult> get_manifest(OciEndpoint endpoint, std::string repository, std::string reference) {
  http::ClientRequest request =
      make_request(http::Method::Get, endpoint.authority, "/v2/" + repository + "/manifests/" + reference, endpoint.who);
  request.headers.set("Accept", kManifestTypes);
  co_return co_await exchange(*endpoint.stop, *endpoint.client, std::move(request));
}

// PUT of a manifest under `tag`: acknowledged on 201.
Task<PushOutcome> put_manifest(OciEndpoint endpoint, std::string repository, std::string tag, std::string body,
                               std::string media_type) {
  PushOutcome outcome;
  http::ClientResult put = co_await exchange(
      *endpoint.stop, *endpoint.client,
      make_request(http::Method::Put, endpoint.authority, "/v2/" + repository + "/manifests/" + tag, endpoint.who,
                   std::move(body), std::move(media_type)));
  outcome.status = put.ok() ? put.response->status : 0;
  outcome.acknowledged = outcome.status == 201;
  if (!outcome.acknowledged) outcome.error = failure_text(put, "manifest PUT " + repository + ":" + tag);
  co_return outcome;
}
}  // namespace

Task<PushOutcome> push_image(OciEndpoint endpoint, std::string repository, std::string tag,
                             std::shared_ptr<const SyntheticImage> image) {
  PushOutcome outcome;
  std::vector<const std::string*> blobs = {&image->config};
  for (const std::string& layer : image->layers) blobs.push_back(&layer);
  for (const std::string* blob : blobs) {
    const std::string target =
        "/v2/" + repository + "/blobs/uploads/?digest=" + oci::digest_of(*blob).str();
    http::ClientResult posted = co_await exchange(
        *endpoint.stop, *endpoint.client,
        make_request(http::Method::Post, endpoint.authority, target, endpoint.who, *blob, "application/octet-stream"));
    outcome.status = posted.ok() ? posted.response->status : 0;
    if (outcome.status != 201) {
      outcome.error = failure_text(posted, "blob upload to " + repository);
      co_return outcome;
    }
  }
  co_return co_await put_manifest(endpoint, repository, tag, image->manifest,
                                  "application/vnd.oci.image.manifest.v1+json");
}

Task<PushOutcome> tag_manifest(OciEndpoint endpoint, std::string repository, std::string digest, std::string tag) {
  PushOutcome outcome;
  http::ClientResult read = co_await get_manifest(endpoint, repository, digest);
  outcome.status = read.ok() ? read.response->status : 0;
  if (outcome.status != 200) {
    outcome.error = failure_text(read, "GET manifest " + repository + "@" + digest);
    co_return outcome;
  }
  // What is tagged is what the push named: bytes that do not match it (which the invariants report) are not sent on.
  if (oci::digest_of(read.response->body).str() != digest) {
    outcome.status = 0;
    outcome.error = "GET manifest " + repository + "@" + digest + ": the bytes do not match the digest";
    co_return outcome;
  }
  std::string media_type(read.response->headers.get("Content-Type").value_or(""));
  co_return co_await put_manifest(endpoint, repository, tag, std::move(read.response->body), std::move(media_type));
}

Task<PullOutcome> pull_image(OciEndpoint endpoint, std::string repository, std::string reference) {
  PullOutcome outcome;
  http::ClientResult manifest = co_await get_manifest(endpoint, repository, reference);
  outcome.status = manifest.ok() ? manifest.response->status : 0;
  if (outcome.status != 200) {
    outcome.error = failure_text(manifest, "GET manifest " + repository + ":" + reference);
    co_return outcome;
  }
  std::vector<std::string> digests;
  try {
    const auto body = nlohmann::json::parse(manifest.response->body);
    if (body.contains("config")) digests.push_back(body["config"].at("digest").get<std::string>());
    if (body.contains("layers"))
      for (const auto& layer : body["layers"]) digests.push_back(layer.at("digest").get<std::string>());
  } catch (const std::exception& failure) {
    outcome.status = 0;
    outcome.error = std::string("unreadable manifest: ") + failure.what();
    co_return outcome;
  }
  // The manifest is checked as its blobs are: against the digest pulled by, or, pulled by tag, the one the registry
  // names for it (as a client pinning what it pulled would), so a node serving other bytes than it names is caught.
  bool verified = true;
  const std::string named = reference.find(':') != std::string::npos
                                ? reference
                                : std::string(manifest.response->headers.get("Docker-Content-Digest").value_or(""));
  const auto expected = oci::Digest::parse(named);
  if (!expected || oci::digest_of(manifest.response->body, expected->algorithm()) != *expected) {
    verified = false;
    outcome.error = "manifest " + repository + ":" + reference + " does not match the digest " +
                    (named.empty() ? std::string("(none named)") : named);
  }
  for (const std::string& digest : digests) {
    auto sink = std::make_shared<DigestingSink>();
    http::ClientResult blob = co_await exchange(
        *endpoint.stop, *endpoint.client,
        make_request(http::Method::Get, endpoint.authority, "/v2/" + repository + "/blobs/" + digest, endpoint.who),
        sink);
    const int status = blob.ok() ? blob.response->status : 0;
    if (status != 200) {
      outcome.status = status;
      if (blob.ok() && blob.response->body.empty()) blob.response->body = sink->excerpt();
      outcome.error = failure_text(blob, "GET blob " + digest);
      co_return outcome;
    }
    if (sink->digest() != digest) {
      verified = false;
      outcome.error = "blob " + digest + " of " + repository + " does not match its digest";
    }
  }
  outcome.verified = verified;
  co_return outcome;
}

Task<ContentRead> read_content(OciEndpoint endpoint) {
  ContentRead read;
  std::vector<std::string> repositories;
  for (std::string last;;) {
    auto page = co_await list_page(endpoint, "/v2/_catalog", "repositories", last, &read.error);
    if (!page) co_return read;
    repositories.insert(repositories.end(), page->begin(), page->end());
    if (page->size() < static_cast<size_t>(kPage)) break;
    last = page->back();
  }
  for (const std::string& repository : repositories) {
    std::vector<std::string> tags;
    for (std::string last;;) {
      auto page = co_await list_page(endpoint, "/v2/" + repository + "/tags/list", "tags", last, &read.error);
      if (!page) co_return read;
      tags.insert(tags.end(), page->begin(), page->end());
      if (page->size() < static_cast<size_t>(kPage)) break;
      last = page->back();
    }
    auto& entry = read.content[repository];
    for (const std::string& tag : tags) {
      auto digest = co_await manifest_digest(endpoint, repository, tag);
      if (!digest) {
        read.error = "HEAD " + repository + ":" + tag + ": no answer";
        co_return read;
      }
      if (!digest->empty()) entry[tag] = *digest;
    }
    if (entry.empty()) read.content.erase(repository);  // a repository with no tag holds nothing to compare
  }
  read.ok = true;
  co_return read;
}

Task<int> delete_manifest(OciEndpoint endpoint, std::string repository, std::string reference) {
  http::ClientRequest request = make_request(http::Method::Delete, endpoint.authority,
                                             "/v2/" + repository + "/manifests/" + reference, endpoint.who);
  http::ClientResult result = co_await exchange(*endpoint.stop, *endpoint.client, std::move(request));
  co_return result.ok() ? result.response->status : 0;
}

Task<std::optional<std::string>> manifest_digest(OciEndpoint endpoint, std::string repository, std::string reference) {
  http::ClientRequest request =
      make_request(http::Method::Head, endpoint.authority, "/v2/" + repository + "/manifests/" + reference, endpoint.who);
  request.headers.set("Accept", kManifestTypes);
  http::ClientResult result = co_await exchange(*endpoint.stop, *endpoint.client, std::move(request));
  if (!result.ok()) co_return std::nullopt;
  if (result.response->status != 200) co_return std::string();
  co_return std::string(result.response->headers.get("Docker-Content-Digest").value_or(""));
}

}  // namespace outpost::sim::world
