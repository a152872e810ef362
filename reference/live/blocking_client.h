#pragma once
// A small synchronous HTTP/1.1 client for command-line tools (`outpost scope-map ...`, `outpost token ...`): one request,
// one connection, the whole answer in memory. Nodes talk to each other through the asynchronous http::HttpClient seam
// instead; this one exists so a command can call the management API of a running node and exit.
// Asio and Beast stay in blocking_client.cpp (this header is free of them), like the server's.
#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include "reference/common/http.h"
#include "reference/common/http_client.h"

namespace outpost::live {

struct BlockingClientOptions {
  // https:// only. By default the peer's certificate must chain to the system's trust store (or to ca_file when set)
  // and name the URL's host; insecure skips both checks (a self-signed test node), as curl --insecure does.
  bool insecure = false;
  std::string ca_file;  // PEM bundle trusted instead of the system store
  size_t max_body = 64 * 1024 * 1024;  // a larger answer is an error, not an unbounded allocation
  std::string user_agent = "outpost/0.1.0";
};

class BlockingClient {
 public:
  explicit BlockingClient(BlockingClientOptions options = {});

  // Sends `method url` with `headers` and `body` and returns the answer, whatever its status. `url` is
  // http[s]://host[:port][/path][?query] (IPv6 hosts in brackets). Host, User-Agent and Content-Length are set here;
  // a non-empty body with no Content-Type is sent as application/json. `timeout` bounds the whole exchange (resolve,
  // connect, TLS handshake, write, read). Throws std::invalid_argument for a URL it cannot use and std::runtime_error
  // for a transport failure (refused, reset, timed out, certificate refused), naming the peer and the cause.
  http::ClientResponse request(http::Method method, std::string_view url, const http::Headers& headers,
                               std::string_view body, std::chrono::milliseconds timeout) const;

 private:
  BlockingClientOptions options_;
};

// "Basic base64(user:password)", the value of an Authorization header (RFC 7617).
std::string basic_authorization(std::string_view user, std::string_view password);

}  // namespace outpost::live
