// A relay reads a status body without building a tree (reference/gateway/status_body.h). These compare what it finds
// with what a full parse finds, on bodies chosen to trip a scanner (brackets and quotes inside strings, escaped keys
// and names, duplicated members, reports that are not objects) and on bodies generated at random.
#include <boost/test/unit_test.hpp>

#include <random>

#include "reference/gateway/status_body.h"

using outpost::gateway::split_status_body;
using outpost::gateway::status_body;
using json = nlohmann::json;

namespace {
// What a relay must find, by parsing: for a body {"reports": [...]}, each report's name ("" when it has no string
// "name") and its value; nothing when the body is not that shape.
std::optional<std::vector<std::pair<std::string, json>>> parsed(std::string_view body) {
  const json document = json::parse(body);
  if (!document.is_object() || !document.contains("reports") || !document["reports"].is_array()) return std::nullopt;
  std::vector<std::pair<std::string, json>> out;
  for (const json& report : document["reports"]) {
    const bool named = report.is_object() && report.contains("name") && report["name"].is_string();
    out.emplace_back(named ? report["name"].get<std::string>() : std::string(), report);
  }
  return out;
}

void agrees_with_a_parse(std::string_view body) {
  BOOST_TEST_CONTEXT(body) {
    BOOST_TEST_REQUIRE(json::accept(body));
    const auto split = split_status_body(body);
    const auto expected = parsed(body);
    BOOST_TEST_REQUIRE(split.has_value() == expected.has_value());
    if (!expected) return;
    BOOST_TEST_REQUIRE(split->size() == expected->size());
    for (size_t i = 0; i < expected->size(); ++i) {
      BOOST_TEST((*split)[i].name == (*expected)[i].first);
      BOOST_TEST(json::parse((*split)[i].text) == (*expected)[i].second);  // the bytes of that very report
    }
  }
}

json random_value(std::mt19937& random, int depth) {
  static const std::vector<std::string> strings{"",   "name", "a\"b",   "x]}",  "{[",
                                                "\\", "é",    "line-1", "\n\t", "n\\u0061me"};
  switch (random() % (depth > 3 ? 4 : 6)) {
    case 0: return strings[random() % strings.size()];
    case 1: return static_cast<int>(random() % 2000) - 1000;
    case 2: return random() % 2 == 0;
    case 3: return nullptr;
    case 4: {
      json array = json::array();
      for (size_t i = random() % 4; i > 0; --i) array.push_back(random_value(random, depth + 1));
      return array;
    }
    default: {
      json object = json::object();
      for (size_t i = random() % 4; i > 0; --i)
        object[strings[random() % strings.size()]] = random_value(random, depth + 1);
      return object;
    }
  }
}
}  // namespace

BOOST_AUTO_TEST_SUITE(status_body_reading)

BOOST_AUTO_TEST_CASE(a_relay_finds_what_a_parse_finds) {
  for (const char* body : {
           R"({"reports":[]})",
           R"( { "reports" : [ { "name" : "line1" , "x" : [1, {"y": "]}"}] } ] } )",
           R"({"reports":[{"name":"a"},{"name":"b","status":{"s":"x\"]}"}}]})",
           R"({"reports":[{"n\u0061me":"esc\u0061ped"}, {"name": "line\"1\\"}]})",
           R"({"reports":[{"name":"first","name":"second"}]})",
           R"({"reports":[1, "name", null, true, [{"name":"inner"}], {"name": 7}, {}]})",
           R"({"other":{"reports":[{"name":"no"}]},"reports":[{"name":"yes"}]})",
           R"({"reports":[{"name":"dropped"}],"reports":[{"name":"kept"}]})",
           R"({"reports":{"name":"not a list"}})",
           R"({"report":[]})",
           R"([{"reports":[]}])",
           R"("reports")",
           R"({"reports":[-1.5e3, 0, {"name":"after numbers"}]})",
           "\xEF\xBB\xBF{\"reports\":[{\"name\":\"after a byte order mark\"}]}",
       })
    agrees_with_a_parse(body);
}

BOOST_AUTO_TEST_CASE(random_bodies_read_alike) {
  std::mt19937 random(20261129);  // fixed: the same bodies every run
  for (int i = 0; i < 2000; ++i) {
    json reports = json::array();
    for (size_t n = random() % 5; n > 0; --n) {
      json report = random_value(random, 1);
      if (report.is_object() && random() % 2 == 0) report["name"] = "node-" + std::to_string(random() % 100);
      reports.push_back(report);
    }
    json body = {{"reports", reports}};
    if (random() % 3 == 0) body["version"] = random_value(random, 2);
    const int indent = static_cast<int>(random() % 3) - 1;  // compact, or written out with newlines and spaces
    agrees_with_a_parse(body.dump(indent, indent == 1 ? '\t' : ' ', random() % 2 == 0));
  }
}

BOOST_AUTO_TEST_CASE(a_body_written_from_relayed_reports_holds_them_as_they_came) {
  const json own = {{"name", "site"}, {"connectionState", "Online"}};
  const std::vector<std::string> relayed{R"({"name":"line1","x":[1,2]})", R"( {"name" : "line2"} )"};
  const json body = json::parse(status_body(own.dump(), relayed));
  BOOST_TEST(body == json({{"reports", {own, json::parse(relayed[0]), json::parse(relayed[1])}}}));
  BOOST_TEST(json::parse(status_body(own.dump(), {})) == json({{"reports", {own}}}));
}

BOOST_AUTO_TEST_SUITE_END()
