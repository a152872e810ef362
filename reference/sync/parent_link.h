#pragma once
// How a connected registry talks to its parent: the gateway API (docs/protocol.md) at the parent's gateway endpoint
// (the cloud's data endpoint, or a parent CR's single endpoint) and the OCI Distribution API at the parent's login
// server (SPEC 5.2: the configuration names it). Every request carries the CR's sync token (HTTP Basic: the parent
// keeps verified credentials cached, so this costs one hash per token change, not per request) and the protocol
// version. Failures are classified, because the agent reacts to each kind differently.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "reference/common/http_client.h"
#include "reference/common/task.h"

namespace outpost::sync {

class SyncFailure : public std::runtime_error {
 public:
  enum class Kind {
    Unreachable,     // transport failure or 5xx: retry with backoff, report Offline
    Disabled,        // SPEC 2.6: the parent says this CR's sync token is disabled
    Refused,  // 401/403/400 and any other 4xx (bad token, protocol mismatch, not a descendant, body too large):
              // Unhealthy until it changes
    AlreadyActive,   // SPEC 2.7: another instance holds the activation
    CursorExpired,   // SPEC 5.5: the messages after our cursor are gone: full resync
    NotFound,        // the parent does not have the object
    // A change of the push-up journal that cannot go up as it is: the parent answered and turned the change itself
    // down (400 DIGEST_INVALID, MANIFEST_INVALID, 413 ...), or this node cannot read what it would send (its stored
    // manifest is damaged, a blob or child manifest it names is gone here). Retrying the same bytes does not help;
    // the repository's changes wait, and a client's push of the right content repairs it.
    Rejected,
    // Nothing is wrong with the link or the change: what the attempt read here changed under it (garbage collection
    // removed a blob a manifest being pulled names; a client pushed again what a push-up was looking for above). Tried
    // again after the shortest delay (a few times in a row at most, as after a lost exchange), without a change of
    // state or a report: reported as Unreachable, it showed the node Offline, with its parent in reach.
    Raced,
    // The node's sync window closed (SPEC 5.4: no traffic to the parent outside windows; a round still running when
    // the window closes is cancelled and resumes in the next window): no content request goes up until it opens
    // again. Not a failure of the link: the state and statusDetails stay as they were, and nothing backs off.
    WindowClosed,
  };
  SyncFailure(Kind kind, std::string message, int status = 0)
      : std::runtime_error(std::move(message)), kind_(kind), status_(status) {}
  // An exchange that got no answer (the connection failed, was reset or timed out): Unreachable, and marked lost.
  static SyncFailure lost_exchange(std::string message) {
    SyncFailure failure(Kind::Unreachable, std::move(message));
    failure.lost_ = true;
    return failure;
  }
  // NotFound for a manifest: which one, and whether it is missing here rather than above (an index's manifest that a
  // client deleted here before it went up). What a caller tells the cases apart by, rather than the message's text.
  static SyncFailure manifest_not_found(std::string message, std::string digest, bool here) {
    SyncFailure failure(Kind::NotFound, std::move(message), 404);
    failure.missing_manifest_ = std::move(digest);
    failure.missing_here_ = here;
    return failure;
  }
  Kind kind() const { return kind_; }
  int status() const { return status_; }
  bool lost() const { return lost_; }  // no answer came, as opposed to an answer turning the request down
  const std::string& missing_manifest() const { return missing_manifest_; }  // "" but from manifest_not_found
  bool missing_here() const { return missing_here_; }

 private:
  Kind kind_;
  int status_;
  bool lost_ = false;
  std::string missing_manifest_;
  bool missing_here_ = false;
};

struct ParentAddress {
  std::string scheme = "http";
  std::string gateway;  // host:port of the parent's gateway
  std::string content;  // host:port of the parent's OCI API (the login server); the gateway's until configured
};

struct LinkCounters {
  uint64_t requests = 0;
  // Gateway calls the parent answered without turning them down: how far a failed sync round got
  // (attempt_progress.h). Mostly the pull loop's; the push loop reads the configuration while it waits for a sync
  // window, and a descendant's activation is relayed up, both rarely (and the quick retries are bounded anyway).
  uint64_t gateway_answers = 0;
  uint64_t bytes_down = 0;  // response bodies received (a body cut short counts what arrived)
  uint64_t bytes_up = 0;    // bodies of requests the parent answered (not of lost exchanges)
};

class ParentLink {
 public:
  ParentLink(http::HttpClient& client, StopSignal& stop, std::string cr_name, std::string token_name,
             std::string token_password, ParentAddress address, int protocol_version);

