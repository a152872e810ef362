#include "reference/gateway/gateway_handler.h"

#include <algorithm>
#include <charconv>
#include <mutex>
#include <optional>

#include "reference/common/json_depth.h"
#include "reference/common/json_text.h"
#include "reference/common/log.h"
#include "reference/common/shortened.h"
#include "reference/common/time_format.h"

namespace outpost::gateway {

namespace {
constexpr size_t kMaxBody = 4 << 20;  // status reports of a wide subtree; far above any real one

// The protocol version as every answer states it.
const std::string& protocol_version_text() {
  static const std::string text = std::to_string(kProtocolVersion);
  return text;
}

// A gateway answer's first headers, on an answer that has none yet: added, not set (there is nothing to replace), as
// every long poll answers with them.
http::Response gateway_response(int status, bool json) {
  http::Response response;
  response.status = status;
  response.route = "gateway";
  response.headers.add(kProtocolHeader, protocol_version_text());
  if (json) response.headers.add("Content-Type", "application/json");
  return response;
}

// A JSON answer whose text is already written (not for 304, which has no body).
http::Response json_text_response(int status, std::string body) {
  http::Response response = gateway_response(status, true);
  response.body = std::move(body);
  return response;
}

http::Response json_response(int status, const nlohmann::json& body) {
  if (status != 304)
    return json_text_response(status, json_text(body));
  return gateway_response(status, false);
}

http::Response error_response(const ApiError& error) {
  http::Response response = gateway_response(error.status(), true);
  response.body = error.body();
  for (const auto& [name, value] : error.headers()) response.headers.add(name, value);
  return response;
}

http::Response failure_response(std::exception_ptr failure) {
  try {
    std::rethrow_exception(failure);
  } catch (const ApiError& error) {
    return error_response(error);
  } catch (const std::exception& error) {
    log::error("gateway request failed", {{"error", error.what()}});
    return error_response(ApiError(500, "UNKNOWN", std::string("internal error: ") + error.what()));
  }
}

ApiError not_found(std::string_view what) { return ApiError(404, "NOT_FOUND", std::string(what)); }

bool printable_ascii(std::string_view text, size_t at_most) {
  return !text.empty() && text.size() <= at_most &&
         std::all_of(text.begin(), text.end(), [](char c) { return c > ' ' && c < 0x7F; });
}

// SPEC 5.9: a node serves every version up to its own. The header is the version's digits and nothing else: "1.0",
// "01" or "1,1" once read as 1, and a peer that writes them speaks something this node does not know.
void check_protocol(const http::Request& request) {
  const auto header = request.headers.get(kProtocolHeader);
  int version = 0;
  const auto read = header ? std::from_chars(header->data(), header->data() + header->size(), version)
                           : std::from_chars_result{nullptr, std::errc::invalid_argument};
  if (!header || read.ec != std::errc{} || read.ptr != header->data() + header->size() || header->front() == '0' ||
      version < 1) {
    throw ApiError(400, "UNSUPPORTED",
                   "gateway requests must carry the header " + std::string(kProtocolHeader) +
                       ": <version>; this node speaks version " + std::to_string(kProtocolVersion));
  }
  if (version > kProtocolVersion) {
    throw ApiError(400, "UNSUPPORTED",
                   "gateway protocol version " + std::to_string(version) + " is not supported: this node speaks " +
                       "versions 1 to " + std::to_string(kProtocolVersion));
  }
}

// The value of query parameter `name` as a whole number, never negative (`fallback` when it was not given). The
// whole text must be the number: `limit=5abc` is refused, not read as 5. With a `ceiling`, a larger number reads as
// the ceiling, however many digits it has (docs/protocol.md: "more is read as 600"); without one it is refused.
template <class Number>
Number number_value(const std::optional<std::string>& text, std::string_view name, Number fallback,
                    std::optional<Number> ceiling = std::nullopt) {
  if (!text) return fallback;
  const auto refuse = [&](const std::string& why) {
    throw ApiError(400, "INVALID_REQUEST",
                   "query parameter " + std::string(name) + " " + why + ", not '" + shortened(*text, 64) + "'");
  };
  if (!text->empty() && text->front() == '-') refuse("must not be negative");
  Number value{};
  const auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (error == std::errc::result_out_of_range && end == text->data() + text->size() && ceiling) return *ceiling;
  if (error == std::errc::result_out_of_range) refuse("is too large");
  if (ceiling && value > *ceiling) return *ceiling;
  if (error != std::errc{} || end != text->data() + text->size()) refuse("must be a whole number");
  return value;
}

template <class Number>
Number number_param(const http::Request& request, std::string_view name, Number fallback) {
  return number_value(request.query_param(name), name, fallback);
}

// The parameters of a messages call, taken in one pass over the query, each the first value given and decoded as
// Request::query_param() decodes it: four query_param() calls split and decoded the whole query four times, on every
// long poll of every child.
struct MessagesQuery {
  std::optional<std::string> cursor, wait, limit, config_version;

