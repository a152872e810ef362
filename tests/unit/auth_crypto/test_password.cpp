// Password generation, PBKDF2 hashing and verification (SPEC 3.3, 4.5).
#include <boost/test/unit_test.hpp>

#include <openssl/evp.h>

#include <atomic>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "reference/auth/base64.h"
#include "reference/auth/password.h"
#include "reference/common/random.h"
#include "tests/unit/auth_crypto/hex.h"

using namespace outpost;
using namespace outpost::auth;

namespace {
using outpost::testing::hex;

// Cheap enough for many cases; the default cost is exercised once below.
const PasswordHashCost kFast{1000};
}  // namespace

BOOST_AUTO_TEST_SUITE(password)

// RFC 7914 section 11 publishes PBKDF2-HMAC-SHA256 vectors; the c=1..4096 ones are the widely used RFC 6070-style set.
BOOST_AUTO_TEST_CASE(pbkdf2_hmac_sha256_known_answers) {
  BOOST_TEST(hex(pbkdf2_hmac_sha256("passwd", "salt", 1, 64)) ==
             "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
             "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783");
  BOOST_TEST(hex(pbkdf2_hmac_sha256("Password", "NaCl", 80000, 64)) ==
             "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56"
             "a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d");
  BOOST_TEST(hex(pbkdf2_hmac_sha256("password", "salt", 1, 32)) ==
             "120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b");
  BOOST_TEST(hex(pbkdf2_hmac_sha256("password", "salt", 2, 32)) ==
             "ae4d0c95af6b46d32d0adff928f06dd02a303f8ef3c251dfd6e2d85a95474c43");
  BOOST_TEST(hex(pbkdf2_hmac_sha256("password", "salt", 4096, 32)) ==
             "c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a");
}

// PBKDF2 runs in PKCS #5 mode: none of SP 800-132's lower bounds (1000 iterations, 16-byte salt, 14-byte key) apply,
// empty inputs work, and secrets may hold NUL bytes or exceed the HMAC block size.
BOOST_AUTO_TEST_CASE(pbkdf2_hmac_sha256_takes_any_input_and_length) {
  BOOST_TEST(hex(pbkdf2_hmac_sha256("", "", 10, 32)) ==
             "a5df20564767ac09d2639ffb66dd49d90e53ce38a6fdc48652b84913fcfb8ac7");
  BOOST_TEST(hex(pbkdf2_hmac_sha256(std::string_view(), std::string_view(), 10, 32)) ==
             "a5df20564767ac09d2639ffb66dd49d90e53ce38a6fdc48652b84913fcfb8ac7");
  BOOST_TEST(pbkdf2_hmac_sha256("password", "salt", 1, 0).empty());
  BOOST_TEST(hex(pbkdf2_hmac_sha256("password", "salt", 1, 1)) == "12");
  BOOST_TEST(hex(pbkdf2_hmac_sha256("password", "salt", 1, 33)) ==
             "120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b4d");
  BOOST_TEST(hex(pbkdf2_hmac_sha256(std::string("pass\0word", 9), std::string("sa\0lt", 5), 4096, 16)) ==
             "89b69d0516f829893c696226650a8687");
  BOOST_TEST(hex(pbkdf2_hmac_sha256(std::string(100, 'x'), "salt", 2, 32)) ==
             "d43a18cd77bafc1a4b0c6025dbbf29c7e6d67acce6ad02a736d4a3003b6a3c26");
}

