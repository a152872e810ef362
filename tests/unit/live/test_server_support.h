#pragma once
// Shared by the live server tests: a stub Handler with one behaviour per path, and a small synchronous Beast client.
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <functional>
#include <future>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "reference/common/error.h"
#include "reference/common/http.h"
#include "reference/common/metrics.h"
#include "reference/live/server.h"

namespace outpost::live::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

// Deterministic content: byte i of every test body.
inline char pattern_byte(uint64_t i) { return static_cast<char>((i * 131 + (i >> 11)) & 0xff); }

inline std::string pattern(uint64_t size) {
  std::string bytes(size, '\0');
  for (uint64_t i = 0; i < size; ++i) bytes[i] = pattern_byte(i);
  return bytes;
}

// FNV-1a, enough to tell whether every byte arrived in order.
struct Fnv {
  uint64_t value = 1469598103934665603ull;
  void add(std::string_view bytes) {
    for (unsigned char c : bytes) value = (value ^ c) * 1099511628211ull;
  }
};

inline uint64_t fnv(std::string_view bytes) {
  Fnv hash;
  hash.add(bytes);
  return hash.value;
}

// A response body made on the fly, so a 20 MiB answer is never held by the handler.
class PatternBody final : public http::BodySource {
 public:
  explicit PatternBody(uint64_t size) : size_(size) {}
  uint64_t size() const override { return size_; }
  size_t read(std::span<char> out) override {
    const size_t n = std::min<uint64_t>(out.size(), size_ - offset_);
    for (size_t i = 0; i < n; ++i) out[i] = pattern_byte(offset_ + i);
    offset_ += n;
    return n;
  }

 private:
  uint64_t size_;
  uint64_t offset_ = 0;
};

// Counts the pieces the server hands over; answers "pieces=N max=M total=T hash=H". With `refuse_after`, returns false
// from on_body after that many pieces and answers `early_status` (413: a refusal).
class UploadCall final : public http::Call {
 public:
  explicit UploadCall(int refuse_after = -1, int early_status = 413)
      : refuse_after_(refuse_after), early_status_(early_status) {}
  bool on_body(std::string_view piece) override {
    ++pieces_;
    max_ = std::max(max_, piece.size());
    total_ += piece.size();
    hash_.add(piece);
    return refuse_after_ < 0 || pieces_ < refuse_after_;
  }
  http::Response finish() override {
    http::Response response;
    response.route = "upload";
    if (refuse_after_ >= 0) {
      response.status = early_status_;
      response.body = "refused";
      return response;
    }
    response.status = 201;
    response.body = "pieces=" + std::to_string(pieces_) + " max=" + std::to_string(max_) +
                    " total=" + std::to_string(total_) + " hash=" + std::to_string(hash_.value);
    return response;
  }

 private:
  int refuse_after_;
  int early_status_;
  int pieces_ = 0;
  size_t max_ = 0;
  uint64_t total_ = 0;
  Fnv hash_;
};

// A body source whose storage fails on the first read (a blob file gone missing after the handler opened it).
class FailingBody final : public http::BodySource {
 public:
  uint64_t size() const override { return 1000; }
  size_t read(std::span<char>) override { throw std::runtime_error("disk on fire"); }
};

class ThrowingCall final : public http::Call {
 public:
  bool on_body(std::string_view) override { return true; }
  http::Response finish() override { throw std::logic_error("finish exploded"); }
};

// Blocks in finish() until released, to hold a request in flight.
class SlowCall final : public http::Call {
 public:
  SlowCall(std::promise<void>& entered, std::shared_future<void> release) : entered_(entered), release_(release) {}
  bool on_body(std::string_view) override { return true; }
  http::Response finish() override {
    entered_.set_value();
    release_.wait();
    http::Response response;
    response.body = "slow done";
    response.route = "slow";
    return response;
  }

 private:
  std::promise<void>& entered_;
  std::shared_future<void> release_;
};

// Answers later (asynchronous): hands its `respond` to the test, which answers from its own thread. Says when it is
// destroyed, so a test can see whether the transport kept it while the answer was pending.
class LaterCall final : public http::Call {
 public:
  struct Hooks {
    std::promise<std::function<void(http::Response)>> respond;
    std::promise<void> destroyed;
  };
  explicit LaterCall(Hooks& hooks) : hooks_(hooks) {}
  ~LaterCall() override { hooks_.destroyed.set_value(); }
  bool on_body(std::string_view) override { return true; }
  http::Response finish() override { throw std::logic_error("an asynchronous call is finished with finish_async"); }
  bool asynchronous() const override { return true; }
  void finish_async(std::function<void(http::Response)> respond) override { hooks_.respond.set_value(std::move(respond)); }

