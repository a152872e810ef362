// The hash of the flat tables on a request's path: every byte counts, whether it falls in a whole word or in the
// tail, and so does the length (a key and the same key with zero bytes after it must not share a hash by design).
#include <boost/test/unit_test.hpp>

#include <set>
#include <string>

#include "reference/common/word_hash.h"

using outpost::word_hash;

BOOST_AUTO_TEST_SUITE(word_hash_of_bytes)

BOOST_AUTO_TEST_CASE(the_same_bytes_hash_the_same) {
  const std::string name = "line1-l2-n3-sync-token";
  BOOST_TEST(word_hash(name) == word_hash(std::string(name)));
  BOOST_TEST(word_hash("") == word_hash(std::string_view()));
}

BOOST_AUTO_TEST_CASE(any_changed_byte_or_length_changes_the_hash) {
  const std::string base(21, 'a');  // two whole words and a five-byte tail
  std::set<uint64_t> seen{word_hash(base)};
  for (size_t at = 0; at < base.size(); ++at) {
    std::string changed = base;
    changed[at] = 'b';
    BOOST_TEST(seen.insert(word_hash(changed)).second, "byte " << at);
  }
  for (size_t size = 0; size < 24; ++size)
    BOOST_TEST(seen.insert(word_hash(std::string(size, '\0'))).second, "zeros " << size);
}

BOOST_AUTO_TEST_CASE(low_and_high_bits_both_spread) {
  // Tables take a slot from the low bits (name_table.h) or the high ones (flat_slots.h).
  std::set<uint64_t> low, high;
  for (int i = 0; i < 256; ++i) {
    const uint64_t hash = word_hash("token-" + std::to_string(i));
    low.insert(hash & 0xff);
    high.insert(hash >> 56);
  }
  BOOST_TEST(low.size() > 128u);
  BOOST_TEST(high.size() > 128u);
}

BOOST_AUTO_TEST_SUITE_END()
