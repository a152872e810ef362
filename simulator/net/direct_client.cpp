#include "simulator/net/direct_client.h"

#include <memory>

#include "simulator/net/http_wire.h"
#include "simulator/net/sink_guard.h"

namespace outpost::sim {

class DirectNetwork::Client final : public http::HttpClient {
 public:
  Client(DirectNetwork& network, std::string from) : network_(network), from_(std::move(from)) {}
  void send(http::ClientRequest request, std::shared_ptr<http::BodySink> sink,
            std::function<void(http::ClientResult)> done) override {
    wire::guard_sink(request.authority, sink, done);  // a sink that throws fails the exchange, as live
    network_.deliver(from_, std::move(request), std::move(sink), std::move(done));
  }

 private:
  DirectNetwork& network_;
  std::string from_;
};

DirectNetwork::DirectNetwork(EventLoop& loop) : loop_(loop) {}

namespace {
// Bodies are read through buffers the network owns: a fresh 256 KiB buffer per exchange (zero-filled, since it was a
// std::string) cost more than the small exchanges that make up most of a run.
constexpr size_t kPiece = 256 * 1024;

std::span<char> buffer_of(std::unique_ptr<char[]>& buffer) {
  if (!buffer) buffer = std::make_unique_for_overwrite<char[]>(kPiece);
  return {buffer.get(), kPiece};
}
}  // namespace
DirectNetwork::~DirectNetwork() = default;

void DirectNetwork::attach(const std::string& authority, http::Handler& handler) { handlers_[authority] = &handler; }
void DirectNetwork::detach(const std::string& authority) { handlers_.erase(authority); }

void DirectNetwork::set_down(const std::string& authority, bool down) {
  if (down) {
    down_.insert(authority);
  } else {
    down_.erase(authority);
  }
}

void DirectNetwork::set_link_down(const std::string& from, const std::string& authority, bool down) {
  if (down) {
    links_down_.emplace(from, authority);
  } else {
    links_down_.erase({from, authority});
  }
}

namespace {
// As SimNetwork counts: by the request's path, its query left out.
bool path_starts_with(std::string_view target, std::string_view prefix) {
  return target.substr(0, target.find('?')).starts_with(prefix);
}
}  // namespace

uint64_t DirectNetwork::requests_to(const std::string& authority, std::string_view path_prefix) const {
  uint64_t count = 0;
  for (const auto& entry : log_)
    if (entry.authority == authority && path_starts_with(entry.target, path_prefix)) ++count;
  return count;
}

uint64_t DirectNetwork::requests_between(const std::string& from, const std::string& authority,
                                         std::string_view path_prefix) const {
  uint64_t count = 0;
  for (const auto& entry : log_)
    if (entry.from == from && entry.authority == authority && path_starts_with(entry.target, path_prefix)) ++count;
  return count;
}

http::HttpClient& DirectNetwork::client(const std::string& from) {
  auto& slot = clients_[from];
  if (!slot) slot = std::make_unique<Client>(*this, from);
  return *slot;
}

namespace {
http::ClientResult to_result(http::Response response, bool head, std::shared_ptr<http::BodySink> sink,
                             std::span<char> buffer) {
  if (!http::body_goes_to_sink(response.status)) sink.reset();  // an error's body stays in the response
  http::ClientResponse out;
  out.status = response.status;
  out.headers = std::move(response.headers);
  if (!out.headers.has("Content-Length")) out.headers.set("Content-Length", std::to_string(response.body_size()));
  if (!head) {
    if (response.stream) {
      for (size_t got; (got = response.stream->read(buffer)) > 0;) {
        if (sink) sink->write(std::string_view(buffer.data(), got));
        else out.body.append(buffer.data(), got);
      }
    } else if (sink) {
      if (!response.body.empty()) sink->write(response.body);
    } else {
      out.body = std::move(response.body);
    }
  }
  http::ClientResult result;
  result.response = std::move(out);
  return result;
}
}  // namespace

void DirectNetwork::deliver(const std::string& from, http::ClientRequest request, std::shared_ptr<http::BodySink> sink,
                            std::function<void(http::ClientResult)> done) {
  loop_.post([this, from, request = std::make_shared<http::ClientRequest>(std::move(request)), sink,
              done = std::move(done)]() mutable {
    const auto handler = handlers_.find(request->authority);
    if (handler == handlers_.end() || down_.contains(request->authority) ||
        links_down_.contains({from, request->authority})) {
      http::ClientResult refused;
      refused.transport_error = "connection refused by " + request->authority;
      loop_.post([done = std::move(done), refused] { done(refused); });
      return;
    }
    log_.push_back({from, request->authority, request->target});
    http::Request server_request;
    server_request.method = request->method;
    server_request.target = request->target;
    const size_t question = request->target.find('?');
    server_request.path = http::percent_decode(std::string_view(request->target).substr(0, question));
    if (question != std::string::npos) server_request.query = request->target.substr(question + 1);
    server_request.headers = request->headers;
    server_request.headers.set("Host", request->authority);
    server_request.remote_address = from + ":1";
    if (request->body) server_request.content_length = request->body->size();
    const bool head = request->method == http::Method::Head;
    auto respond = [this, head, sink, done](http::Response response) {
      auto result =
          std::make_shared<http::ClientResult>(to_result(std::move(response), head, sink, buffer_of(response_buffer_)));
      loop_.post([done, result] { done(std::move(*result)); });
    };
    try {
      std::unique_ptr<http::Call> call = handler->second->start(std::move(server_request));
      if (request->body) {
        const std::span<char> piece = buffer_of(request_buffer_);
        for (size_t got; (got = request->body->read(piece)) > 0;)
          if (!call->on_body(std::string_view(piece.data(), got))) break;
      }
      if (call->asynchronous()) {
        // The call may answer later (a long poll); it owns nothing of ours but `respond`, and goes when this returns
        // (http.h: `respond` needs nothing of it).
        call->finish_async(respond);
      } else {
        respond(call->finish());
      }
    } catch (...) {
      respond(wire::failure_response(std::current_exception()));
    }
  });
}

}  // namespace outpost::sim