// pbkdf2_hmac_sha256 is built on SHA-256 states of its own; it must give OpenSSL's PKCS5_PBKDF2_HMAC answer byte for
// byte: passwords shorter than, equal to and longer than the 64-byte HMAC block, empty and NUL-holding inputs, one
// to many iterations, and lengths that end inside, on and after a 32-byte block.
BOOST_AUTO_TEST_CASE(pbkdf2_hmac_sha256_matches_openssl) {
  const std::vector<std::string> passwords = {
      "", "p", "password", std::string("pa\0ss", 5), std::string(44, 'k'), std::string(63, 'a'), std::string(64, 'b'),
      std::string(65, 'c'), std::string(200, '\xff')};
  const std::vector<std::string> salts = {"", "s", "saltSALTsaltSALT", std::string("sa\0lt", 5), std::string(64, 'z'),
                                          std::string(100, '\x80')};
  const std::vector<uint32_t> iteration_counts = {1, 2, 10, 1000};
  const std::vector<size_t> lengths = {0, 1, 16, 31, 32, 33, 64, 65, 100};
  int compared = 0;
  for (const std::string& password : passwords)
    for (const std::string& salt : salts)
      for (const uint32_t iterations : iteration_counts)
        for (const size_t length : lengths) {
          std::string expected(length, '\0');
          BOOST_REQUIRE(PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                                          reinterpret_cast<const unsigned char*>(salt.data()),
                                          static_cast<int>(salt.size()), static_cast<int>(iterations), EVP_sha256(),
                                          static_cast<int>(length),
                                          reinterpret_cast<unsigned char*>(expected.data())) == 1);
          const std::string derived = pbkdf2_hmac_sha256(password, salt, iterations, length);
          BOOST_TEST(hex(derived) == hex(expected), "password of " << password.size() << " bytes, salt of "
                                                                   << salt.size() << " bytes, " << iterations
                                                                   << " iterations, " << length << " bytes");
          ++compared;
        }
  BOOST_TEST(compared == 9 * 6 * 4 * 9);
}

BOOST_AUTO_TEST_CASE(pbkdf2_refuses_bad_arguments_and_keeps_working) {
  BOOST_CHECK_THROW(pbkdf2_hmac_sha256("password", "salt", 0, 32), std::invalid_argument);
  BOOST_CHECK_THROW(pbkdf2_hmac_sha256("password", "salt", 1, size_t{1} << 31), std::invalid_argument);
  BOOST_TEST(hex(pbkdf2_hmac_sha256("password", "salt", 2, 32)) ==
             "ae4d0c95af6b46d32d0adff928f06dd02a303f8ef3c251dfd6e2d85a95474c43");
}

// Derivation keeps per-thread state; threads deriving different inputs at once must each get their own answer.
BOOST_AUTO_TEST_CASE(pbkdf2_from_many_threads_at_once) {
  struct Case {
    std::string password, salt, expected;
  };
  std::vector<Case> cases;
  for (int i = 0; i < 4; ++i) {
    Case c{"password-" + std::to_string(i), "salt-" + std::to_string(i), {}};
    c.expected = pbkdf2_hmac_sha256(c.password, c.salt, 3, 32);
    cases.push_back(std::move(c));
  }
  BOOST_TEST(cases[0].expected != cases[1].expected);
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (const Case& c : cases)
    threads.emplace_back([&c, &mismatches] {
      for (int round = 0; round < 200; ++round)
        if (pbkdf2_hmac_sha256(c.password, c.salt, 3, 32) != c.expected) ++mismatches;
    });
  for (auto& thread : threads) thread.join();
  BOOST_TEST(mismatches.load() == 0);
}

BOOST_AUTO_TEST_CASE(generated_passwords_are_32_random_bytes_in_base64) {
  SeededRandom random(7);
  std::set<std::string> seen;
  for (int i = 0; i < 50; ++i) {
    const std::string password = generate_password(random);
    BOOST_TEST(password.size() == 44u);
    const auto bytes = base64_decode(password);
    BOOST_TEST_REQUIRE(bytes.has_value());
    BOOST_TEST(bytes->size() == kGeneratedPasswordBytes);
    seen.insert(password);
  }
  BOOST_TEST(seen.size() == 50u);
}