  explicit MessagesQuery(std::string_view query) {
    while (!query.empty()) {
      const size_t amp = query.find('&');
      const std::string_view pair = query.substr(0, amp);
      query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
      const size_t eq = pair.find('=');
      const std::string key = http::percent_decode(pair.substr(0, eq), true);
      std::optional<std::string>* const value = key == "cursor"          ? &cursor
                                                : key == "wait"          ? &wait
                                                : key == "limit"         ? &limit
                                                : key == "configVersion" ? &config_version
                                                                         : nullptr;
      if (value && !*value)
        *value = eq == std::string_view::npos ? std::string() : http::percent_decode(pair.substr(eq + 1), true);
    }
  }
};

nlohmann::json message_json(const Message& message) {
  using Kind = oci::ContentChange::Kind;
  const char* type = message.change.kind == Kind::ManifestPut       ? "manifest"
                     : message.change.kind == Kind::ManifestDeleted ? "manifestDeleted"
                                                                    : "tagDeleted";
  nlohmann::json json = {{"sequence", message.sequence},
                         {"time", format_rfc3339(message.time)},
                         {"type", type},
                         {"repository", message.change.repository},
                         {"digest", message.change.digest.str()}};
  if (message.change.tag) json["tag"] = *message.change.tag;
  return json;
}

// The answer with no messages, written directly when dump() would write the cursor as itself between quotes (it
// always does: an epoch and a number): every long poll that times out answers it, and building a tree to dump it cost
// more than the read. The members are in dump()'s order (by name), so the bytes are the same.
std::optional<std::string> no_messages_body(const std::string& cursor, uint64_t version) {
  const bool plain = std::all_of(cursor.begin(), cursor.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte >= 0x20 && byte < 0x80 && c != '"' && c != '\\';
  });
  if (!plain) return std::nullopt;
  static constexpr std::string_view kHead = "{\"configVersion\":", kCursor = ",\"cursor\":\"",
                                    kTail = "\",\"messages\":[]}";
  char digits[20];
  const auto digits_end = std::to_chars(digits, digits + sizeof digits, version).ptr;
  // Written into one allocation: a plain cursor goes between its quotes as it is.
  const size_t digit_count = static_cast<size_t>(digits_end - digits);
  std::string body;
  body.reserve(kHead.size() + digit_count + kCursor.size() + cursor.size() + kTail.size());
  body.append(kHead).append(digits, digits_end).append(kCursor).append(cursor).append(kTail);
  return body;
}

// What a messages call reads, fixed when it arrives, and the reading itself: the answer, or nothing when there is
// nothing to say and the call may wait (not `final`). Held by value in its Poll: the call's values move in once.
struct MessagesRead {
  ConfigSource& configs;
  MessageLog& log;
  const Clock& clock;
  std::string cr;
  std::vector<std::string> patterns;
  std::string cursor;
  size_t limit = 0;
  uint64_t seen_version = 0;
  Nanoseconds ttl{};
  // Where the CR's version was found: a poll reads it when it arrives, at each wake-up and at its deadline. Mutable:
  // every read runs under its Poll's mutex, or before there is one.
  mutable ConfigSource::VersionHint version_hint;

