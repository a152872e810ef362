#include <sstream>
#include <string>

#include <boost/test/unit_test.hpp>

#include "reference/common/json_depth.h"

using namespace outpost;

namespace {
std::string nested(size_t levels) { return std::string(levels, '[') + std::string(levels, ']'); }
}  // namespace

BOOST_AUTO_TEST_SUITE(json_depth)

BOOST_AUTO_TEST_CASE(the_outermost_bracket_is_level_one) {
  BOOST_TEST(!json_nests_deeper_than("3", 0));
  BOOST_TEST(json_nests_deeper_than("{}", 0));
  BOOST_TEST(!json_nests_deeper_than("{}", 1));
  BOOST_TEST(!json_nests_deeper_than(nested(64), 64));
  BOOST_TEST(json_nests_deeper_than(nested(65), 64));
  BOOST_TEST(json_nests_deeper_than(nested(100000), 64));
}

BOOST_AUTO_TEST_CASE(siblings_do_not_add_up) {
  BOOST_TEST(!json_nests_deeper_than(R"({"a":{"b":1},"c":{"d":[1,2]},"e":[[],[],[]]})", 3));
  BOOST_TEST(json_nests_deeper_than(R"({"a":{"b":1},"c":{"d":[[1]]}})", 3));
}

BOOST_AUTO_TEST_CASE(brackets_inside_strings_do_not_count) {
  BOOST_TEST(!json_nests_deeper_than(R"({"[[[[": "{{{{ ]]]] \" [[[["})", 1));
  // An escaped backslash ends the escape: the quote after it closes the string, and the bracket after that counts.
  BOOST_TEST(json_nests_deeper_than(R"({"a\\":[1]})", 1));
  BOOST_TEST(!json_nests_deeper_than(R"({"a\\":1})", 1));
}

BOOST_AUTO_TEST_CASE(the_bounded_parser_refuses_before_parsing_and_parses_otherwise) {
  BOOST_TEST(parse_json_within_depth(R"({"a":[1,{"b":2}]})", 3)["a"][1]["b"] == 2);
  BOOST_CHECK_EXCEPTION(parse_json_within_depth(nested(100000), 64), JsonTooDeep, [](const JsonTooDeep& error) {
    return std::string(error.what()) == "nests deeper than 64 levels";
  });
  std::istringstream stream("[[1]]");
  BOOST_TEST(parse_json_within_depth(stream, 2)[0][0] == 1);
  BOOST_CHECK_THROW(parse_json_within_depth("[1,", 64), nlohmann::json::parse_error);
}

// A file of JSON is read up to a bound (/dev/zero named as a scenario was read until memory ran out), and a NUL byte,
// where the parser would stop reading, is refused.
BOOST_AUTO_TEST_CASE(a_stream_is_read_up_to_a_bound_and_a_nul_is_refused) {
  struct EndlessZeros : std::streambuf {
    char zeros[4096] = {};
    int_type underflow() override {
      setg(zeros, zeros, zeros + sizeof zeros);
      return traits_type::to_int_type(zeros[0]);
    }
  } endless;
  std::istream zeros(&endless);
  BOOST_CHECK_EXCEPTION(parse_json_within_depth(zeros, 64, 1 << 20), std::runtime_error,
                        [](const std::runtime_error& error) {
                          return std::string(error.what()) == "larger than 1048576 bytes";
                        });
  std::istringstream padded(std::string("{\"a\": 1}\0{\"b\": 2}", 17));
  BOOST_CHECK_EXCEPTION(parse_json_within_depth(padded, 64), std::runtime_error, [](const std::runtime_error& error) {
    return std::string(error.what()).find("NUL byte") != std::string::npos;
  });
  std::istringstream small(std::string(100, ' ') + "[1]");
  BOOST_TEST(parse_json_within_depth(small, 64, 103)[0] == 1);  // exactly the bound is read
}

BOOST_AUTO_TEST_SUITE_END()
