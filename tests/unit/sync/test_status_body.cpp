// A relay reads a status body in one pass, without building a tree (reference/gateway/status_body.h). These compare
// what it finds with what a full parse finds, on bodies chosen to trip a scanner (brackets and quotes inside strings,
// escaped keys and names, duplicated members, reports that are not objects) and on bodies generated at random; and its
// verdict on whether a body is JSON with nlohmann::json::accept's, rule by rule.
#include <boost/test/unit_test.hpp>

#include <initializer_list>
#include <optional>
#include <random>
#include <string>

#include "reference/gateway/status_body.h"

using outpost::gateway::read_status_body;
using Verdict = outpost::gateway::StatusBodyReading::Verdict;
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
    const auto read = read_status_body(body);
    const auto expected = parsed(body);
    BOOST_TEST_REQUIRE((read.verdict == Verdict::Reports) == expected.has_value());
    if (!expected) {
      BOOST_TEST((read.verdict == Verdict::NotReports));
      return;
    }
    BOOST_TEST_REQUIRE(read.reports.size() == expected->size());
    for (size_t i = 0; i < expected->size(); ++i) {
      BOOST_TEST(read.reports[i].name == (*expected)[i].first);
      BOOST_TEST(json::parse(read.reports[i].text) == (*expected)[i].second);  // the bytes of that very report
    }
  }
}

// The body with its bytes outside printable ASCII written as \xNN, for a failure's context.
std::string printable(std::string_view body) {
  static const char* const kHex = "0123456789abcdef";
  std::string out;
  for (const char c : body) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7f) {
      out += c;
    } else {
      out += "\\x";
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
    }
  }
  return out;
}

// The relay calls `body` JSON exactly when nlohmann::json::accept does; `expected` says which, so that a change in
// either shows.
void judged_alike(std::string_view body, bool expected) {
  BOOST_TEST_CONTEXT(printable(body)) {
    BOOST_TEST(json::accept(body) == expected);
    BOOST_TEST((read_status_body(body).verdict != Verdict::NotJson) == expected);
  }
}
// Found as a parse finds it when it is JSON, refused as not JSON when the lexer refuses it.
void agrees_or_refused_alike(std::string_view body) {
  if (json::accept(body))
    agrees_with_a_parse(body);
  else
    judged_alike(body, false);
}
void judged_alike(std::initializer_list<std::string_view> bodies, bool expected) {
  for (const std::string_view body : bodies) judged_alike(body, expected);
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

using namespace std::string_literals;  // for bodies holding a NUL byte

BOOST_AUTO_TEST_CASE(only_a_bom_at_the_very_start_and_json_whitespace_surround_the_value) {
  judged_alike({"\xEF\xBB\xBF{}", " \t\n\r{} \t\n\r", "\xEF\xBB\xBF \n[1]\r\n"}, true);
  judged_alike({"", " \t\n\r", "\xEF\xBB\xBF", " \xEF\xBB\xBF{}", "\xEF\xBB{}", "\xEF{}", "\xEF\xBB\xBF\xEF\xBB\xBF{}",
                "\f{}", "{}\v", "\xC2\xA0{}", "{}\xC2\xA0", "/**/{}", "{}//", "{} {}", "{}x", "1 2", "\"a\" \"b\""},
               false);
}

// nlohmann's lexer reads a NUL as the end of the input (as at the end of a C string), so it accepts a value followed by
// a NUL and anything at all. JSON never holds a raw NUL: the reading refuses such a body (a relay once passed up
// "{reports}\0garbage" as a status body), and judges every other placement of a NUL as the lexer does.
BOOST_AUTO_TEST_CASE(a_nul_byte_is_never_json_though_the_lexer_ends_input_there) {
  const std::string bodies[] = {"{}\0"s, "{}\0garbage"s, "[1] \0 ]]"s, "1\0x"s, "true\0"s,
                                "{\"reports\":[{\"name\":\"a\"}]}\0{\"reports\":[]}"s};
  for (const std::string& body : bodies) {
    BOOST_TEST_CONTEXT(printable(body)) {
      BOOST_TEST(json::accept(body));  // the lexer's reading, which the status body reading does not follow
      BOOST_TEST((read_status_body(body).verdict == Verdict::NotJson));
    }
  }
  judged_alike({"\0{}"s, "\0"s, "[1\0]"s, "tr\0ue"s, "\"a\0\""s, "{\"a\":\0}"s}, false);
}

BOOST_AUTO_TEST_CASE(literals_are_spelt_in_full_in_lower_case) {
  judged_alike({"true", "false", "null", "[true,false,null]", "{\"a\":null}"}, true);
  judged_alike({"True", "NULL", "nul", "tru", "fals", "truex", "nullnull", "[true false]", "undefined", "'a'"}, false);
}

BOOST_AUTO_TEST_CASE(numbers_follow_the_grammar_and_fit_a_double) {
  judged_alike({"0", "-0", "7", "-12", "0.5", "-0.0e-0", "1e5", "1E+5", "1e-5", "12.50E007", "[0,1,-1]",
                "18446744073709551615", "18446744073709551616", "-9223372036854775809", "1" + std::string(300, '0'),
                "1e308", "1.7976931348623157e308", "-1.7976931348623158e308", "1e-400", "0e999999", "0.0001e310",
                "1e0000000000000000000308", "0." + std::string(400, '0') + "1e400"},
               true);
  // A double overflows past DBL_MAX (rounded to nearest), and an integer past 64 bits is read as a double.
  judged_alike({"01", "-01", "00", "+1", "1.", ".5", "-.5", "1e", "1e+", "1E-", "-", "--1", "1.e5", "0x1", "1e5.3",
                "Infinity", "-Infinity", "NaN", "1_000", "1" + std::string(309, '0'), "1.7976931348623159e308",
                "1e309", "-1e309", "[1e400]", "1e99999999999999999999", "{\"a\":-2e308}"},
               false);
}

BOOST_AUTO_TEST_CASE(strings_hold_escapes_and_no_control_characters) {
  judged_alike({R"("")", R"("\"\\\/\b\f\n\r\t")", R"("\u0041\u00e9\uABCD\uffFF")", R"("\u0000")", "\"\x7f\"",
                "\" ~!#\""},
               true);
  judged_alike({R"("\x41")", R"("\'")", R"("\a")", R"("\u12")", R"("\u12G4")", R"("\U0041")", "\"\\", "\"abc",
                R"("abc\")", "\"a\tb\"", "\"a\nb\"", "\"\x1f\"", "\"\x01\"", "\"a\0b\""s, "'a'", "[\"a]"},
               false);
}