  std::optional<http::Response> operator()(bool final) const {
    const uint64_t version = configs.version(cr, version_hint);
    const auto wanted = [this](const oci::ContentChange& change) {
      return repository_matches_any(patterns, change.repository);
    };
    const ReadResult result = log.read(cursor, wanted, limit, ttl, clock.now());
    if (result.expired) {
      return error_response(ApiError(410, "CURSOR_EXPIRED",
                                     "messages after this cursor are gone (TTL or restart): perform a full resync",
                                     {{"cursor", result.cursor}}));
    }
    const bool news = !result.messages.empty() || (seen_version != 0 && version != seen_version);
    if (!news && !final && !cursor.empty()) return std::nullopt;
    if (result.messages.empty()) {
      if (auto body = no_messages_body(result.cursor, version)) return json_text_response(200, std::move(*body));
    }
    nlohmann::json messages = nlohmann::json::array();
    for (const auto& message : result.messages) messages.push_back(message_json(message));
    return json_response(200, {{"cursor", result.cursor}, {"configVersion", version}, {"messages", messages}});
  }
};

// A long poll in progress: answered exactly once, by whichever comes first of news for this child (a message it
// wants, or a configuration version other than the one it holds), the deadline, or the node stopping. A wake-up that
// brings no news for this child (an append in repositories it does not sync, another CR's configuration change) leaves
// it waiting: answering it would cost the child a round trip for nothing, and in a wide tree every management change
// would answer every waiting child at once.
struct Poll {
  Poll(MessagesRead read, std::function<void(http::Response)> respond)
      : read(std::move(read)), respond(std::move(respond)) {}
  // What the poll reads and how it answers; set once, before it is armed.
  const MessagesRead read;
  const std::function<void(http::Response)> respond;
  // A wake-up (the appending thread) may race the deadline (the executor): both take the mutex to decide who
  // answers, and to move the waiter.
  std::mutex mutex;
  bool answered = false;
  uint64_t waiter = 0;
  TimerHandle deadline;
};

// Answers `poll` with what `make` returns unless it was answered already. (A template, not a std::function: every
// caller passes a lambda that is called at once.)
template <class Make>
void answer_once(const std::shared_ptr<Poll>& poll, const Make& make) {
  std::optional<http::Response> response;
  {
    std::lock_guard lock(poll->mutex);
    if (poll->answered) return;
    try {
      response = make();
    } catch (...) {
      response = failure_response(std::current_exception());
    }
    if (!response) return;  // nothing to say yet: keep waiting
    poll->answered = true;
    poll->read.log.cancel_wait(poll->waiter);
    poll->deadline.cancel();
  }
  poll->respond(std::move(*response));  // outside the lock: the transport may run other work inline
}

std::optional<http::Response> arm_and_read(const std::shared_ptr<Poll>& poll);

// Leaves a waiter that checks for news when woken, and waits again when there is none. False when the log is closed
// (the node is stopping): nothing would wake the poll, so it answers now rather than hold the drain.
bool arm(const std::shared_ptr<Poll>& poll) {
  const std::optional<uint64_t> waiter =
      poll->read.log.wait([poll] { answer_once(poll, [&poll] { return arm_and_read(poll); }); });
  if (!waiter) return false;
  poll->waiter = *waiter;
  return true;
}

// Wait first, then read: a message appended in between wakes the waiter instead of being missed.
std::optional<http::Response> arm_and_read(const std::shared_ptr<Poll>& poll) {
  if (!arm(poll)) return poll->read(true);
  return poll->read(false);
}
}  // namespace

nlohmann::json inventory(storage::MetadataStore& metadata, const std::vector<std::string>& patterns) {
  nlohmann::json repositories = nlohmann::json::object();
  std::string after;
  for (;;) {
    const auto page = metadata.repositories(after, 1000);
    for (const auto& repository : page) {
      if (!repository_matches_any(patterns, repository)) continue;
      nlohmann::json tags = nlohmann::json::object();
      std::string tag_after;
      for (;;) {
        const auto tag_page = metadata.tags(repository, tag_after, 1000);
        for (const auto& tag : tag_page)
          if (const auto digest = metadata.resolve_tag(repository, tag)) tags[tag] = digest->str();
        if (tag_page.size() < 1000) break;
        tag_after = tag_page.back();
      }
      // Every manifest, tagged or not: a child whose full resync found content by tag only kept serving by digest
      // a manifest deleted here while its cursor expired (SPEC 5.1, 5.5).
      nlohmann::json manifests = nlohmann::json::array();
      for (const oci::Digest& digest : metadata.manifest_digests(repository)) manifests.push_back(digest.str());
      repositories[repository] = {{"tags", std::move(tags)}, {"manifests", std::move(manifests)}};
    }
    if (page.size() < 1000) break;
    after = page.back();
  }
  return {{"repositories", std::move(repositories)}, {"listsManifests", true}};
}

class GatewayCall final : public http::Call {
 public:
  GatewayCall(GatewayHandler& gateway, http::Request request) : gateway_(gateway), request_(std::move(request)) {}

  bool on_body(std::string_view piece) override {
    if (body_.size() + piece.size() > kMaxBody) {
      too_large_ = true;
      return false;
    }
    body_.append(piece);
    return true;
  }

  http::Response finish() override {
    http::Response response;
    finish_async([&response](http::Response answer) { response = std::move(answer); });
    return response;  // only reached for calls that answer at once; the transport uses finish_async()
  }

  bool asynchronous() const override { return true; }

  void finish_async(std::function<void(http::Response)> respond) override {
    try {
      serve(respond);
    } catch (...) {
      respond(failure_response(std::current_exception()));
    }
  }

