#include "reference/sync/parent_link.h"

#include <atomic>

#include "reference/auth/base64.h"
#include "reference/common/json_depth.h"
#include "reference/common/json_scan.h"
#include "reference/gateway/protocol.h"

namespace outpost::sync {

std::pair<std::string, std::string> error_of(const std::string& body) {
  try {
    const auto json = nlohmann::json::parse(body);
    const auto& entry = json.at("errors").at(0);
    return {entry.value("code", ""), entry.value("message", "")};
  } catch (const std::exception&) {
    return {"", ""};
  }
}

namespace {
// Counts the bytes of a request body as the transport pulls them. The live client pulls on its own threads, several
// exchanges at once, so each exchange counts for itself and content() adds the count to the link's counters on the
// agent's thread once the exchange is over.
class CountingSource final : public http::BodySource {
 public:
  CountingSource(std::unique_ptr<http::BodySource> inner, std::shared_ptr<std::atomic<uint64_t>> counter)
      : inner_(std::move(inner)), counter_(std::move(counter)) {}
  uint64_t size() const override { return inner_->size(); }
  size_t read(std::span<char> out) override {
    const size_t got = inner_->read(out);
    *counter_ += got;
    return got;
  }

 private:
  std::unique_ptr<http::BodySource> inner_;
  std::shared_ptr<std::atomic<uint64_t>> counter_;
};

class CountingSink final : public http::BodySink {
 public:
  explicit CountingSink(std::shared_ptr<http::BodySink> inner) : inner_(std::move(inner)) {}
  void write(std::string_view piece) override {
    counted_ += piece.size();
    inner_->write(piece);
  }
  uint64_t counted() const { return counted_.load(); }

