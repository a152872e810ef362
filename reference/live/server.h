#pragma once
// The live HTTP/1.1 server: sockets, TLS, keep-alive, streamed bodies, timeouts and graceful shutdown in front of an
// http::Handler. Registry code never sees this class: its whole contract is Handler::start / Call::on_body / Call::finish.
// Asio and Beast stay in server.cpp (this header is free of them), so code outside reference/live never includes them.
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "reference/common/http.h"
#include "reference/common/metrics.h"

namespace outpost::live {

class Server {
 public:
  struct Options {
    std::string listen = "127.0.0.1:0";  // HOST:PORT ("[::1]:5000" for IPv6); port 0 picks a free port
    unsigned threads = 0;                // threads running the event loop; 0 means one per hardware thread
    size_t header_limit = 64 * 1024;     // request line + headers; beyond it the answer is 431
    std::chrono::milliseconds idle_timeout{60'000};   // a kept-alive connection with no request in progress
    std::chrono::milliseconds read_timeout{30'000};   // a request's header, and each ~256 KiB of its body
    std::chrono::milliseconds write_timeout{60'000};  // each ~1 MiB of a response
    std::chrono::milliseconds drain_timeout{10'000};  // stop(): how long requests in flight may still take
    std::string tls_cert_file;  // PEM chain; with tls_key_file, the port speaks HTTPS only
    std::string tls_key_file;
    metrics::Registry* metrics = nullptr;  // outpost_http_* series are recorded here when set
  };

  // Binds the listening socket at once (so bound_address() is known before start()); throws std::runtime_error when the
  // address cannot be parsed or bound, or the TLS files cannot be loaded. `handler` must outlive the server.
  Server(Options options, http::Handler& handler);
  ~Server();  // stop(), then wait()
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  std::string bound_address() const;  // "127.0.0.1:41234", "[::1]:41234"

  void start();  // starts the worker threads and returns
  void run();    // start(), then wait()
  // Stops accepting, closes idle keep-alive connections, lets requests in flight finish (their responses say
  // Connection: close) and cuts whatever is left after drain_timeout. Thread-safe, idempotent, returns at once.
  void stop();
  void wait();  // blocks until stop() has drained every connection and the worker threads have ended

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace outpost::live
