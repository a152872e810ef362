#include <boost/test/unit_test.hpp>
#include <string>

#include "reference/oci/reference.h"

using namespace outpost::oci;

namespace {
const std::string kSha256 = "sha256:" + std::string(64, 'a');
const std::string kSha512 = "sha512:" + std::string(128, 'b');
}  // namespace

BOOST_AUTO_TEST_SUITE(references)

BOOST_AUTO_TEST_CASE(tags_parse_as_tags) {
  const auto reference = Reference::parse("v1.0");
  BOOST_TEST_REQUIRE(reference.has_value());
  BOOST_TEST(!reference->is_digest());
  BOOST_TEST(reference->tag == "v1.0");
  BOOST_TEST(reference->str() == "v1.0");
}

BOOST_AUTO_TEST_CASE(digests_parse_as_digests) {
  for (const std::string& text : {kSha256, kSha512}) {
    const auto reference = Reference::parse(text);
    BOOST_TEST_REQUIRE(reference.has_value());
    BOOST_TEST(reference->is_digest());
    BOOST_TEST(reference->tag.empty());
    BOOST_TEST(reference->digest->str() == text);
    BOOST_TEST(reference->str() == text);
  }
}

BOOST_AUTO_TEST_CASE(constructors_match_parse) {
  BOOST_TEST((Reference::of_tag("latest") == *Reference::parse("latest")));
  BOOST_TEST((Reference::of_digest(*Digest::parse(kSha256)) == *Reference::parse(kSha256)));
  BOOST_TEST(!(Reference::of_tag("latest") == *Reference::parse(kSha256)));
}

BOOST_AUTO_TEST_CASE(invalid_references_are_refused_with_a_reason) {
  struct Case {
    std::string text;
    ReferenceProblem problem;
  };
  const Case cases[] = {
      {"", ReferenceProblem::InvalidTag},
      {".v1", ReferenceProblem::InvalidTag},
      {std::string(129, 't'), ReferenceProblem::InvalidTag},
      {"a/b", ReferenceProblem::InvalidTag},
      {"sha256:abc", ReferenceProblem::InvalidDigest},                       // too short
      {"sha256:" + std::string(64, 'A'), ReferenceProblem::InvalidDigest},   // uppercase hex
      {"v1:latest", ReferenceProblem::UnsupportedDigestAlgorithm},           // grammatical, unknown algorithm
      {"sha384:" + std::string(96, 'a'), ReferenceProblem::UnsupportedDigestAlgorithm},
      {"Sha256:" + std::string(64, 'a'), ReferenceProblem::InvalidDigest},  // algorithms are lowercase
      {":" + std::string(64, 'a'), ReferenceProblem::InvalidDigest},
  };
  for (const Case& c : cases) {
    BOOST_TEST(!Reference::parse(c.text).has_value(), "accepted '" << c.text << "'");
    BOOST_TEST((diagnose_reference(c.text) == c.problem), "wrong reason for '" << c.text << "'");
  }
  BOOST_TEST((diagnose_reference("latest") == ReferenceProblem::None));
  BOOST_TEST((diagnose_reference(kSha512) == ReferenceProblem::None));
}

BOOST_AUTO_TEST_CASE(unsupported_digest_means_grammatical_but_unregistered) {
  BOOST_TEST(is_unsupported_digest("sha384:" + std::string(96, 'a')));
  BOOST_TEST(is_unsupported_digest("blake3:" + std::string(64, 'a')));
  BOOST_TEST(!is_unsupported_digest(kSha256));
  BOOST_TEST(!is_unsupported_digest("sha256:xyz"));  // malformed sha256: invalid, not unsupported
  BOOST_TEST(!is_unsupported_digest("not a digest"));
}

BOOST_AUTO_TEST_SUITE_END()