 private:
  // /gateway/v1/<cr>/<operation>. The path's "v1" names the protocol's resources, not the version spoken (that is
  // the header's, SPEC 5.9): another prefix is no resource here, and was once read as v1 whatever it said.
  void serve(std::function<void(http::Response)>& respond) {
    if (!request_.path.starts_with(kPathPrefix))
      throw not_found("unknown gateway resource " + shortened(request_.path, 128) + ": gateway resources are under " +
                      std::string(kPathPrefix) + " (the protocol version is the " + std::string(kProtocolHeader) +
                      " header's)");
    const std::string_view rest = std::string_view(request_.path).substr(kPathPrefix.size());
    const size_t slash = rest.find('/');
    if (slash == std::string_view::npos) throw not_found("unknown gateway resource " + shortened(request_.path, 128));
    const std::string_view cr = rest.substr(0, slash);  // copied only by the long poll that keeps it
    const std::string_view operation = rest.substr(slash + 1);
    const bool get = request_.method == http::Method::Get;
    const bool post = request_.method == http::Method::Post;
    enum class Operation { Config, Messages, Inventory, Activate, Status };
    Operation op = Operation::Config;
    auth::GatewayActions needs{};
    if (operation == "config" && get) {
      op = Operation::Config, needs = auth::kConfigRead;
    } else if (operation == "messages" && get) {
      op = Operation::Messages, needs = auth::kMessageRead;
    } else if (operation == "inventory" && get) {
      op = Operation::Inventory, needs = auth::kConfigRead;
    } else if (operation == "activate" && post) {
      op = Operation::Activate, needs = auth::kConfigWrite;
    } else if (operation == "status" && post) {
      op = Operation::Status, needs = auth::kMessageWrite;
    } else {
      throw ApiError(404, "NOT_FOUND", "unknown gateway operation " +
                                           std::string(http::method_name(request_.method)) + " " +
                                           shortened(request_.path, 128));
    }
    // Who may ask comes first (endpoint, credentials, actions: SPEC 1.2, 4.3), then whether we speak its version.
    gateway_.authorize_(request_, cr, needs);
    check_protocol(request_);
    if (op != Operation::Activate) check_instance(cr);
    if (too_large_) throw ApiError(413, "INVALID_REQUEST", "gateway request body too large");

    switch (op) {
      case Operation::Config:
        return respond(config(cr));
      case Operation::Messages:
        return messages(cr, respond);
      case Operation::Inventory: {
        const auto patterns = known(cr);
        return respond(json_response(200, inventory(*gateway_.storage_.metadata, patterns)));
      }
      case Operation::Activate:
        return activate(cr, respond);
      case Operation::Status: {
        require_served(cr);
        // Checked and split in one pass, without a tree: a relay passes its descendants' reports on as they came
        // (status_body.h). An empty body is answered as one that is not a status body.
        StatusBodyReading read = read_status_body(body_);
        if (read.verdict == StatusBodyReading::Verdict::NotJson && !body_.empty())
          throw ApiError(400, "INVALID_REQUEST", "the request body is not JSON");
        if (read.verdict != StatusBodyReading::Verdict::Reports)
          throw ApiError(400, "INVALID_REQUEST", "a status body is {\"reports\": [...]}");
        const size_t accepted = read.reports.size();
        gateway_.configs_.report_status(cr, std::move(read.reports));
        // What dump() writes for {"accepted": n}, without building it: every node posts its status every interval.
        return respond(json_text_response(200, "{\"accepted\":" + std::to_string(accepted) + "}"));
      }
    }
  }

  // SPEC 2.7, one running instance per CR: an instance that names itself and is not the active one is turned down as
  // its activation would be (409), so it stops syncing rather than running beside the new one. A request that names
  // no instance (an operator's, an older node's) is not judged.
  void check_instance(std::string_view cr) {
    const auto instance = request_.headers.get(kInstanceHeader);
    if (instance && !gateway_.configs_.is_active_instance(cr, *instance))
      throw ApiError(409, "ALREADY_ACTIVATED",
                     "instance " + shortened(*instance, 64) + " of connected registry " + std::string(cr) +
                         " is not the active one: another instance activated, or the activation was freed "
                         "(deactivate); this instance stops syncing");
  }

  // 404 when this node does not serve that CR.
  void require_served(std::string_view cr) {
    if (gateway_.configs_.version(cr) == 0) throw not_found(not_served(cr));
  }
  static std::string not_served(std::string_view cr) {
    return "connected registry " + std::string(cr) + " is not served here";
  }
  // The CR's repository patterns; 404 when this node does not serve that CR. (Read from its configuration each time:
  // asked only by the calls that filter by repository, not by every status report and activation.)
  std::vector<std::string> known(std::string_view cr) {
    require_served(cr);
    return gateway_.configs_.repositories(cr);
  }

