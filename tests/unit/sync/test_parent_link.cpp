// The gateway side of a ParentLink against a parent that answers from a script: the requests it writes (target and
// headers, in order), the answers it hands back, and how it fails: an answer body is refused exactly when the JSON
// parser refuses it, and the failures say what they said before the body was read without a tree.
#include <boost/test/unit_test.hpp>

#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "reference/gateway/protocol.h"
#include "reference/sync/parent_link.h"

namespace {

using outpost::Nanoseconds;
using outpost::sync::ParentLink;
using outpost::sync::SyncFailure;
namespace http = outpost::http;

// Never asked to run anything here: every exchange completes inside send().
class IdleExecutor final : public outpost::Executor {
 public:
  void post(std::function<void()>) override { BOOST_FAIL("nothing is posted"); }
  outpost::TimerHandle schedule_after(Nanoseconds, std::function<void()>) override {
    BOOST_FAIL("nothing is scheduled");
    return {};
  }
};

// Answers each request with the next scripted result at once, and keeps what it was sent.
class ScriptedClient final : public http::HttpClient {
 public:
  void send(http::ClientRequest request, std::shared_ptr<http::BodySink>,
            std::function<void(http::ClientResult)> done) override {
    Sent sent{request.method, request.scheme, request.authority, request.target, request.headers.entries(), ""};
    if (request.body) {
      sent.body.resize(request.body->size());
      sent.body.resize(request.body->read(sent.body));
    }
    sent_.push_back(std::move(sent));
    BOOST_REQUIRE(!script_.empty());
    http::ClientResult result = std::move(script_.front());
    script_.pop_front();
    done(std::move(result));
  }

  struct Sent {
    http::Method method;
    std::string scheme, authority, target;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
  };
  void answer(int status, std::string body) {
    http::ClientResponse response;
    response.status = status;
    response.body = std::move(body);
    script_.push_back(http::ClientResult{std::move(response), ""});
  }
  void fail(std::string error) { script_.push_back(http::ClientResult{std::nullopt, std::move(error)}); }
  const std::vector<Sent>& sent() const { return sent_; }

 private:
  std::deque<http::ClientResult> script_;
  std::vector<Sent> sent_;
};

struct Fixture {
  IdleExecutor executor;
  outpost::StopSignal stop{executor};
  ScriptedClient client;
  ParentLink link{client, stop, "edge1", "tok", "pw", {"http", "parent:5001", ""}, 1};

  // One gateway call run to its end: the answer, or the failure that ended it.
  std::pair<std::optional<ParentLink::GatewayAnswer>, std::optional<SyncFailure>> call(
      http::Method method, std::string operation, std::string query, std::optional<std::string> body = {},
      ParentLink::Reading reading = ParentLink::Reading::Text) {
    std::optional<ParentLink::GatewayAnswer> answer;
    std::optional<SyncFailure> failure;
    auto run = [&]() -> outpost::Task<void> {
      try {
        answer = co_await link.gateway(method, "edge1", operation, std::move(query), std::move(body),
                                       std::chrono::seconds(60), reading);
      } catch (const SyncFailure& error) {
        failure = error;
      }
    };
    outpost::spawn(run());
    BOOST_REQUIRE(answer.has_value() != failure.has_value());
    return {std::move(answer), std::move(failure)};
  }
};

using Headers = std::vector<std::pair<std::string, std::string>>;

}  // namespace

BOOST_AUTO_TEST_SUITE(parent_link)

BOOST_FIXTURE_TEST_CASE(gateway_requests_carry_the_token_and_the_protocol_in_that_order, Fixture) {
  client.answer(200, R"({"configVersion":1,"cursor":"e.1","messages":[]})");
  client.answer(200, R"({"accepted":1})");
  client.answer(200, R"({"configVersion":1,"cursor":"e.1","messages":[]})");
  call(http::Method::Get, "messages", "cursor=e.0&wait=30");
  call(http::Method::Post, "status", "", R"({"reports":[]})");
  call(http::Method::Get, "messages", "");  // no query: no '?'
  BOOST_REQUIRE(client.sent().size() == 3u);
  const auto& poll = client.sent()[0];
  BOOST_TEST((poll.method == http::Method::Get));
  BOOST_TEST(poll.scheme == "http");
  BOOST_TEST(poll.authority == "parent:5001");
  BOOST_TEST(poll.target == "/gateway/v1/edge1/messages?cursor=e.0&wait=30");
  BOOST_TEST((poll.headers == Headers{{"Authorization", "Basic dG9rOnB3"}, {"Outpost-Gateway-Protocol", "1"}}));
  const auto& status = client.sent()[1];
  BOOST_TEST(status.target == "/gateway/v1/edge1/status");
  BOOST_TEST((status.headers == Headers{{"Authorization", "Basic dG9rOnB3"},
                                        {"Outpost-Gateway-Protocol", "1"},
                                        {"Content-Type", "application/json"}}));
  BOOST_TEST(status.body == R"({"reports":[]})");
  BOOST_TEST(client.sent()[2].target == "/gateway/v1/edge1/messages");
  BOOST_TEST(link.counters().requests == 3u);
}

