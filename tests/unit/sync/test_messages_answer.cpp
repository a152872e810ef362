// A sync round reads the gateway's answer to a messages call without a tree when it has the usual shape
// (reference/sync/sync_agent_messages.h). These compare what the round reads through it with what the round read from
// the parsed tree before: the configuration version, the changes in order, the cursor, and where and with which error
// the reading stopped, on answers chosen to differ in one rule each and on answers generated at random.
#include <boost/test/unit_test.hpp>

#include <random>
#include <string>
#include <vector>

#include "reference/gateway/protocol.h"
#include "reference/sync/sync_agent_messages.h"

using outpost::oci::ContentChange;
using outpost::sync::MessagesAnswer;
using json = nlohmann::json;

namespace {

// What a round makes of an answer: every step it got through, then the error that stopped it, if any.
struct Reading {
  std::vector<std::string> steps;
  std::string error;
  bool operator==(const Reading&) const = default;
};

std::string describe(const ContentChange& change) {
  return "change " + std::to_string(static_cast<int>(change.kind)) + " " + change.repository + " " +
         change.digest.str() + " " + (change.tag ? "tag " + *change.tag : "untagged");
}

// The round's reading of the tree, as it was written before the answer was read in place.
Reading by_tree(const std::string& text, const std::string& cursor) {
  Reading reading;
  try {
    json body = text.empty() ? json() : json::parse(text);
    reading.steps.push_back("version " + std::to_string(body.value("configVersion", uint64_t{0})));
    const auto& messages = body["messages"];
    reading.steps.push_back(messages.empty() ? "none" : "some");
    for (const auto& message : messages) {
      ContentChange change;
      const std::string type = message.value("type", "");
      change.kind = type == "manifestDeleted" ? ContentChange::Kind::ManifestDeleted
                    : type == "tagDeleted"    ? ContentChange::Kind::TagDeleted
                                              : ContentChange::Kind::ManifestPut;
      change.repository = message.value("repository", "");
      change.digest = outpost::oci::Digest::parse(message.value("digest", "")).value_or(outpost::oci::Digest{});
      if (message.contains("tag") && message["tag"].is_string()) change.tag = message["tag"].get<std::string>();
      reading.steps.push_back(describe(change));
    }
    reading.steps.push_back("cursor " + body.value("cursor", cursor));
  } catch (const std::exception& error) {
    reading.error = error.what();
  }
  return reading;
}

// The round's reading now.
Reading by_answer(const MessagesAnswer& answer, const std::string& cursor) {
  Reading reading;
  try {
    reading.steps.push_back("version " + std::to_string(answer.config_version()));
    const size_t count = answer.size();
    reading.steps.push_back(count == 0 ? "none" : "some");
    for (size_t i = 0; i < count; ++i) reading.steps.push_back(describe(answer.change(i)));
    const std::string read = answer.cursor(cursor);
    reading.steps.push_back("cursor " + read);
    // cursor_is says what comparing with cursor() says (a step is added only when it does not).
    const std::vector<std::string> currents = {cursor, read, read + "x", "x" + read};
    for (const std::string& current : currents)
      if (answer.cursor_is(current) != (answer.cursor(current) == current))
        reading.steps.push_back("cursor_is misreads " + current);
  } catch (const std::exception& error) {
    reading.error = error.what();
  }
  return reading;
}

const std::string kDigest = "sha256:" + std::string(64, 'a');

// Checks that the two readings agree, and that the answer was read in place exactly when `in_place`.
void check(const std::string& text, bool in_place) {
  BOOST_TEST_CONTEXT(text) {
    const MessagesAnswer answer(text);
    BOOST_TEST(answer.read_in_place() == in_place);
    const Reading expected = by_tree(text, "old.1");
    const Reading got = by_answer(answer, "old.1");
    BOOST_TEST(got.steps == expected.steps, boost::test_tools::per_element());
    BOOST_TEST(got.error == expected.error);
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(messages_answer)

BOOST_AUTO_TEST_CASE(an_answer_is_json_exactly_when_the_parser_says_so) {
  for (const std::string text : {R"({"configVersion":1,"cursor":"e.1","messages":[]})", R"({"cursor":5})", "[]",
                                 "null", "{", R"({"cursor":"e.1",})", "{} x", "\"\xFF\"", "nul"}) {
    BOOST_TEST_CONTEXT(text) { BOOST_TEST(MessagesAnswer(text).json() == json::accept(text)); }
  }
  BOOST_TEST(MessagesAnswer("").json());  // no body reads as null (and is refused as the tree refuses null)
}

BOOST_AUTO_TEST_CASE(usual_answers_are_read_in_place_as_the_tree_reads_them) {
  check(R"({"configVersion":7,"cursor":"e1.42","messages":[]})", true);
  check(R"({"configVersion":0,"cursor":"e1.0","messages":[]})", true);
  check(R"({"configVersion":18446744073709551615,"cursor":"e","messages":[]})", true);
  check(R"({"cursor":"e1.3"})", true);  // no version, no messages
  check(R"({"configVersion":1,"cursor":"e\u0031.\"4\\2","messages":[]})", true);  // escapes in the cursor
  check(R"({"configVersion":1,"cursor":"old.\u0031"})", true);  // the round's own cursor, written escaped
  check(R"({"configVersion":3})", true);  // no cursor: the round keeps its own
  check(R"({"messages":null,"cursor":"x"})", true);
  check(R"({})", true);
  check(R"( { "configVersion" : 2 , "cursor" : "a.1" , "messages" : [ ] } )", true);
  check(R"({"configVersion":2,"cursor":"a.2","messages":[{"digest":")" + kDigest +
            R"(","repository":"team/app","tag":"v1","type":"manifestPut"},{"digest":")" + kDigest +
            R"(","repository":"team/app","type":"manifestDeleted"},{"digest":")" + kDigest +
            R"(","repository":"r","tag":"old","type":"tagDeleted"}]})",
        true);
  // Escapes in keys and values, and a value that is not a digest.
  check(R"({"cur\u0073or":"e\u00e9.1","messages":[{"repository":"a\/b","digest":"nope","ta\u0067":"t\"1"}]})", true);
  // A later member replaces an earlier one, at either level.
  check(R"({"cursor":"a","cursor":"b","configVersion":1,"configVersion":2})", true);
  check(R"({"messages":[{"repository":"x"}],"messages":[]})", true);
  check(R"({"messages":[],"messages":[{"repository":"x"},{"repository":"y"}]})", true);
  check(R"({"messages":[{"tag":"a","tag":5,"repository":"r","repository":"s"}]})", true);
  // A tag that is not a string is no tag; members the round does not read are skipped whatever they hold.
  check(R"({"messages":[{"tag":null},{"tag":7},{"tag":{"a":[1]}},{"tag":["x"]}],"other":[[{"a":1}]],"n":1.5})", true);
  check(R"({"messages":[{"extra":{"type":5},"type":"tagDeleted"}],"cursor":"c"})", true);
}