// The scan passes over plain string bytes eight at a time: every byte value, at each place in a word and at the ends
// of a long string, is judged as the lexer judges it.
BOOST_AUTO_TEST_CASE(every_byte_is_judged_alike_wherever_it_sits_in_a_long_string) {
  for (int byte = 0; byte < 256; ++byte) {
    for (size_t at = 0; at < 20; ++at) {
      std::string text(20, 'a');
      text[at] = static_cast<char>(byte);
      const std::string body = "{\"reports\":[{\"name\":\"" + text + "\"}]}";
      BOOST_TEST_CONTEXT(printable(body)) {
        const bool accepted = json::accept(body);
        BOOST_TEST(accepted == (byte >= 0x20 && byte < 0x80 && byte != '"' && byte != '\\'));
        const auto read = read_status_body(body);
        BOOST_TEST((read.verdict != Verdict::NotJson) == accepted);
        if (accepted) {
          BOOST_TEST_REQUIRE(read.reports.size() == 1U);
          BOOST_TEST(read.reports[0].name == text);
        }
      }
    }
  }
  // A multi-byte character, an escape and the closing quote straddling the eight-byte steps.
  for (size_t at = 0; at < 20; ++at) {
    for (const std::string& inner : {"\xC3\xA9"s, "\xF0\x9F\x98\x80"s, "\\\""s, "\\u00e9"s, "\\uD83D\\uDE00"s,
                                     "\xC3"s, "\xE2\x82"s, "\\u12"s}) {
      const std::string text = std::string(at, 'a') + inner + std::string(19 - at, 'b');
      agrees_or_refused_alike("{\"reports\":[{\"name\":\"" + text + "\"}]}");
      agrees_or_refused_alike("{\"reports\":[{\"" + text + "\":1}]}");
    }
  }
}

BOOST_AUTO_TEST_CASE(a_surrogate_escape_is_a_high_one_followed_by_a_low_one) {
  judged_alike({R"("\uD83D\uDE00")", R"("\ud800\udc00")", R"("\uDBFF\uDFFF")", R"("x\uD83D\uDE00y")"}, true);
  judged_alike({R"("\uD83D")", R"("\uDE00")", R"("\uD83Dx")", R"("\uD83D\u0041")", R"("\uD83D\uD83D")",
                R"("\uDE00\uD83D")", R"("\uD83D\n")", R"("\uD83D\uDE0")", R"("\uD83D\\uDE00")"},
               false);
}