// outpost_sync_bytes_total{direction="up"} is read from this: a status body the parent never answered (refused
// connection, reset) moved nothing, so only answered exchanges count, refusals included (the parent read the body).
BOOST_FIXTURE_TEST_CASE(up_bytes_count_only_bodies_the_parent_answered, Fixture) {
  const std::string body = R"({"reports":[{"name":"edge1"}]})";
  client.fail("connection refused");
  call(http::Method::Post, "status", "", body);
  BOOST_TEST(link.counters().bytes_up == 0u);
  client.answer(200, R"({"accepted":1})");
  call(http::Method::Post, "status", "", body);
  BOOST_TEST(link.counters().bytes_up == body.size());
  client.answer(400, R"({"errors":[{"code":"INVALID_REQUEST","message":"bad"}]})");
  call(http::Method::Post, "status", "", body);
  BOOST_TEST(link.counters().bytes_up == 2 * body.size());
  BOOST_TEST(link.counters().requests == 3u);  // every attempt is still a request
}

BOOST_FIXTURE_TEST_CASE(an_answer_comes_back_as_written_or_parsed, Fixture) {
  using Reading = ParentLink::Reading;
  const std::string body = R"( {"configVersion":7, "cursor":"e.9", "messages":[]} )";
  client.answer(200, body);
  client.answer(200, body);
  client.answer(304, "");
  client.answer(304, "");
  client.answer(200, "");
  client.answer(200, "");
  const auto [text, failure] = call(http::Method::Get, "messages", "", {}, Reading::Text);
  BOOST_TEST(text->status == 200);
  BOOST_TEST(text->text == body);
  BOOST_TEST(text->body.is_null());
  BOOST_TEST(link.counters().bytes_down == body.size());
  const auto [tree, no_failure] = call(http::Method::Get, "messages", "", {}, Reading::Tree);
  BOOST_TEST(tree->body == nlohmann::json::parse(body));
  BOOST_TEST(tree->text.empty());
  for (const Reading reading : {Reading::Text, Reading::Tree}) {
    const auto [unchanged, none] = call(http::Method::Get, "config", "version=7", {}, reading);
    BOOST_TEST(unchanged->status == 304);
    BOOST_TEST(unchanged->body.is_null());
    BOOST_TEST(unchanged->text.empty());
  }
  for (const Reading reading : {Reading::Text, Reading::Tree}) {
    const auto [empty, none] = call(http::Method::Get, "config", "version=7", {}, reading);
    BOOST_TEST(empty->status == 200);
    BOOST_TEST(empty->body.is_null());
    BOOST_TEST(empty->text.empty());
  }
}

// As the parser judges it, but for a NUL byte after the value: the parser reads it as the end of input, and takes
// "{}\0junk" for {}; no JSON holds a raw NUL, so the link refuses that body whichever way it is read.
BOOST_FIXTURE_TEST_CASE(a_body_is_refused_exactly_when_it_is_not_json, Fixture) {
  const std::vector<std::string> bodies = {
      "{}", "[]", "0", "-0.5e-3", "\"text\"", "null", " true ", "{\"a\":[1,{\"b\":null}]}", "\xEF\xBB\xBF{}",
      std::string("{}\0junk", 7), "\"caf\xC3\xA9\"", "\"\\ud83d\\ude00\"", "1e308",
      "{", "[1,]", "{\"a\":1,}", "1e400", "-1e400", "01", "+1", ".5", "\"\xFF\"", "\"\xC0\xAF\"", "\"\\ud83d\"",
      "\"\\x\"", "nul", "{} x", "[1] [2]", "{'a':1}", "\"tab\there\"", "NaN", "\xEF\xBB\xBF"};
  for (const ParentLink::Reading reading : {ParentLink::Reading::Text, ParentLink::Reading::Tree}) {
    for (const std::string& body : bodies) {
      BOOST_TEST_CONTEXT(body) {
        client.answer(200, body);
        const auto [answer, failure] = call(http::Method::Get, "messages", "", {}, reading);
        const bool json = nlohmann::json::accept(body) && body.find('\0') == std::string::npos;
        BOOST_TEST(answer.has_value() == json);
        if (answer && reading == ParentLink::Reading::Text) BOOST_TEST(answer->text == body);
        if (answer && reading == ParentLink::Reading::Tree) BOOST_TEST(answer->body == nlohmann::json::parse(body));
        if (failure) {
          BOOST_TEST((failure->kind() == SyncFailure::Kind::Unreachable));
          BOOST_TEST(std::string(failure->what()) == "gateway messages at parent:5001: the answer is not JSON");
          BOOST_TEST(std::string(link.not_json("messages").what()) == failure->what());
        }
      }
    }
  }
  // Unchecked: every body comes back as it came, for the caller to check.
  for (const std::string& body : bodies) {
    BOOST_TEST_CONTEXT(body) {
      client.answer(200, body);
      const auto [answer, failure] = call(http::Method::Get, "messages", "", {}, ParentLink::Reading::Unchecked);
      BOOST_REQUIRE(answer.has_value());
      BOOST_TEST(answer->text == body);
      BOOST_TEST(answer->body.is_null());
    }
  }
}

