#pragma once
// The live binding of the HttpClient seam: exchanges run as Beast coroutines on the client's own two io_context
// threads (each exchange on a strand of its own, so sinks of two exchanges may run at the same time, those of one
// never), bodies stream both ways in 256 KiB pieces (a 1 GiB blob never sits in memory), and every `done` is delivered
// on the node's Executor, so the sync agent's code runs on one thread as it does in the simulator. One connection per
// exchange: a sync round makes few, large requests, and loopback connects cost microseconds. Speaks http and https
// (the request's scheme, from ParentEndpointProtocol): https verifies the parent's certificate (tls_client.h). Asio
// stays in the .cpp files.
#include <memory>
#include <string>

#include "reference/common/executor.h"
#include "reference/common/http_client.h"

namespace outpost::live {

class LiveHttpClient final : public http::HttpClient {
 public:
  // `trusted_ca_file`: a PEM bundle trusted for https peers besides the system store ("" for the store alone). Throws
  // std::runtime_error when it cannot be loaded.
  explicit LiveHttpClient(Executor& deliver_on, std::string trusted_ca_file = {});
  ~LiveHttpClient();  // abandons exchanges in flight: their `done` never runs

  void send(http::ClientRequest request, std::shared_ptr<http::BodySink> sink,
            std::function<void(http::ClientResult)> done) override;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace outpost::live
