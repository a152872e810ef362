#pragma once
// Drives a Registry in-process exactly as a transport would: start(), body in pieces, finish(), streamed body read.
#include <memory>
#include <string>

#include "reference/common/http.h"
#include "reference/oci/digest.h"

namespace outpost::testing {

struct Reply {
  int status = 0;
  http::Headers headers;
  std::string body;
  std::string route;
  std::string header(std::string_view name) const { return std::string(headers.get(name).value_or("")); }
  std::string error_code() const;  // errors[0].code of an OCI error body, "" otherwise
};

class InProcessClient {
 public:
  explicit InProcessClient(http::Handler& handler) : handler_(handler) {}
  // `target` is path + optional "?query"; the body is fed in pieces of `piece_size` bytes.
  Reply send(http::Method method, const std::string& target, const std::string& body = "",
             http::Headers headers = {}, size_t piece_size = 65536);
  Reply get(const std::string& target, http::Headers headers = {}) { return send(http::Method::Get, target, "", headers); }
  Reply head(const std::string& target) { return send(http::Method::Head, target); }

  // Conveniences for building content.
  oci::Digest push_blob(const std::string& repository, const std::string& bytes);
  // Pushes an OCI image manifest with the given config and layer blobs (pushing those first) under `reference`.
  std::string push_image(const std::string& repository, const std::string& reference, const std::string& config,
                         const std::vector<std::string>& layers, oci::Digest* manifest_digest = nullptr);

 private:
  http::Handler& handler_;
};

}  // namespace outpost::testing