BOOST_AUTO_TEST_CASE(generation_follows_the_random_seam) {
  SeededRandom first(99), second(99);
  BOOST_TEST(generate_password(first) == generate_password(second));
}

BOOST_AUTO_TEST_CASE(hash_is_self_describing) {
  SeededRandom random(1);
  const std::string encoded = hash_password("secret", random, kFast);
  BOOST_TEST(encoded.rfind("pbkdf2-sha256$1000$", 0) == 0u);
  // scheme, iterations, salt (16 bytes -> 24 chars), hash (32 bytes -> 44 chars)
  BOOST_TEST(encoded.size() == std::string("pbkdf2-sha256$1000$").size() + 24 + 1 + 44);
  BOOST_TEST(encoded.find("secret") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(verify_accepts_the_right_password_and_refuses_others) {
  SeededRandom random(2);
  const std::string password = generate_password(random);
  const std::string encoded = hash_password(password, random, kFast);
  BOOST_TEST(verify_password(password, encoded));
  BOOST_TEST(!verify_password(password + "x", encoded));
  BOOST_TEST(!verify_password(password.substr(1), encoded));
  BOOST_TEST(!verify_password("", encoded));
  std::string flipped = password;
  flipped[5] = flipped[5] == 'A' ? 'B' : 'A';
  BOOST_TEST(!verify_password(flipped, encoded));
}

BOOST_AUTO_TEST_CASE(verify_at_the_default_cost) {
  SeededRandom random(3);
  const std::string encoded = hash_password("pw", random, PasswordHashCost{});
  BOOST_TEST(encoded.rfind("pbkdf2-sha256$100000$", 0) == 0u);
  BOOST_TEST(verify_password("pw", encoded));
  BOOST_TEST(!verify_password("pW", encoded));
}

BOOST_AUTO_TEST_CASE(empty_password_hashes_and_verifies) {
  SeededRandom random(4);
  const std::string encoded = hash_password("", random, kFast);
  BOOST_TEST(verify_password("", encoded));
  BOOST_TEST(!verify_password(" ", encoded));
}

BOOST_AUTO_TEST_CASE(two_hashes_of_one_password_differ_by_salt) {
  SeededRandom random(5);
  const std::string a = hash_password("same", random, kFast);
  const std::string b = hash_password("same", random, kFast);
  BOOST_TEST(a != b);
  BOOST_TEST(verify_password("same", a));
  BOOST_TEST(verify_password("same", b));
}

BOOST_AUTO_TEST_CASE(hash_matches_pbkdf2_of_its_own_salt) {
  SeededRandom random(6);
  const std::string encoded = hash_password("pw", random, kFast);
  const size_t salt_start = encoded.find('$', encoded.find('$') + 1) + 1;
  const size_t hash_start = encoded.find('$', salt_start) + 1;
  const auto salt = base64_decode(encoded.substr(salt_start, hash_start - 1 - salt_start));
  const auto hash = base64_decode(encoded.substr(hash_start));
  BOOST_TEST_REQUIRE(salt.has_value());
  BOOST_TEST_REQUIRE(hash.has_value());
  BOOST_TEST(*hash == pbkdf2_hmac_sha256("pw", *salt, 1000, 32));
}

BOOST_AUTO_TEST_CASE(iteration_count_comes_from_the_stored_hash) {
  SeededRandom random(8);
  const std::string cheap = hash_password("pw", random, PasswordHashCost{1});
  const std::string dearer = hash_password("pw", random, PasswordHashCost{2000});
  BOOST_TEST(verify_password("pw", cheap));
  BOOST_TEST(verify_password("pw", dearer));
}

BOOST_AUTO_TEST_CASE(malformed_encodings_are_refused) {
  SeededRandom random(9);
  const std::string good = hash_password("pw", random, kFast);
  BOOST_TEST_REQUIRE(verify_password("pw", good));
  const size_t salt_start = good.find('$', good.find('$') + 1) + 1;
  const size_t hash_start = good.find('$', salt_start) + 1;
  const std::string salt = good.substr(salt_start, hash_start - 1 - salt_start);
  const std::string hash = good.substr(hash_start);
  const std::string tail = "$" + salt + "$" + hash;
  for (const std::string& bad : {
           std::string(""),
           std::string("pw"),
           "pbkdf2-sha512$1000" + tail,                              // another scheme
           "PBKDF2-SHA256$1000" + tail,                              // scheme is case-sensitive
           "pbkdf2-sha256$0" + tail,                                 // zero iterations
           "pbkdf2-sha256$01000" + tail,                             // leading zero
           "pbkdf2-sha256$+1000" + tail,                             // sign
           "pbkdf2-sha256$-1000" + tail,
           "pbkdf2-sha256$1000x" + tail,
           "pbkdf2-sha256$" + tail,                                  // empty count
           "pbkdf2-sha256$99999999999" + tail,                       // overflows uint32
           "pbkdf2-sha256$10000001" + tail,                          // above the cap
           "pbkdf2-sha256$1000$" + salt,                             // missing field
           good + "$",                                               // extra field
           good + "$extra",
           "pbkdf2-sha256$1000$" + salt + "$" + hash.substr(4),      // short hash
           "pbkdf2-sha256$1000$" + salt.substr(4) + "$" + hash,      // short salt
           "pbkdf2-sha256$1000$" + salt + "$" + hash + "AAAA",       // long hash
           "pbkdf2-sha256$1000$" + salt + "$" + hash.substr(0, hash.size() - 1),  // bad padding
           "pbkdf2-sha256$1000$" + salt + "$*" + hash.substr(1),     // bad character
           "pbkdf2-sha256$1000$$" + hash,                            // empty salt
       })
    BOOST_TEST(!verify_password("pw", bad), "accepted " << bad);
}

BOOST_AUTO_TEST_CASE(cost_outside_the_allowed_range_is_refused) {
  SeededRandom random(10);
  BOOST_CHECK_THROW(hash_password("pw", random, PasswordHashCost{0}), std::invalid_argument);
  BOOST_CHECK_THROW(hash_password("pw", random, PasswordHashCost{kMaxPasswordIterations + 1}), std::invalid_argument);
  BOOST_CHECK_THROW(dummy_hash(PasswordHashCost{0}), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(cost_of_reads_the_iterations_a_hash_was_made_at) {
  SeededRandom random(12);
  BOOST_TEST(cost_of(hash_password("pw", random, PasswordHashCost{1234}))->iterations == 1234u);
  BOOST_TEST(cost_of(dummy_hash(kFast))->iterations == kFast.iterations);
  BOOST_TEST(!cost_of("pbkdf2-sha256$1000$$"));          // what verify_password refuses tells no cost
  BOOST_TEST(!cost_of("argon2id$1000$c2FsdA==$aGFzaA=="));
  BOOST_TEST(!cost_of(""));
}

BOOST_AUTO_TEST_CASE(dummy_hash_is_well_formed_at_the_cost_and_stable) {
  const std::string& first = dummy_hash(kFast);
  BOOST_TEST(first.rfind("pbkdf2-sha256$1000$", 0) == 0u);
  BOOST_TEST(&dummy_hash(kFast) == &first);  // computed once
  const std::string& other = dummy_hash(PasswordHashCost{1001});
  BOOST_TEST(other.rfind("pbkdf2-sha256$1001$", 0) == 0u);
  BOOST_TEST(dummy_hash(kFast) == first);  // still valid after another cost was added
  // Well-formed, so verifying against it runs the full PBKDF2; and no generated password matches it.
  SeededRandom random(11);
  BOOST_TEST(!verify_password(generate_password(random), first));
  BOOST_TEST(verify_password("no token has this password", first));  // proves the work is really done
}

BOOST_AUTO_TEST_SUITE_END()