  const std::string& cr_name() const { return cr_name_; }
  // Named on every gateway request about this CR (gateway::kInstanceHeader); empty: not named.
  void set_instance(std::string instance) { instance_ = std::move(instance); }
  ParentAddress& address() { return address_; }
  // Asked before each content request: true while the node's sync window is closed, when the request is not sent
  // and SyncFailure(WindowClosed) thrown instead. Gateway calls are not asked (the configuration checks go on outside
  // windows; a round asks for the window itself before its message read, which the window's end bounds).
  void set_window_closed(std::function<bool()> closed) { window_closed_ = std::move(closed); }
  // Called for each gateway call the parent accepted: the parent took this node's sync token, so it is enabled
  // (SPEC 2.6; a disabled one is answered 403 "connected registry disabled" whatever the call).
  void set_on_accepted(std::function<void()> accepted) { on_accepted_ = std::move(accepted); }
  LinkCounters& counters() { return counters_; }

  // A gateway call on this CR's resource (/gateway/v1/<cr>/<operation>?<query>), with a JSON body already written
  // out (a status report relays its descendants' reports as the bytes they arrived in). Returns the status and the
  // body, read as the caller asks: parsed (null for 304 or no body), or as text checked to be JSON (empty for 304),
  // for the answers nearly every round gets (a status report's, a long poll's), which are read without a tree. Throws
  // SyncFailure for anything but 2xx and 304, and for a body that is not JSON or nests too deep.
  // Unchecked: the text as it came, for a caller that checks it while reading it (json_scan checks what it outlines:
  // the messages answer of every round, which was otherwise scanned twice), and throws not_json() when it is not JSON.
  enum class Reading { Tree, Text, Unchecked };
  struct GatewayAnswer {
    int status = 0;
    nlohmann::json body;  // Reading::Tree
    std::string text;     // Reading::Text and Reading::Unchecked
  };
  // `operation` names the call in failures too, so it must outlive the call (the callers pass literals); `cr` is read
  // before the call first suspends.
  Task<GatewayAnswer> gateway(http::Method method, std::string_view cr, std::string_view operation, std::string query,
                              std::optional<std::string> body, Nanoseconds idle_timeout,
                              Reading reading = Reading::Tree);

  // What a gateway call throws for an answer that is not JSON, and for one nested deeper than a parent's documents
  // ever are (gateway::kMaxDocumentDepth).
  SyncFailure not_json(std::string_view operation) const;
  SyncFailure too_deep(std::string_view operation) const;

  // An OCI API call on the parent's login server. Returns the response whatever its status, with the body in it
  // unless `sink` took it. Throws SyncFailure(Unreachable) on a transport failure and classifies 401/403/5xx.
  Task<http::ClientResponse> content(http::Method method, std::string target, http::Headers headers,
                                     std::unique_ptr<http::BodySource> body, std::shared_ptr<http::BodySink> sink);

  // What to throw for a refusal (any status >= 400, and 0): 401, 403, 5xx and the others failure_for sorts. Returned,
  // not thrown here: the caller throws it from its own frame, so a failure unwinds one frame fewer (a throw costs more
  // per frame than the rest of a failed call).
  static std::optional<SyncFailure> failure_for(int status, const std::string& body, const std::string& what);

 private:
  http::ClientRequest request(http::Method method, const std::string& authority, std::string target,
                              http::Headers headers);
  // gateway()'s request, written outside its coroutine: its parts then never sit in the coroutine's frame, where
  // they would be destroyed only after the answer (a long poll's ten minutes later, every line of them cold by then).
  // Takes the bytes of `body`, when there is one.
  http::ClientRequest gateway_request(http::Method method, std::string_view cr, std::string_view operation,
                                      const std::string& query, std::optional<std::string>& body,
                                      Nanoseconds idle_timeout);
  http::HttpClient& client_;
  StopSignal& stop_;
  const std::string cr_name_;
  std::string instance_;
  // The headers every content request starts with (the token): written once, copied per request.
  const http::Headers content_headers_;
  // A gateway request's headers are the token, the protocol version and (with a body) its JSON content type, in that
  // order. Every node sends one every round, its link cold by then: the list is written per request around the one
  // value of its own (the token), the names and the other values coming from constants all links share, which stay
  // warm, rather than copied from a list of its own whose entries sit in separate allocations.
  const std::string authorization_;
  const std::string protocol_version_;
  ParentAddress address_;
  LinkCounters counters_;
  std::function<bool()> window_closed_;
  std::function<void()> on_accepted_;
};

// The "code" and "message" of the first entry of an OCI error body, or empty strings.
std::pair<std::string, std::string> error_of(const std::string& body);
// An answer for a failure's message: its status, with the error's code and message when there are any
// (`401 UNAUTHORIZED (authentication required)`); the second form reads them from the body (error_of).
std::string answer_detail(int status, const std::string& code, const std::string& message);
std::string answer_detail(int status, const std::string& body);

}  // namespace outpost::sync