BOOST_AUTO_TEST_CASE(strings_are_well_formed_utf8) {
  judged_alike({"\"\xC3\xA9\"", "\"\xC2\x80\xDF\xBF\"", "\"\xE0\xA0\x80\"", "\"\xED\x9F\xBF\"", "\"\xEE\x80\x80\"",
                "\"\xEF\xBF\xBF\"", "\"\xF0\x90\x80\x80\"", "\"\xF3\xBF\xBF\xBF\"", "\"\xF4\x8F\xBF\xBF\""},
               true);
  judged_alike({"\"\x80\"", "\"\xBF\"", "\"\xC0\xAF\"", "\"\xC1\xBF\"", "\"\xC3\"", "\"\xC3\x41\"", "\"\xE0\x80\xAF\"",
                "\"\xE0\x9F\xBF\"", "\"\xED\xA0\x80\"", "\"\xED\xBF\xBF\"", "\"\xE2\x82\"", "\"\xE2\x82",
                "\"\xF0\x8F\xBF\xBF\"", "\"\xF4\x90\x80\x80\"", "\"\xF5\x80\x80\x80\"", "\"\xF8\x88\x80\x80\x80\"",
                "\"\xFE\"", "\"\xFF\"", "\xC3\xA9", "[\xC3\xA9]"},
               false);
}

BOOST_AUTO_TEST_CASE(objects_and_arrays_close_what_they_open) {
  judged_alike({"{}", "[]", "[[]]", "[{}]", "{\"\":{}}", "{\"a\":1,\"a\":2}", "{ \"a\" : [ 1 , { } ] }", "[1,[2,[3]]]"},
               true);
  judged_alike({"{", "}", "[", "]", "[1,]", "[,1]", "[,]", "{,}", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "{1:2}",
                "{a:1}", "{\"a\" 1}", "{\"a\"::1}", "[1 2]", "{\"a\":1 \"b\":2}", "[1]]", "{}}", "[}", "{]", "[[]",
                "{\"a\":[}]"},
               false);
}

BOOST_AUTO_TEST_CASE(bodies_may_nest_deeper_than_a_call_stack_reaches) {
  const size_t levels = 1'000'000;
  const std::string arrays = std::string(levels, '[') + std::string(levels, ']');
  BOOST_TEST(json::accept(arrays));
  BOOST_TEST((read_status_body(arrays).verdict == Verdict::NotReports));
  const std::string unclosed = std::string(levels, '[') + std::string(levels - 1, ']');
  BOOST_TEST(!json::accept(unclosed));
  BOOST_TEST((read_status_body(unclosed).verdict == Verdict::NotJson));
  std::string objects;
  for (size_t i = 0; i < levels; ++i) objects += "{\"a\":";
  objects += "null" + std::string(levels, '}');
  BOOST_TEST(json::accept(objects));
  const std::string body = R"({"reports":[)" + objects + R"(,{"name":"shallow"}]})";
  const auto read = read_status_body(body);
  BOOST_TEST_REQUIRE((read.verdict == Verdict::Reports));
  BOOST_TEST_REQUIRE(read.reports.size() == 2U);
  BOOST_TEST((read.reports[0].text == objects));
  BOOST_TEST(read.reports[1].name == "shallow");
}

BOOST_AUTO_TEST_CASE(a_body_that_is_not_json_is_told_from_json_that_is_not_a_status) {
  BOOST_TEST((read_status_body(R"({"reports":[1e400]})").verdict == Verdict::NotJson));
  BOOST_TEST((read_status_body(R"({"reports":[{"name":"a\uDE00"}]})").verdict == Verdict::NotJson));
  BOOST_TEST((read_status_body(R"({"reports":[]}, )").verdict == Verdict::NotJson));
  BOOST_TEST((read_status_body("").verdict == Verdict::NotJson));
  for (const char* body : {R"({"reports":{}})", R"({"reports":[]  ,  "reports":7})", R"([])", R"(null)", R"({})"})
    BOOST_TEST((read_status_body(body).verdict == Verdict::NotReports), body);
  const auto read = read_status_body(R"({"reports":[{"name":"a","name":1},{"name":1,"name":"b"},{"name":{"name":"c"}}]})");
  BOOST_TEST_REQUIRE((read.verdict == Verdict::Reports));
  BOOST_TEST_REQUIRE(read.reports.size() == 3U);
  BOOST_TEST(read.reports[0].name == "");  // the last "name" counts, and it is not a string
  BOOST_TEST(read.reports[1].name == "b");
  BOOST_TEST(read.reports[2].name == "");
}

BOOST_AUTO_TEST_CASE(a_body_written_from_relayed_reports_holds_them_as_they_came) {
  const json own = {{"name", "site"}, {"connectionState", "Online"}};
  const std::vector<std::string> relayed{R"({"name":"line1","x":[1,2]})", R"( {"name" : "line2"} )"};
  const json body = json::parse(status_body(own.dump(), relayed));
  BOOST_TEST(body == json({{"reports", {own, json::parse(relayed[0]), json::parse(relayed[1])}}}));
  BOOST_TEST(json::parse(status_body(own.dump(), {})) == json({{"reports", {own}}}));
}

BOOST_AUTO_TEST_SUITE_END()
