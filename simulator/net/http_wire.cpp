#include "simulator/net/http_wire.h"

#include <algorithm>
#include <span>
#include <utility>

#include "reference/common/error.h"

namespace outpost::sim::wire {

namespace {
constexpr size_t kPiece = 256 * 1024;
constexpr uint64_t kCrlf = 2;

uint64_t header_bytes(const http::Headers& headers) {
  uint64_t total = 0;
  for (const auto& [name, value] : headers.entries()) total += name.size() + 2 + value.size() + kCrlf;  // "n: v\r\n"
  return total;
}
}  // namespace

uint64_t request_body_bytes(const http::ClientRequest& request) { return request.body ? request.body->size() : 0; }

uint64_t request_head_bytes(const http::ClientRequest& request) {
  // "GET /target HTTP/1.1\r\n" "Host: authority\r\n" headers ["Content-Length: n\r\n"] "\r\n"
  uint64_t total = http::method_name(request.method).size() + 1 + request.target.size() + 9 + kCrlf;
  total += 6 + request.authority.size() + kCrlf;
  total += header_bytes(request.headers);
  if (request.body && !request.headers.has("Content-Length"))
    total += 16 + std::to_string(request.body->size()).size() + kCrlf;
  return total + kCrlf;
}

uint64_t response_head_bytes(int status, const http::Headers& headers) {
  // "HTTP/1.1 200 \r\n": the reason phrase is optional and left out.
  return 9 + std::to_string(status).size() + 1 + kCrlf + header_bytes(headers) + kCrlf;
}

http::Request server_request(const std::string& from, http::ClientRequest& request) {
  http::Request out;
  out.method = request.method;
  const size_t question = request.target.find('?');
  const std::string_view path = std::string_view(request.target).substr(0, question);
  // Most paths have nothing escaped: copied whole, not decoded byte by byte (which would give the same string).
  out.path = path.find('%') == std::string_view::npos ? std::string(path) : http::percent_decode(path);
  if (question != std::string::npos) out.query = request.target.substr(question + 1);
  out.target = std::move(request.target);
  out.headers = std::move(request.headers);
  out.headers.set("Host", std::move(request.authority));
  out.remote_address = from + ":1";
  if (request.body) out.content_length = request.body->size();
  return out;
}

void feed_body(http::ClientRequest& request, http::Call& call) {
  if (!request.body) return;
  // Sized to the body: most bodies are small, and a zero-filled 256 KiB piece per request cost more than they did.
  std::string piece(static_cast<size_t>(std::clamp<uint64_t>(request.body->size(), 1, kPiece)), '\0');
  for (size_t got; (got = request.body->read(std::span<char>(piece.data(), piece.size()))) > 0;)
    if (!call.on_body(std::string_view(piece.data(), got))) break;
}

http::Response failure_response(std::exception_ptr failure) {
  http::Response response;
  try {
    std::rethrow_exception(failure);
  } catch (const ApiError& error) {
    response.status = error.status();
    response.body = error.body();
    for (const auto& [name, value] : error.headers()) response.headers.add(name, value);
  } catch (const std::exception& error) {
    response.status = 500;
    response.body = ApiError(500, "UNKNOWN", error.what()).body();
  }
  response.headers.set("Content-Type", "application/json");
  return response;
}

void copy_body(http::Response& response, uint64_t limit, http::BodySink* sink, std::string& out) {
  if (limit == 0) return;
  if (!response.stream) {
    if (!sink && out.empty() && limit >= response.body.size()) {  // all of it, to nobody else: moved, not copied
      out = std::move(response.body);
      return;
    }
    const std::string_view body =
        std::string_view(response.body).substr(0, static_cast<size_t>(std::min<uint64_t>(limit, response.body.size())));
    if (body.empty()) return;
    if (sink) {
      sink->write(body);
    } else {
      out.append(body);
    }
    return;
  }
  std::string piece(static_cast<size_t>(std::min<uint64_t>(kPiece, limit)), '\0');
  uint64_t left = limit;
  while (left > 0) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(piece.size(), left));
    const size_t got = response.stream->read(std::span<char>(piece.data(), want));
    if (got == 0) break;
    if (sink) {
      sink->write(std::string_view(piece.data(), got));
    } else {
      out.append(piece.data(), got);
    }
    left -= got;
  }
}

}  // namespace outpost::sim::wire
