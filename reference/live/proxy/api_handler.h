#pragma once
// The fault proxy's control API, modelled on toxiproxy's HTTP API (same paths, fields, status codes and error shape),
// as an http::Handler for live::Server:
//
//   GET    /proxies                          every link, {name: link}
//   POST   /proxies                          create {name, listen?, upstream, enabled?, bandwidth?} -> 201
//   GET    /proxies/{name}                   one link: {name, listen, upstream, enabled, bandwidth, toxics, counters}
//   POST   /proxies/{name}                   update {enabled?, upstream?, bandwidth?} (PATCH too)
//   DELETE /proxies/{name}                                                                         -> 204
//   GET    /proxies/{name}/toxics            its toxics, [toxic]
//   POST   /proxies/{name}/toxics            add {name?, type, stream?, toxicity?, attributes?}
//   GET    /proxies/{name}/toxics/{toxic}
//   POST   /proxies/{name}/toxics/{toxic}    update {toxicity?, attributes?} (PATCH too)
//   DELETE /proxies/{name}/toxics/{toxic}                                                          -> 204
//   POST   /populate                         [link, ...]: each made, kept if unchanged, or replaced -> 201
//   POST   /reset                            every link enabled, every toxic removed               -> 204
//   GET    /version                          {"version": "..."}
//
// Errors are {"error": message, "status": code}, as toxiproxy answers them. `bandwidth` is ours: the link's own rate,
// {"upstream": bytes/s, "downstream": bytes/s} (0: unlimited; an update may give one stream), shared by all the link's
// connections, where toxiproxy's bandwidth toxic limits each connection on its own (fault_proxy.h, LinkBandwidth).
#include <memory>

#include <nlohmann/json.hpp>

#include "reference/common/http.h"
#include "reference/live/proxy/fault_proxy.h"

namespace outpost::live::proxy {

inline constexpr const char* kProxyVersion = "outpost-fault-proxy 0.1.0";

// A link as POST /proxies and POST /populate take it, {name, upstream, listen?, enabled?, bandwidth?} (also what GET
// shows: toxics and counters are ignored). Throws ProxyError(400) naming what is wrong.
LinkSpec link_spec_from_json(const nlohmann::json& body);

class ApiHandler final : public http::Handler {
 public:
  explicit ApiHandler(FaultProxy& proxy) : proxy_(proxy) {}
  std::unique_ptr<http::Call> start(http::Request request) override;

 private:
  FaultProxy& proxy_;
};

}  // namespace outpost::live::proxy
