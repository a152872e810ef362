#pragma once
// Seam: an asynchronous HTTP exchange with another node (a child's sync agent talking to its parent). Live nodes bind it
// to a Beast client; the simulator carries the same messages over simulated links with latency, bandwidth and faults.
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "reference/common/clock.h"
#include "reference/common/http.h"

namespace outpost::http {

// Receives a successful response's body piece by piece (a blob download streams to a file, never to memory).
class BodySink {
 public:
  virtual ~BodySink() = default;
  virtual void write(std::string_view piece) = 0;
};

struct ClientRequest {
  Method method = Method::Get;
  std::string scheme = "http";
  std::string authority;  // host:port of the peer
  std::string target;     // path and query, percent-encoded
  Headers headers;
  std::unique_ptr<BodySource> body;  // may be null
  // The longest silence tolerated from the peer (connect, each read and write); a long poll sets it above its wait.
  Nanoseconds idle_timeout = std::chrono::seconds(60);
};

struct ClientResponse {
  int status = 0;
  Headers headers;
  // Filled when the exchange had no sink, and when the status is not 2xx: a sink takes only a successful response's
  // body (content), never an error's (which would end up in the blob a download writes, and its message lost).
  std::string body;
};

// Whether a response with this status gives its body to the exchange's sink (ClientResponse::body): every binding of
// HttpClient asks this, so the live client and the simulated ones cannot disagree.
inline bool body_goes_to_sink(int status) { return status >= 200 && status < 300; }

// How an exchange ended: either a response, or a transport failure (refused, reset, timed out) described for status
// reports. A transport failure says nothing about whether the peer applied the request.
struct ClientResult {
  std::optional<ClientResponse> response;
  std::string transport_error;
  bool ok() const { return response.has_value(); }
};

class HttpClient {
 public:
  virtual ~HttpClient() = default;
  // Sends `request`; streams the response body to `sink` when given. `done` runs once, on the client's executor.
  virtual void send(ClientRequest request, std::shared_ptr<BodySink> sink, std::function<void(ClientResult)> done) = 0;
};

}  // namespace outpost::http
