#include <boost/test/unit_test.hpp>
#include <algorithm>
#include <cctype>
#include <cstddef>
#include <string>
#include <vector>

#include "reference/oci/digest.h"

using namespace outpost::oci;

namespace {
// FIPS 180-2 test vectors.
const std::string kSha256Empty = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const std::string kSha256Abc = "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
const std::string kSha512Empty =
    "sha512:cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
    "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e";
const std::string kSha512Abc =
    "sha512:ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
    "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f";
}  // namespace

BOOST_AUTO_TEST_SUITE(digests)

BOOST_AUTO_TEST_CASE(known_vectors) {
  BOOST_TEST(digest_of("").str() == kSha256Empty);
  BOOST_TEST(digest_of("abc").str() == kSha256Abc);
  BOOST_TEST(digest_of("", DigestAlgorithm::Sha512).str() == kSha512Empty);
  BOOST_TEST(digest_of("abc", DigestAlgorithm::Sha512).str() == kSha512Abc);
}

BOOST_AUTO_TEST_CASE(accessors_split_algorithm_and_hex) {
  const Digest digest = digest_of("abc", DigestAlgorithm::Sha512);
  BOOST_TEST(digest.algorithm_name() == "sha512");
  BOOST_TEST((digest.algorithm() == DigestAlgorithm::Sha512));
  BOOST_TEST(digest.hex() == kSha512Abc.substr(7));
  BOOST_TEST(!digest.empty());
  BOOST_TEST(Digest().empty());
}

BOOST_AUTO_TEST_CASE(streaming_in_pieces_equals_one_shot) {
  std::string data;
  for (int i = 0; i < 10000; ++i) data.push_back(static_cast<char>('a' + (i * 7) % 26));
  for (const DigestAlgorithm algorithm : {DigestAlgorithm::Sha256, DigestAlgorithm::Sha512}) {
    Hasher hasher(algorithm);
    // Uneven piece sizes, including empty ones, so block boundaries fall everywhere.
    size_t offset = 0, piece = 0;
    while (offset < data.size()) {
      const size_t length = std::min(piece % 97, data.size() - offset);
      hasher.update(std::string_view(data).substr(offset, length));
      offset += length;
      ++piece;
    }
    BOOST_TEST(hasher.finish().str() == digest_of(data, algorithm).str());
  }
}

BOOST_AUTO_TEST_CASE(byte_span_update_equals_string_update) {
  const std::vector<std::byte> bytes = {std::byte{'a'}, std::byte{'b'}, std::byte{'c'}};
  Hasher hasher;
  hasher.update(std::span<const std::byte>(bytes));
  BOOST_TEST(hasher.finish().str() == kSha256Abc);
}

BOOST_AUTO_TEST_CASE(parse_accepts_supported_digests) {
  for (const std::string& text : {kSha256Empty, kSha256Abc, kSha512Empty, kSha512Abc}) {
    const auto digest = Digest::parse(text);
    BOOST_TEST_REQUIRE(digest.has_value(), text);
    BOOST_TEST(digest->str() == text);
  }
  BOOST_TEST((Digest::parse(kSha512Abc)->algorithm() == DigestAlgorithm::Sha512));
  BOOST_TEST((*Digest::parse(kSha256Abc) == digest_of("abc")));
}

BOOST_AUTO_TEST_CASE(parse_rejects_everything_else) {
  std::string uppercase = kSha256Abc;
  for (size_t i = 7; i < uppercase.size(); ++i) uppercase[i] = static_cast<char>(std::toupper(uppercase[i]));
  const std::vector<std::string> rejected = {
      "",
      "sha256",
      "sha256:",
      ":" + kSha256Abc.substr(7),
      uppercase,                                // hex must be lowercase
      kSha256Abc.substr(0, kSha256Abc.size() - 1),  // 63 hex digits
      kSha256Abc + "0",                         // 65 hex digits
      "sha512:" + kSha256Abc.substr(7),         // sha512 needs 128 hex digits
      "sha256:" + kSha512Abc.substr(7),         // and sha256 64
      "sha384:" + std::string(96, 'a'),         // well formed, unsupported algorithm
      "SHA256:" + kSha256Abc.substr(7),
      "sha256:" + std::string(63, 'a') + "g",
      " " + kSha256Abc,
      kSha256Abc + "\n",
  };
  for (const std::string& text : rejected) BOOST_TEST(!Digest::parse(text).has_value(), "accepted '" << text << "'");
}

BOOST_AUTO_TEST_CASE(well_formed_follows_the_general_grammar) {
  BOOST_TEST(Digest::well_formed(kSha256Abc));
  BOOST_TEST(Digest::well_formed("sha384:" + std::string(96, 'a')));
  BOOST_TEST(Digest::well_formed("multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8"));
  BOOST_TEST(Digest::well_formed("sha256+b64u:LCa0a2j_xo_5m0U8HTBBNBNCLXBkg7-g-YpeiGJm564"));
  BOOST_TEST(Digest::well_formed("sha256:ABC"));  // the general grammar allows any case; sha256 itself does not
  BOOST_TEST(!Digest::well_formed("sha256"));
  BOOST_TEST(!Digest::well_formed("sha256:"));
  BOOST_TEST(!Digest::well_formed(":abc"));
  BOOST_TEST(!Digest::well_formed("SHA256:abc"));    // algorithm components are lowercase
  BOOST_TEST(!Digest::well_formed("sha256-:abc"));   // a separator must be followed by a component
  BOOST_TEST(!Digest::well_formed("-sha256:abc"));
  BOOST_TEST(!Digest::well_formed("sha256:ab/c"));
}

BOOST_AUTO_TEST_SUITE_END()
