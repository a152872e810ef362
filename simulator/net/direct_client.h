#pragma once
// The simplest simulated network: an HttpClient that hands each request straight to the handler of the node named by
// its authority, on the event loop, with no delay. Links with latency, bandwidth sharing and faults build on it
// (simulator/net); unit tests use it as is to run whole hierarchies of real nodes in virtual time.
//
// Every exchange takes two events: the request is delivered to the server's handler in one, the response to the
// client's `done` in the next (or later, for a call that answers asynchronously, e.g. a long poll).
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "reference/common/http.h"
#include "reference/common/http_client.h"
#include "simulator/engine/event_loop.h"

namespace outpost::sim {

class DirectNetwork {
 public:
  explicit DirectNetwork(EventLoop& loop);
  ~DirectNetwork();

  // Requests to `authority` go to `handler` (which must outlive the network or be detached first).
  void attach(const std::string& authority, http::Handler& handler);
  void detach(const std::string& authority);
  // A down authority refuses connections, like a stopped process. A down link refuses only requests from `from` to
  // `authority`, like a cut cable between two nodes.
  void set_down(const std::string& authority, bool down);
  void set_link_down(const std::string& from, const std::string& authority, bool down);

  // What crossed towards each authority: requests by path prefix (e.g. "/v2/", "/gateway/v1/x/messages"), from
  // anyone or from one node.
  uint64_t requests_to(const std::string& authority, std::string_view path_prefix = "") const;
  uint64_t requests_between(const std::string& from, const std::string& authority,
                            std::string_view path_prefix = "") const;

  // A client as seen from `from` (its address appears as the remote address).
  http::HttpClient& client(const std::string& from);

 private:
  class Client;
  void deliver(const std::string& from, http::ClientRequest request, std::shared_ptr<http::BodySink> sink,
               std::function<void(http::ClientResult)> done);

  EventLoop& loop_;
  // Request bodies are fed to handlers, and response bodies read, piece by piece through these (allocated once).
  std::unique_ptr<char[]> request_buffer_, response_buffer_;
  std::map<std::string, http::Handler*> handlers_;
  std::set<std::string> down_;
  std::set<std::pair<std::string, std::string>> links_down_;
  struct Delivered {
    std::string from, authority, target;
  };
  std::vector<Delivered> log_;  // every delivered request
  std::map<std::string, std::unique_ptr<Client>> clients_;
};

}  // namespace outpost::sim