// An answer of another shape is parsed into a tree, which the round reads; one nested deeper than a parent's
// documents ever are is refused before that (the round throws ParentLink::too_deep), as test_parent_link shows for
// the answers the link parses. The usual shape is read in place and never parsed, whatever its unread members hold.
BOOST_AUTO_TEST_CASE(an_answer_of_another_shape_nested_too_deep_is_not_parsed) {
  const auto brackets = [](size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); };
  const size_t limit = outpost::gateway::kMaxDocumentDepth;
  const MessagesAnswer deepest(brackets(limit));
  BOOST_TEST(deepest.json());
  BOOST_TEST(!deepest.too_deep());
  BOOST_TEST(!deepest.read_in_place());
  for (const size_t depth : {limit + 1, size_t{200'000}}) {
    BOOST_TEST_CONTEXT(depth) {
      const MessagesAnswer answer(brackets(depth));
      BOOST_TEST(answer.json());
      BOOST_TEST(answer.too_deep());
    }
  }
  const MessagesAnswer usual(R"({"configVersion":1,"cursor":"e.1","messages":[],"other":)" + brackets(200'000) + "}");
  BOOST_TEST(usual.read_in_place());
  BOOST_TEST(!usual.too_deep());
  BOOST_TEST(usual.config_version() == 1u);
}

BOOST_AUTO_TEST_CASE(other_answers_are_read_through_the_tree_with_its_errors) {
  check("", false);  // no body
  check("null", false);
  check("[]", false);
  check(R"("text")", false);
  check("5", false);
  check(R"({"configVersion":-1})", false);
  check(R"({"configVersion":1.5,"cursor":"c"})", false);
  check(R"({"configVersion":1e2})", false);
  check(R"({"configVersion":18446744073709551616})", false);
  check(R"({"configVersion":"7"})", false);
  check(R"({"configVersion":null})", false);
  check(R"({"configVersion":true})", false);
  check(R"({"cursor":5,"messages":[{"repository":"applied first"}]})", false);
  check(R"({"cursor":null})", false);
  check(R"({"messages":{"b":{"repository":"two"},"a":{"repository":"one"}}})", false);
  check(R"({"messages":{}})", false);
  check(R"({"messages":"text"})", false);
  check(R"({"messages":0})", false);
  check(R"({"messages":false})", false);
  check(R"({"messages":[{"repository":"ok"},5,{"repository":"never"}]})", false);
  check(R"({"messages":[{"repository":"ok"},[],{"repository":"never"}]})", false);
  check(R"({"messages":[{"repository":"ok"},{"type":3}]})", false);
  check(R"({"messages":[{"repository":null}]})", false);
  check(R"({"messages":[{"digest":["x"]}]})", false);
  // An odd member replaced by a usual one is usual, and the other way round.
  check(R"({"messages":5,"messages":[]})", true);
  check(R"({"messages":[],"messages":[7]})", false);
  check(R"({"messages":[7],"messages":[{}]})", true);
}

BOOST_AUTO_TEST_CASE(random_answers_read_the_same_both_ways) {
  std::mt19937 random(20261130);
  const auto pick = [&random](int n) { return static_cast<int>(random() % static_cast<unsigned>(n)); };
  const std::vector<std::string> scalars = {"null", "true", "0", "7", "-3", "2.5", "18446744073709551615",
                                            "18446744073709551616", "\"\"", "\"manifestDeleted\"", "\"tagDeleted\"",
                                            "\"a\\u0062c\"", "\"" + kDigest + "\"", "[]", "{}", "[\"x\"]"};
  const std::vector<std::string> message_keys = {"type", "repository", "digest", "tag", "other", "t\\u0061g"};
  const std::vector<std::string> top_keys = {"configVersion", "cursor", "messages", "other", "cursor"};
  const auto message = [&] {
    std::string text = "{";
    for (int members = pick(5); members > 0; --members) {
      if (text.size() > 1) text += ',';
      const std::string key = message_keys[static_cast<size_t>(pick(static_cast<int>(message_keys.size())))];
      const bool usual = pick(4) != 0;
      text += "\"" + key + "\":" +
              (usual && key != "other" ? "\"value" + std::to_string(pick(3)) + "\""
                                       : scalars[static_cast<size_t>(pick(static_cast<int>(scalars.size())))]);
    }
    return text + "}";
  };
  int in_place = 0;
  for (int round = 0; round < 2000; ++round) {
    std::string text = "{";
    for (int members = pick(5); members > 0; --members) {
      if (text.size() > 1) text += ',';
      const std::string key = top_keys[static_cast<size_t>(pick(static_cast<int>(top_keys.size())))];
      text += "\"" + key + "\":";
      const int shape = pick(6);
      if (key == "messages" && shape < 4) {
        text += '[';
        for (int elements = pick(4); elements > 0; --elements) {
          if (text.back() != '[') text += ',';
          text += pick(8) == 0 ? scalars[static_cast<size_t>(pick(static_cast<int>(scalars.size())))] : message();
        }
        text += ']';
      } else if (key == "configVersion" && shape < 4) {
        text += std::to_string(random());
      } else if (key == "cursor" && shape < 4) {
        text += "\"e." + std::to_string(pick(100)) + "\"";
      } else {
        text += scalars[static_cast<size_t>(pick(static_cast<int>(scalars.size())))];
      }
    }
    text += '}';
    BOOST_TEST_CONTEXT(text) {
      const MessagesAnswer answer(text);
      in_place += answer.read_in_place() ? 1 : 0;
      const Reading expected = by_tree(text, "old.1");
      const Reading got = by_answer(answer, "old.1");
      BOOST_TEST(got.steps == expected.steps, boost::test_tools::per_element());
      BOOST_TEST(got.error == expected.error);
    }
  }
  // Both paths were exercised.
  BOOST_TEST(in_place > 200);
  BOOST_TEST(in_place < 1800);
}

BOOST_AUTO_TEST_SUITE_END()
