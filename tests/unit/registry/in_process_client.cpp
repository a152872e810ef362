#include "tests/unit/registry/in_process_client.h"

#include <nlohmann/json.hpp>

namespace outpost::testing {

std::string Reply::error_code() const {
  try {
    const auto json = nlohmann::json::parse(body);
    return json.at("errors").at(0).at("code").get<std::string>();
  } catch (const std::exception&) {
    return "";
  }
}

Reply InProcessClient::send(http::Method method, const std::string& target, const std::string& body,
                            http::Headers headers, size_t piece_size) {
  http::Request request;
  request.method = method;
  request.target = target;
  const size_t question = target.find('?');
  request.path = http::percent_decode(target.substr(0, question));
  if (question != std::string::npos) request.query = target.substr(question + 1);
  request.headers = std::move(headers);
  // A body sent "Transfer-Encoding: chunked" has no length up front, as over HTTP.
  const bool chunked = request.headers.get("Transfer-Encoding").value_or("") == "chunked";
  if ((method == http::Method::Put || method == http::Method::Post || method == http::Method::Patch) && !chunked)
    request.content_length = body.size();
  request.remote_address = "127.0.0.1:1";

  auto call = handler_.start(std::move(request));
  for (size_t offset = 0; offset < body.size(); offset += piece_size)
    if (!call->on_body(std::string_view(body).substr(offset, piece_size))) break;
  http::Response response = call->finish();

  Reply reply{response.status, response.headers, response.body, response.route};
  if (response.stream) {
    reply.body.clear();
    char buffer[8192];
    while (size_t n = response.stream->read(buffer)) reply.body.append(buffer, n);
  }
  return reply;
}

oci::Digest InProcessClient::push_blob(const std::string& repository, const std::string& bytes) {
  const oci::Digest digest = oci::digest_of(bytes);
  const Reply reply = send(http::Method::Post, "/v2/" + repository + "/blobs/uploads/?digest=" + digest.str(), bytes);
  if (reply.status != 201) throw std::runtime_error("push_blob failed: " + std::to_string(reply.status) + " " + reply.body);
  return digest;
}

std::string InProcessClient::push_image(const std::string& repository, const std::string& reference,
                                        const std::string& config, const std::vector<std::string>& layers,
                                        oci::Digest* manifest_digest) {
  auto descriptor = [](const std::string& media_type, const std::string& bytes) {
    return nlohmann::json{{"mediaType", media_type}, {"digest", oci::digest_of(bytes).str()}, {"size", bytes.size()}};
  };
  push_blob(repository, config);
  nlohmann::json manifest = {{"schemaVersion", 2},
                             {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                             {"config", descriptor("application/vnd.oci.image.config.v1+json", config)},
                             {"layers", nlohmann::json::array()}};
  for (const auto& layer : layers) {
    push_blob(repository, layer);
    manifest["layers"].push_back(descriptor("application/vnd.oci.image.layer.v1.tar", layer));
  }
  const std::string bytes = manifest.dump();
  http::Headers headers;
  headers.set("Content-Type", "application/vnd.oci.image.manifest.v1+json");
  const Reply reply = send(http::Method::Put, "/v2/" + repository + "/manifests/" + reference, bytes, headers);
  if (reply.status != 201) throw std::runtime_error("push_image failed: " + std::to_string(reply.status) + " " + reply.body);
  if (manifest_digest) *manifest_digest = oci::digest_of(bytes);
  return bytes;
}

}  // namespace outpost::testing
