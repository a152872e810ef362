// Base64 known answers (RFC 4648 section 10) and the strictness that keeps one value from having two spellings.
#include <boost/test/unit_test.hpp>

#include <string>
#include <utility>
#include <vector>

#include "reference/auth/base64.h"

using namespace outpost::auth;

BOOST_AUTO_TEST_SUITE(base64)

const std::vector<std::pair<std::string, std::string>> kRfc4648 = {
    {"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},       {"foo", "Zm9v"},
    {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
};

BOOST_AUTO_TEST_CASE(standard_known_answers) {
  for (const auto& [plain, encoded] : kRfc4648) {
    BOOST_TEST(base64_encode(plain) == encoded);
    const auto decoded = base64_decode(encoded);
    BOOST_TEST_REQUIRE(decoded.has_value(), encoded);
    BOOST_TEST(*decoded == plain);
  }
}

BOOST_AUTO_TEST_CASE(url_safe_known_answers_drop_padding) {
  for (const auto& [plain, encoded] : kRfc4648) {
    std::string unpadded = encoded;
    while (!unpadded.empty() && unpadded.back() == '=') unpadded.pop_back();
    BOOST_TEST(base64url_encode(plain) == unpadded);
    const auto decoded = base64url_decode(unpadded);
    BOOST_TEST_REQUIRE(decoded.has_value(), unpadded);
    BOOST_TEST(*decoded == plain);
  }
}

BOOST_AUTO_TEST_CASE(alphabets_differ_in_the_last_two_symbols) {
  const std::string bytes("\xfb\xff\xbf", 3);  // 111110 111111 111110 111111
  BOOST_TEST(base64_encode(bytes) == "+/+/");
  BOOST_TEST(base64url_encode(bytes) == "-_-_");
  BOOST_TEST(!base64_decode("-_-_").has_value());
  BOOST_TEST(!base64url_decode("+/+/").has_value());
  BOOST_TEST(*base64_decode("+/+/") == bytes);
  BOOST_TEST(*base64url_decode("-_-_") == bytes);
}

BOOST_AUTO_TEST_CASE(every_byte_value_round_trips) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  for (size_t length = 0; length <= all.size(); length += 37) {
    const std::string bytes = all.substr(0, length);
    BOOST_TEST(*base64_decode(base64_encode(bytes)) == bytes);
    BOOST_TEST(*base64url_decode(base64url_encode(bytes)) == bytes);
  }
}

BOOST_AUTO_TEST_CASE(standard_decoding_is_strict) {
  for (const char* bad : {"Zg", "Zg=", "Zg===", "Z===", "====", "Zm9v=", "Z", "Zm9vY", "Zg==Zg==", "Zm 9v", "Zm9v\n",
                          "Zm9*", "Zh==", "Zm9=", "=Zm9", "Zm=v", "Zg-_"})
    BOOST_TEST(!base64_decode(bad).has_value(), "accepted " << bad);
}

BOOST_AUTO_TEST_CASE(url_safe_decoding_is_strict) {
  // Padding is forbidden in JWS; one leftover symbol cannot hold a byte; unused bits must be zero.
  for (const char* bad : {"Zg==", "Zm8=", "Z", "Zm9vY", "Zh", "Zm9", "Zm+v", "Zm/v", "Zm9v ", "."})
    BOOST_TEST(!base64url_decode(bad).has_value(), "accepted " << bad);
  BOOST_TEST(!base64url_decode(std::string("Zm\0v", 4)).has_value());
}

BOOST_AUTO_TEST_SUITE_END()