  nlohmann::json parse_body() {
    // The parser would stop at a NUL byte and read the bytes before it (reference/common/json_depth.h).
    if (json_holds_nul(body_)) throw ApiError(400, "INVALID_REQUEST", "the request body is not JSON");
    try {
      return body_.empty() ? nlohmann::json::object() : nlohmann::json::parse(body_);
    } catch (const nlohmann::json::exception&) {
      throw ApiError(400, "INVALID_REQUEST", "the request body is not JSON");
    }
  }

  http::Response config(std::string_view cr) {
    const uint64_t have = number_param<uint64_t>(request_, "version", 0);
    const uint64_t current = gateway_.configs_.version(cr);
    if (current == 0) throw not_found(not_served(cr));
    if (have == current) return json_response(304, nullptr);
    auto document = gateway_.configs_.document(cr);
    if (!document) throw not_found(not_served(cr));
    return json_text_response(200, std::move(*document));
  }

  // `respond` is taken from the caller only once the call cannot fail any more: until then a refusal (404, a bad
  // parameter) is answered through it by finish_async().
  void activate(std::string_view cr, std::function<void(http::Response)>& respond) {
    require_served(cr);
    const nlohmann::json body = parse_body();
    // The instance is kept at the cloud and named back in refusals: 1 to 128 printable ASCII characters (a node
    // draws 32 hex digits; another implementation may write a UUID).
    const auto instance = body.find("instanceId");
    if (instance == body.end() || !instance->is_string() || !printable_ascii(instance->get_ref<const std::string&>(), 128))
      throw ApiError(400, "INVALID_REQUEST",
                     "activation needs {\"instanceId\": \"...\"}, 1 to 128 printable ASCII characters");
    // Optional and informative (the header is what is judged), but when given it is a version.
    const auto version = body.find("protocolVersion");
    if (version != body.end() && !(version->is_number_unsigned() && version->get<uint64_t>() >= 1))
      throw ApiError(400, "INVALID_REQUEST", "activation's protocolVersion must be a whole number from 1");
    gateway_.configs_.activate(cr, body["instanceId"].get<std::string>(),
                               [respond = std::move(respond)](std::optional<ApiError> error) {
                                 respond(error ? error_response(*error) : json_response(200, {{"activated", true}}));
                               });
  }

  void messages(std::string_view cr, std::function<void(http::Response)>& respond) {
    ConfigSource::VersionHint version_hint;  // found here, where the call is refused when the CR is not served
    if (gateway_.configs_.version(cr, version_hint) == 0) throw not_found(not_served(cr));
    std::vector<std::string> patterns = gateway_.configs_.repositories(cr);
    MessagesQuery query(request_.query);
    const int wait = number_value<int>(query.wait, "wait", 0, kMaxWaitSeconds);
    const size_t limit = number_value<size_t>(query.limit, "limit", kMaxMessagesPerRead, kMaxMessagesPerRead);
    const uint64_t seen_version = number_value<uint64_t>(query.config_version, "configVersion", 0);
    const Nanoseconds ttl = gateway_.configs_.message_ttl(cr);
    MessagesRead read{gateway_.configs_, gateway_.log_, gateway_.clock_, std::string(cr), std::move(patterns),
                      std::move(query.cursor).value_or(""), limit, seen_version, ttl, std::move(version_hint)};

    if (wait <= 0 || gateway_.log_.closed()) return respond(*read(true));
    auto poll = std::make_shared<Poll>(std::move(read), std::move(respond));
    answer_once(poll, [&poll] { return arm_and_read(poll); });
    std::lock_guard lock(poll->mutex);
    if (poll->answered) return;
    poll->deadline = gateway_.executor_.schedule_after(std::chrono::seconds(wait), [poll] {
      answer_once(poll, [&poll] { return poll->read(true); });
    });
  }

  GatewayHandler& gateway_;
  http::Request request_;
  std::string body_;
  bool too_large_ = false;
};

GatewayHandler::GatewayHandler(ConfigSource& configs, MessageLog& log, storage::Storage& storage, const Clock& clock,
                               Executor& executor, GatewayAuthorizer authorize)
    : configs_(configs), log_(log), storage_(storage), clock_(clock), executor_(executor),
      authorize_(std::move(authorize)) {}

std::unique_ptr<http::Call> GatewayHandler::start(http::Request request) {
  return std::make_unique<GatewayCall>(*this, std::move(request));
}

}  // namespace outpost::gateway
