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

BOOST_AUTO_TEST_SUITE_END()
