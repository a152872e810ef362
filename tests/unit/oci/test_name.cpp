#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

#include "reference/oci/name.h"

using namespace outpost::oci;

namespace {
// A name of exactly `length` characters made of valid two-character components ("ab/ab/..." and a final "a" if odd).
std::string name_of_length(size_t length) {
  std::string name;
  while (name.size() + 3 <= length) name += name.empty() ? "ab" : "/ab";
  while (name.size() < length) name += 'a';
  return name;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(repository_names)

BOOST_AUTO_TEST_CASE(accepted) {
  const std::vector<std::string> accepted = {
      "a",           "library/ubuntu", "a/b/c/d/e", "0", "a0b1",       "a.b",     "a_b",      "a__b",
      "a-b",         "a---b",          "a.b_c__d-e", "a-b/c.d", "x1/y2-z3", "registry.example.com/team/app",
      "foo--bar--baz",
  };
  for (const std::string& name : accepted) BOOST_TEST(valid_repository_name(name), "refused '" << name << "'");
}

BOOST_AUTO_TEST_CASE(rejected) {
  const std::vector<std::string> rejected = {
      "",      "A",     "Library/ubuntu", "a/B",    // lowercase only
      "a._b",  "a_.b",  "a___b",  "a..b",  "a_-b",  "a-_b", "a-.b",  "a.-b",  // mixed or over-long separators
      ".a",    "_a",    "-a",     "a.",    "a_",    "a-",   "a__",            // leading or trailing separators
      "/a",    "a/",    "a//b",   "/",     "a/-b",  "a/b_", "a/.b",           // empty or badly bounded components
      "a b",   "a:b",   "a@b",    "a+b",   "é",     "a\nb", std::string("a\0b", 3),
  };
  for (const std::string& name : rejected) BOOST_TEST(!valid_repository_name(name), "accepted '" << name << "'");
}

BOOST_AUTO_TEST_CASE(length_limit_is_255) {
  BOOST_TEST(name_of_length(255).size() == 255u);
  BOOST_TEST(valid_repository_name(name_of_length(255)));
  BOOST_TEST(!valid_repository_name(name_of_length(256)));
  BOOST_TEST(valid_repository_name(std::string(255, 'a')));
  BOOST_TEST(!valid_repository_name(std::string(256, 'a')));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(tags)

BOOST_AUTO_TEST_CASE(accepted) {
  const std::vector<std::string> accepted = {
      "latest", "v1.2.3", "_", "_private", "A", "0", "1.0-rc.1_build", "UPPER-lower.Mixed", "a..b", "a__-.x",
      std::string(128, 'a'), "_" + std::string(127, '-'),
  };
  for (const std::string& tag : accepted) BOOST_TEST(valid_tag(tag), "refused '" << tag << "'");
}

BOOST_AUTO_TEST_CASE(rejected) {
  const std::vector<std::string> rejected = {
      "",  std::string(129, 'a'), ".hidden", "-dash", "a:b", "a/b", "a b", "a+b", "é", "sha256:abc", "a\n",
  };
  for (const std::string& tag : rejected) BOOST_TEST(!valid_tag(tag), "accepted '" << tag << "'");
}

BOOST_AUTO_TEST_SUITE_END()
