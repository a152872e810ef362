#pragma once
// HTTP messages as plain data. Registry logic sees only these types, never sockets or Beast streams, so the same
// handler runs behind the live server and inside the simulator (docs/design.md, "One node, two worlds").
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace outpost::http {

enum class Method { Get, Head, Post, Put, Patch, Delete, Other };
Method parse_method(std::string_view name);
std::string_view method_name(Method method);

// Case-insensitive header multimap that keeps insertion order (what a proxy or a test expects to see back).
class Headers {
 public:
  std::optional<std::string_view> get(std::string_view name) const;
  std::vector<std::string_view> get_all(std::string_view name) const;
  void set(std::string_view name, std::string value);  // replaces every existing value
  void add(std::string_view name, std::string value);
  void remove(std::string_view name);
  bool has(std::string_view name) const { return get(name).has_value(); }
  const std::vector<std::pair<std::string, std::string>>& entries() const { return entries_; }

 private:
  // Room made at the first header for this many: a request or response carries three or four (a sync request's
  // Authorization, protocol version, Content-Type and Host), which would otherwise regrow the vector 1 -> 2 -> 4.
  static constexpr size_t kUsualCount = 4;
  void make_room();
  std::vector<std::pair<std::string, std::string>> entries_;
};

// A response body that the transport pulls piece by piece, so a 1 GiB blob never sits in memory.
class BodySource {
 public:
  virtual ~BodySource() = default;
  virtual uint64_t size() const = 0;
  // Fills `out` from the current position; returns the bytes written, 0 only at the end. Throws on I/O failure.
  virtual size_t read(std::span<char> out) = 0;
};

class StringBody final : public BodySource {
 public:
  explicit StringBody(std::string bytes) : bytes_(std::move(bytes)) {}
  uint64_t size() const override { return bytes_.size(); }
  size_t read(std::span<char> out) override;

 private:
  std::string bytes_;
  size_t offset_ = 0;
};

struct Request {
  Method method = Method::Get;
  std::string target;  // as received: path and query, percent-encoded
  std::string path;    // decoded path, no query
  std::string query;   // raw query string without '?'
  Headers headers;
  std::optional<uint64_t> content_length;
  std::string remote_address;  // "ip:port" of the peer, for logs and rate limits

  // First value of a query parameter, percent-decoded.
  std::optional<std::string> query_param(std::string_view name) const;
  std::vector<std::string> query_params(std::string_view name) const;
};

struct Response {
  int status = 200;
  Headers headers;
  std::string body;                  // small bodies (JSON, manifests)
  std::unique_ptr<BodySource> stream;  // large bodies (blobs); when set, `body` is ignored
  std::string route;  // the route template that answered ("blob_get", ...): a metrics and log label, never sent
  // For HEAD the transport sends the headers (Content-Length included) and no body.
  uint64_t body_size() const { return stream ? stream->size() : body.size(); }
};

// One request in progress. The transport calls on_body() with each piece of the request body as it arrives, then
// finish() once for the response. Returning false from on_body() means "stop sending me the body": the transport
// calls finish() at once and closes the connection after the response (e.g. a manifest over its size limit).
class Call {
 public:
  virtual ~Call() = default;
  virtual bool on_body(std::string_view piece) = 0;
  virtual Response finish() = 0;

  // A call that answers later (a gateway long-poll waits for the next message) says so here; the transport then calls
  // finish_async() instead of finish() and keeps the connection open until `respond` runs. `respond` runs exactly
  // once, from any thread (live) or a later event (simulator); it must not throw, so such calls render their own
  // errors. `respond` must not need the call: once finish_async() returns, the transport may destroy it (a long
  // poll's call would otherwise wait out the poll, to be read again cold at the answer). Every other call keeps the
  // synchronous hot path.
  virtual bool asynchronous() const { return false; }
  virtual void finish_async(std::function<void(Response)> respond) { respond(finish()); }

  // Whether the answer was decided before any body came and nothing in the body can change it (respond_now: a 401,
  // a 404, a refused push). The transport then sends no "100 Continue" inviting the body it would throw away (RFC
  // 9110 10.1.1 lets a server answer without reading it), and such a call takes at most kDecidedBodyDrain bytes of
  // it: a client without credentials once made the server read a 10 GB body before its 401. Wrappers forward it.
  virtual bool decided() const { return false; }
};

// The most of a body a decided call reads before it stops the transport, which then answers and closes the
// connection: what Go's server drains (256 KiB) before it does the same. A small body, read whole, keeps the
// connection alive.
inline constexpr size_t kDecidedBodyDrain = 256 * 1024;

// The single entry point of a node's HTTP API.
class Handler {
 public:
  virtual ~Handler() = default;
  virtual std::unique_ptr<Call> start(Request request) = 0;
};

// A Call with no body, or whose body is small enough to buffer, answered by one function.
std::unique_ptr<Call> respond_now(Response response);

// `plus_as_space` for form-encoded query strings; never for paths.
std::string percent_decode(std::string_view text, bool plus_as_space = false);
// A request target in absolute form ("http://registry:5000/v2/?n=1", RFC 9112 3.2.2: what a client speaking to a
// proxy sends, and what an origin server must accept): its authority and the origin form the rest is ("/v2/?n=1"; "/"
// when only an authority is given, "/?q" for "http://a?q"). Nothing for a target that is not http or https in
// absolute form (an origin-form target starts with '/').
struct AbsoluteTarget {
  std::string_view authority;
  std::string origin_form;
};
std::optional<AbsoluteTarget> absolute_target(std::string_view target);
std::string percent_encode(std::string_view text);  // for query values and Location headers

}  // namespace outpost::http