// A parent's documents nest 6 levels at most. One nested 100,000 levels deep (a hostile or broken parent) once
// crashed the child: parsing is iterative, but the child copies and writes out parts of its configuration and
// inventory, which recurses once per level. Such an answer is refused before it is parsed, as one that is not JSON is.
BOOST_FIXTURE_TEST_CASE(a_document_nested_deeper_than_a_parents_ever_are_is_refused_unread, Fixture) {
  const auto nested = [](size_t depth) {
    return "{\"config\":" + std::string(depth - 1, '[') + std::string(depth - 1, ']') + "}";
  };
  client.answer(200, nested(outpost::gateway::kMaxDocumentDepth));
  const auto [deepest, none] = call(http::Method::Get, "config", "", {}, ParentLink::Reading::Tree);
  BOOST_REQUIRE(deepest.has_value());
  BOOST_TEST(deepest->body.contains("config"));
  for (const size_t depth : {outpost::gateway::kMaxDocumentDepth + 1, size_t{200'000}}) {
    BOOST_TEST_CONTEXT(depth) {
      client.answer(200, nested(depth));
      const auto [answer, failure] = call(http::Method::Get, "inventory", "", {}, ParentLink::Reading::Tree);
      BOOST_REQUIRE(failure.has_value());
      BOOST_TEST((failure->kind() == SyncFailure::Kind::Unreachable));
      BOOST_TEST(std::string(failure->what()) ==
                 "gateway inventory at parent:5001: the answer nests deeper than 32 levels");
      BOOST_TEST(std::string(link.too_deep("inventory").what()) == failure->what());
    }
  }
}

BOOST_FIXTURE_TEST_CASE(failures_say_what_failed, Fixture) {
  const auto failure_of = [this](std::string operation) {
    const auto [answer, failure] = call(http::Method::Get, std::move(operation), "");
    BOOST_REQUIRE(failure.has_value());
    return std::make_pair(failure->kind(), std::string(failure->what()));
  };
  using Kind = SyncFailure::Kind;
  client.fail("connection refused");
  BOOST_TEST((failure_of("messages") == std::make_pair(Kind::Unreachable,
                                                       std::string("gateway messages at parent:5001: connection refused"))));
  client.answer(404, R"({"errors":[{"code":"NOT_FOUND","message":"no such registry"}]})");
  BOOST_TEST((failure_of("config") ==
              std::make_pair(Kind::Refused, std::string("gateway config at parent:5001: 404 no such registry"))));
  client.answer(500, R"({"errors":[{"code":"UNKNOWN","message":"boom"}]})");
  BOOST_TEST((failure_of("status") ==
              std::make_pair(Kind::Unreachable, std::string("gateway status at parent:5001: 500 UNKNOWN (boom)"))));
  client.answer(403, R"({"errors":[{"code":"DENIED","message":"connected registry disabled"}]})");
  BOOST_TEST((failure_of("messages") ==
              std::make_pair(Kind::Disabled, std::string("gateway messages at parent:5001: 403 DENIED "
                                                         "(connected registry disabled)"))));
  client.answer(410, "not json at all");
  BOOST_TEST((failure_of("messages") ==
              std::make_pair(Kind::CursorExpired, std::string("gateway messages at parent:5001: 410"))));
  // A 429 for failed logins follows this node's own refused credentials: Unhealthy, as the 401s before it were. It
  // made the node Offline, as if the parent were out of reach. A 429 for another reason is still the parent's load.
  client.answer(429, R"({"errors":[{"code":"TOOMANYREQUESTS","message":"too many failed logins from this address; )"
                     R"(retry later"}]})");
  BOOST_TEST((failure_of("messages").first == Kind::Refused));
  client.answer(429, R"({"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]})");
  BOOST_TEST((failure_of("messages").first == Kind::Unreachable));
  // Any other refusal is one too: a 413 for a status body too large (the parent's gateway takes 4 MiB) read as a
  // success, and the subtree's reports were dropped without a word. A proxy's 408 may not have reached the parent.
  client.answer(413, R"({"errors":[{"code":"SIZE_INVALID","message":"the body is too large"}]})");
  BOOST_TEST((failure_of("status") ==
              std::make_pair(Kind::Refused, std::string("gateway status at parent:5001: 413 SIZE_INVALID "
                                                        "(the body is too large)"))));
  for (const int status : {405, 409, 414, 415, 431}) {
    client.answer(status, "");
    BOOST_TEST((failure_of("status").first == Kind::Refused), status);
  }
  client.answer(408, "request timeout");
  BOOST_TEST((failure_of("messages").first == Kind::Unreachable));
}

BOOST_AUTO_TEST_SUITE_END()
