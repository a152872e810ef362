#include <boost/test/unit_test.hpp>

#include "reference/registry/byte_range.h"

using namespace outpost::registry;

BOOST_AUTO_TEST_SUITE(byte_ranges)

BOOST_AUTO_TEST_CASE(range_header_forms) {
  auto r = parse_range_header("bytes=0-9", 100);
  BOOST_TEST((r.status == RangeStatus::Partial));
  BOOST_TEST(r.range.first == 0u);
  BOOST_TEST(r.range.last == 9u);
  r = parse_range_header("bytes=90-", 100);
  BOOST_TEST(r.range.first == 90u);
  BOOST_TEST(r.range.last == 99u);
  r = parse_range_header("bytes=-10", 100);
  BOOST_TEST(r.range.first == 90u);
  r = parse_range_header("bytes=50-1000", 100);
  BOOST_TEST(r.range.last == 99u);
  BOOST_TEST((parse_range_header("bytes=100-", 100).status == RangeStatus::Unsatisfiable));
  BOOST_TEST((parse_range_header(std::nullopt, 100).status == RangeStatus::Whole));
  BOOST_TEST((parse_range_header("items=1-2", 100).status == RangeStatus::Whole));
  BOOST_TEST((parse_range_header("bytes=0-1,5-6", 100).status == RangeStatus::Whole));
}

BOOST_AUTO_TEST_CASE(content_range_forms) {
  BOOST_TEST(parse_content_range("0-99")->last == 99u);
  BOOST_TEST(parse_content_range("bytes 100-199/1000")->first == 100u);
  BOOST_TEST(!parse_content_range("5-1"));
  BOOST_TEST(!parse_content_range("abc"));
  // 2^64 bytes: the length would wrap to 0 and pass for an empty chunk.
  BOOST_TEST(!parse_content_range("0-18446744073709551615"));
  BOOST_TEST(parse_content_range("1-18446744073709551615")->length() == UINT64_MAX);
}

BOOST_AUTO_TEST_SUITE_END()
