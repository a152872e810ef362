#include <boost/test/unit_test.hpp>

#include <string>

#include "reference/common/ascii.h"

using namespace outpost;

BOOST_AUTO_TEST_SUITE(ascii_case)

BOOST_AUTO_TEST_CASE(lowercases_ascii_letters_only) {
  BOOST_TEST(ascii_lowercase("AbC/Z-9") == "abc/z-9");
  BOOST_TEST(ascii_lowercase("@[`{") == "@[`{");  // the neighbours of 'A'-'Z' and 'a'-'z' stay
  // UTF-8 bytes of "Émile" and a Latin-1 'À' (0xC0) are not letters here: a name with them is refused elsewhere,
  // never quietly equal to another.
  BOOST_TEST(ascii_lowercase("\xC3\x89mile") == "\xC3\x89mile");
  BOOST_TEST(ascii_lowercase(std::string("\xC0", 1)) == std::string("\xC0", 1));
  BOOST_TEST(ascii_lowercase("") == "");
}

BOOST_AUTO_TEST_CASE(compares_without_ascii_case) {
  static_assert(ascii_iequals("Content-Length", "content-length"));
  BOOST_TEST(ascii_iequals("ReadWrite", "READWRITE"));
  BOOST_TEST(!ascii_iequals("ReadWrite", "ReadWrit"));  // a prefix is not equal
  BOOST_TEST(!ascii_iequals("a[", "A{"));               // '[' is not '{' lowercased
  BOOST_TEST(!ascii_iequals("\xC3\x89", "\xC3\xA9"));  // 'É' and 'é' in UTF-8: not ASCII, not folded
  BOOST_TEST(ascii_iequals("", ""));
}

BOOST_AUTO_TEST_SUITE_END()

