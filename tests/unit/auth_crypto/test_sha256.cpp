// The SHA-256 helper behind the credential caches and key ids: FIPS 180-2 known answers, also from many threads.
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "reference/auth/sha256.h"
#include "tests/unit/auth_crypto/hex.h"

using namespace outpost::auth;

namespace {
using outpost::testing::hex;

constexpr const char* kAbc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
}  // namespace

BOOST_AUTO_TEST_SUITE(sha256_helper)

BOOST_AUTO_TEST_CASE(known_answers) {
  BOOST_TEST(hex(sha256("")) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  BOOST_TEST(hex(sha256(std::string_view())) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  BOOST_TEST(hex(sha256("abc")) == kAbc);
  BOOST_TEST(hex(sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")) ==
             "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  BOOST_TEST(sha256(std::string(1000, 'a')).size() == kSha256Bytes);
}

BOOST_AUTO_TEST_CASE(one_call_leaves_nothing_for_the_next) {
  // Each thread reuses one digest context: a long input, then short ones, must give what they give alone.
  const std::string long_input(1000, 'a');
  const std::string first = sha256(long_input);
  BOOST_TEST(hex(sha256("abc")) == kAbc);
  BOOST_TEST(hex(sha256("")) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  BOOST_TEST(sha256(long_input) == first);
  const Sha256Digest digest = sha256_digest("abc");
  BOOST_TEST(hex(std::string(reinterpret_cast<const char*>(digest.data()), digest.size())) == kAbc);
}

BOOST_AUTO_TEST_CASE(same_digest_sees_a_difference_in_any_byte) {
  const Sha256Digest digest = sha256_digest("abc");
  BOOST_TEST(same_digest(digest, digest));
  BOOST_TEST(same_digest(digest, sha256_digest("abc")));
  // A single flipped bit in any byte must count, wherever it is.
  for (size_t at = 0; at < kSha256Bytes; ++at) {
    for (const unsigned char bit : {0x01, 0x80}) {
      Sha256Digest other = digest;
      other[at] ^= bit;
      BOOST_TEST(!same_digest(digest, other), "byte " << at << " bit " << int(bit));
      BOOST_TEST(!same_digest(other, digest), "byte " << at << " bit " << int(bit));
    }
  }
  BOOST_TEST(!same_digest(digest, sha256_digest("abd")));
}

BOOST_AUTO_TEST_CASE(from_many_threads_at_once) {
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&mismatches] {
      for (int round = 0; round < 500; ++round)
        if (hex(sha256("abc")) != kAbc) ++mismatches;
    });
  for (auto& thread : threads) thread.join();
  BOOST_TEST(mismatches.load() == 0);
}

BOOST_AUTO_TEST_SUITE_END()