 private:
  Hooks& hooks_;
};

class StubHandler final : public http::Handler {
 public:
  std::unique_ptr<http::Call> start(http::Request request) override {
    {
      std::lock_guard lock(mutex);
      seen.push_back(request);
    }
    const std::string& path = request.path;
    if (path == "/upload") return std::make_unique<UploadCall>();
    if (path == "/refuse") return std::make_unique<UploadCall>(1);
    if (path == "/succeed-early") return std::make_unique<UploadCall>(1, 201);  // a server that lies
    if (path == "/throw") throw std::runtime_error("start exploded");
    if (path == "/throw-finish") return std::make_unique<ThrowingCall>();
    if (path == "/api-error") throw ApiError(404, "NAME_UNKNOWN", "repository name not known to registry");
    if (path == "/slow") return std::make_unique<SlowCall>(slow_entered, slow_release);
    if (path == "/later") return std::make_unique<LaterCall>(later);
    http::Response response;
    response.route = "other";
    if (path == "/stream") {
      response.stream = std::make_unique<PatternBody>(std::stoull(request.query_param("size").value_or("0")));
      response.headers.set("Content-Type", "application/octet-stream");
      response.route = "stream";
    } else if (path == "/failing-stream") {
      response.stream = std::make_unique<FailingBody>();
    } else if (path == "/wrong-length") {  // a handler bug the transport must not turn into broken framing
      response.body = "abc";
      response.headers.set("Content-Length", "10");
    } else if (path == "/no-content") {  // a 204 whose handler states a length, as an upload's status does
      response.status = 204;
      response.headers.set("Content-Length", "0");
    } else if (path == "/custom-length") {  // a HEAD answer whose length the handler states itself
      response.headers.set("Content-Length", "12345");
      response.route = "custom";
    } else {
      response.body = "hello " + path;
      response.headers.set("Content-Type", "text/plain");
      response.route = "hello";
    }
    return http::respond_now(std::move(response));
  }

  std::vector<http::Request> requests() {
    std::lock_guard lock(mutex);
    return seen;
  }

  std::promise<void> slow_entered;
  std::shared_future<void> slow_release;
  LaterCall::Hooks later;  // for one /later request

 private:
  std::mutex mutex;
  std::vector<http::Request> seen;
};

inline tcp::endpoint endpoint_of(const std::string& address) {
  const size_t colon = address.rfind(':');
  return {asio::ip::make_address(address.substr(0, colon)),
          static_cast<unsigned short>(std::stoi(address.substr(colon + 1)))};
}

// A blocking HTTP/1.1 client over one connection.
class Client {
 public:
  explicit Client(const std::string& address) : socket_(context_) { socket_.connect(endpoint_of(address)); }

  tcp::socket& socket() { return socket_; }

  void write_raw(std::string_view bytes) { asio::write(socket_, asio::buffer(bytes.data(), bytes.size())); }

  bhttp::response<bhttp::string_body> read_response(bool head = false) {
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(boost::none);
    parser.skip(head);
    bhttp::read(socket_, buffer_, parser);
    return parser.release();
  }

  bhttp::response<bhttp::string_body> request(bhttp::verb method, const std::string& target, std::string body = "") {
    bhttp::request<bhttp::string_body> request(method, target, 11);
    request.set(bhttp::field::host, "test");
    request.body() = std::move(body);
    if (method != bhttp::verb::get && method != bhttp::verb::head) request.prepare_payload();
    bhttp::write(socket_, request);
    return read_response(method == bhttp::verb::head);
  }

  // True when the server has closed the connection: the next read ends with EOF (or a reset) instead of data.
  bool closed_by_server() {
    beast::error_code ec;
    if (buffer_.size() > 0) return false;
    char byte;
    socket_.read_some(asio::buffer(&byte, 1), ec);
    return ec == asio::error::eof || ec == asio::error::connection_reset;
  }

 private:
  asio::io_context context_;
  tcp::socket socket_;
  beast::flat_buffer buffer_;
};

// Timeouts far beyond any test's life: a test that passes never waited on one.
inline Server::Options test_options() {
  Server::Options options;
  options.listen = "127.0.0.1:0";
  options.threads = 2;
  options.idle_timeout = std::chrono::hours(1);
  options.read_timeout = std::chrono::hours(1);
  options.write_timeout = std::chrono::hours(1);
  return options;
}

}  // namespace outpost::live::test
