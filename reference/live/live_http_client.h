#pragma once
// The live binding of the HttpClient seam: exchanges run as Beast coroutines on the client's own two io_context
// threads (each exchange on a strand of its own, so sinks of two exchanges may run at the same time, those of one
// never), bodies stream both ways in 256 KiB pieces (a 1 GiB blob never sits in memory), and every `done` is delivered
// on the node's Executor, so the sync agent's code runs on one thread as it does in the simulator. One connection per
// exchange: a sync round makes few, large requests, and loopback connects cost microseconds. Plain HTTP only for now
// (docs/protocol.md says so); Asio stays in the .cpp.
#include <memory>

#include "reference/common/executor.h"
#include "reference/common/http_client.h"

namespace outpost::live {

class LiveHttpClient final : public http::HttpClient {
 public:
  explicit LiveHttpClient(Executor& deliver_on);
  ~LiveHttpClient();  // abandons exchanges in flight: their `done` never runs

  void send(http::ClientRequest request, std::shared_ptr<http::BodySink> sink,
            std::function<void(http::ClientResult)> done) override;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace outpost::live
