// Base64 known answers (RFC 4648 section 10) and the strictness that keeps one value from having two spellings.
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
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

// The decoder works four symbols at a time; a plain symbol-at-a-time reading of RFC 4648 (URL-safe alphabet, no
// padding, unused bits zero) must agree with it on every text, valid or not, including a bad symbol in any position
// of a whole group or of the last, short one.
BOOST_AUTO_TEST_CASE(decoding_agrees_with_a_symbol_at_a_time_reference) {
  const std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const auto reference = [&](std::string_view text) -> std::optional<std::string> {
    if (text.size() % 4 == 1) return std::nullopt;
    std::string out;
    uint32_t buffer = 0;
    int bits = 0;
    for (char c : text) {
      const size_t value = alphabet.find(c);
      if (value == std::string_view::npos) return std::nullopt;
      buffer = (buffer << 6 | static_cast<uint32_t>(value)) & 0xffffff;
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        out.push_back(static_cast<char>(buffer >> bits & 0xff));
      }
    }
    if (bits > 0 && (buffer & ((1u << bits) - 1)) != 0) return std::nullopt;
    return out;
  };
  std::mt19937 generator(7);
  const std::string symbols = std::string(alphabet) + "+/=.";  // mostly valid, sometimes not
  int valid = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string text(generator() % 12, 'A');
    for (char& c : text) c = symbols[generator() % (round % 2 == 0 ? alphabet.size() : symbols.size())];
    const auto expected = reference(text);
    BOOST_TEST((base64url_decode(text) == expected), "disagree on " << text);
    if (expected) ++valid;
  }
  BOOST_TEST(valid > 1000);  // both outcomes were exercised
  BOOST_TEST(valid < 19000);
}

BOOST_AUTO_TEST_SUITE_END()