 private:
  std::shared_ptr<http::BodySink> inner_;
  std::atomic<uint64_t> counted_{0};
};
}  // namespace

namespace {
std::string authorization(const std::string& token_name, const std::string& token_password) {
  return "Basic " + auth::base64_encode(token_name + ":" + token_password);
}

http::Headers authorized(const std::string& value) {
  http::Headers headers;
  headers.set("Authorization", value);
  return headers;
}

// Whether a body is JSON (nlohmann::json::parse would take it, and it holds no NUL byte), without building it.
bool is_json(std::string_view text) {
  struct Unread final : JsonOutline {
    void open(size_t, char) override {}
    void key(size_t, const JsonKey&) override {}
    void value(size_t, std::string_view) override {}
  } unread;
  return json_scan(text, unread, 0);
}
}  // namespace

ParentLink::ParentLink(http::HttpClient& client, StopSignal& stop, std::string cr_name, std::string token_name,
                       std::string token_password, ParentAddress address, int protocol_version)
    : client_(client),
      stop_(stop),
      cr_name_(std::move(cr_name)),
      content_headers_(authorized(authorization(token_name, token_password))),
      authorization_(*content_headers_.get("Authorization")),
      protocol_version_(std::to_string(protocol_version)),
      address_(std::move(address)) {
  if (address_.content.empty()) address_.content = address_.gateway;
}

http::ClientRequest ParentLink::request(http::Method method, const std::string& authority, std::string target,
                                        http::Headers headers) {
  http::ClientRequest request;
  request.method = method;
  request.scheme = address_.scheme;
  request.authority = authority;
  request.target = std::move(target);
  request.headers = std::move(headers);
  return request;
}

std::string answer_detail(int status, const std::string& code, const std::string& message) {
  return std::to_string(status) + (code.empty() ? "" : " " + code) + (message.empty() ? "" : " (" + message + ")");
}

std::string answer_detail(int status, const std::string& body) {
  const auto [code, message] = error_of(body);
  return answer_detail(status, code, message);
}

std::optional<SyncFailure> ParentLink::failure_for(int status, const std::string& body, const std::string& what) {
  if (status < 400 && status != 0) return std::nullopt;
  const auto [code, message] = error_of(body);
  const std::string detail = what + ": " + answer_detail(status, code, message);
  using Kind = SyncFailure::Kind;
  if (status >= 500) return SyncFailure(Kind::Unreachable, detail, status);
  if (status == 403 && message == "connected registry disabled") return SyncFailure(Kind::Disabled, detail, status);
  if (status == 409 && code == "ALREADY_ACTIVATED") return SyncFailure(Kind::AlreadyActive, detail, status);
  if (status == 410) return SyncFailure(Kind::CursorExpired, detail, status);
  // A 429 for failed logins comes only after this node's own credentials were refused (SPEC 4.5): a credential
  // problem (Unhealthy), not an unreachable parent (Offline), which is where it sent the operator looking.
  if (status == 429 && message.starts_with("too many failed logins"))
    return SyncFailure(Kind::Refused, detail, status);
  if (status == 429) return SyncFailure(Kind::Unreachable, detail, status);
  // A proxy's timeout on the way: the parent may never have seen the request.
  if (status == 408) return SyncFailure(Kind::Unreachable, detail, status);
  // Every other refusal too (401, 403, 400, and 405, 409, 413, 414, 431 ...): an answer this node did not expect is
  // no success. A 413 for a status body read as one dropped the subtree's reports without a word in statusDetails.
  return SyncFailure(Kind::Refused, detail, status);
}

http::ClientRequest ParentLink::gateway_request(http::Method method, std::string_view cr, std::string_view operation,
                                                const std::string& query, std::optional<std::string>& body,
                                                Nanoseconds idle_timeout) {
  std::string target;
  target.reserve(gateway::kPathPrefix.size() + cr.size() + 1 + operation.size() + 1 + query.size());
  target.append(gateway::kPathPrefix).append(cr).append(1, '/').append(operation);
  if (!query.empty()) target.append(1, '?').append(query);
  http::Headers headers;
  headers.add("Authorization", authorization_);
  headers.add(gateway::kProtocolHeader, protocol_version_);
  if (!instance_.empty() && cr == cr_name_) headers.add(gateway::kInstanceHeader, instance_);  // not on a relay
  if (body) headers.add("Content-Type", "application/json");
  http::ClientRequest request = this->request(method, address_.gateway, std::move(target), std::move(headers));
  request.idle_timeout = idle_timeout;
  if (body) request.body = std::make_unique<http::StringBody>(std::move(*body));
  ++counters_.requests;
  return request;
}

Task<ParentLink::GatewayAnswer> ParentLink::gateway(http::Method method, std::string_view cr,
                                                    std::string_view operation, std::string query,
                                                    std::optional<std::string> body,
                                                    Nanoseconds idle_timeout, Reading reading) {
  // Written only for a failure: nearly every call succeeds. (Read afterwards: only the content address ever changes.)
  const auto what = [&] { return "gateway " + std::string(operation) + " at " + address_.gateway; };
  http::ClientRequest request = gateway_request(method, cr, operation, query, body, idle_timeout);
  const uint64_t body_size = request.body ? request.body->size() : 0;
  http::ClientResult result = co_await exchange(stop_, client_, std::move(request));
  if (!result.ok()) throw SyncFailure::lost_exchange(what() + ": " + result.transport_error);
  counters_.bytes_up += body_size;  // counted once answered: a body the parent never had moved nothing
  http::ClientResponse& response = *result.response;
  counters_.bytes_down += response.body.size();
  if (response.status == 404) {
    const auto [code, message] = error_of(response.body);
    throw SyncFailure(SyncFailure::Kind::Refused, what() + ": 404 " + message, 404);
  }
  if (response.status >= 400 || response.status == 0) {
    if (auto failure = failure_for(response.status, response.body, what())) throw std::move(*failure);
  }
  ++counters_.gateway_answers;
  if (on_accepted_) on_accepted_();
  GatewayAnswer answer;
  answer.status = response.status;
  if (response.status != 304 && !response.body.empty()) {
    if (reading != Reading::Tree) {
      if (reading == Reading::Text && !is_json(response.body)) throw not_json(operation);
      answer.text = std::move(response.body);
    } else {
      if (json_nests_deeper_than(response.body, gateway::kMaxDocumentDepth)) throw too_deep(operation);
      if (json_holds_nul(response.body)) throw not_json(operation);  // the parser would stop at the NUL
      try {
        answer.body = nlohmann::json::parse(response.body);
      } catch (const nlohmann::json::exception&) {
        throw not_json(operation);
      }
    }
  }
  co_return answer;
}

SyncFailure ParentLink::too_deep(std::string_view operation) const {
  return SyncFailure(SyncFailure::Kind::Unreachable, "gateway " + std::string(operation) + " at " + address_.gateway +
                                                         ": the answer nests deeper than " +
                                                         std::to_string(gateway::kMaxDocumentDepth) + " levels");
}

SyncFailure ParentLink::not_json(std::string_view operation) const {
  return SyncFailure(SyncFailure::Kind::Unreachable,
                     "gateway " + std::string(operation) + " at " + address_.gateway + ": the answer is not JSON");
}

Task<http::ClientResponse> ParentLink::content(http::Method method, std::string target, http::Headers headers,
                                               std::unique_ptr<http::BodySource> body,
                                               std::shared_ptr<http::BodySink> sink) {
  if (window_closed_ && window_closed_())
    throw SyncFailure(SyncFailure::Kind::WindowClosed,
                      "the sync window closed: " + std::string(http::method_name(method)) + " " + target +
                          " waits for the next one");
  http::ClientRequest request = this->request(method, address_.content, target, content_headers_);
  for (const auto& [name, value] : headers.entries()) request.headers.set(name, value);
  auto sent = std::make_shared<std::atomic<uint64_t>>(0);
  if (body) request.body = std::make_unique<CountingSource>(std::move(body), sent);
  std::shared_ptr<CountingSink> counted = sink ? std::make_shared<CountingSink>(std::move(sink)) : nullptr;
  ++counters_.requests;
  const std::string what = std::string(http::method_name(method)) + " " + target + " at " + address_.content;
  std::shared_ptr<http::BodySink> counting = counted;  // named: no conversion inside the co_await (GCC 12)
  http::ClientResult result = co_await exchange(stop_, client_, std::move(request), counting);
  if (counted) counters_.bytes_down += counted->counted();
  if (!result.ok()) throw SyncFailure::lost_exchange(what + ": " + result.transport_error);
  counters_.bytes_up += sent->load();  // counted once answered, as the gateway's bodies
  counters_.bytes_down += result.response->body.size();
  if (result.response->status == 401 || result.response->status == 403 || result.response->status >= 500 ||
      result.response->status == 429 || result.response->status == 408) {  // (408: a proxy's, never the parent's)
    if (auto failure = failure_for(result.response->status, result.response->body, what)) throw std::move(*failure);
  }
  co_return std::move(*result.response);
}

}  // namespace outpost::sync
