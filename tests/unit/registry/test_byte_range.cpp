#include <boost/test/unit_test.hpp>

#include "reference/registry/byte_range.h"

using namespace outpost::registry;

BOOST_AUTO_TEST_SUITE(byte_ranges)

// RFC 9110 14.1: the unit is compared without case; "Bytes=0-9" was served as the whole blob.
BOOST_AUTO_TEST_CASE(the_range_unit_has_no_case) {
  for (const char* header : {"Bytes=0-9", "BYTES=0-9", "bYtEs=0-9"}) {
    const auto r = parse_range_header(header, 100);
    BOOST_TEST((r.status == RangeStatus::Partial), header);
    BOOST_TEST(r.range.last == 9u, header);
  }
  BOOST_TEST((parse_range_header("bytes", 100).status == RangeStatus::Whole));
  BOOST_TEST((parse_range_header("byte=0-9", 100).status == RangeStatus::Whole));
}

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

// A zero-byte blob has no range to satisfy: a client sending "bytes=0-" on every GET got 416 for it. Served whole.
BOOST_AUTO_TEST_CASE(a_range_of_an_empty_blob_serves_it_whole) {
  for (const char* header : {"bytes=0-", "bytes=0-0", "bytes=-1", "bytes=-0", "bytes=5-"})
    BOOST_TEST((parse_range_header(header, 0).status == RangeStatus::Whole), header);
  // A one-byte blob still has ranges, and refuses those past it.
  BOOST_TEST((parse_range_header("bytes=0-", 1).status == RangeStatus::Partial));
  BOOST_TEST((parse_range_header("bytes=1-", 1).status == RangeStatus::Unsatisfiable));
}

// A side that is no number, or one too large for 64 bits, was read as absent: "bytes=abc-3" and
// "bytes=99999999999999999999-5" answered the last 3 and 5 bytes as if they were suffix ranges.
BOOST_AUTO_TEST_CASE(a_side_that_is_no_number_is_not_a_suffix_range) {
  BOOST_TEST((parse_range_header("bytes=abc-3", 100).status == RangeStatus::Whole));
  BOOST_TEST((parse_range_header("bytes=1-x", 100).status == RangeStatus::Whole));
  BOOST_TEST((parse_range_header("bytes=+1-3", 100).status == RangeStatus::Whole));
  // Past the end of any blob: its first byte is beyond this one (416), or its last before its first (ignored).
  BOOST_TEST((parse_range_header("bytes=99999999999999999999-", 100).status == RangeStatus::Unsatisfiable));
  BOOST_TEST((parse_range_header("bytes=99999999999999999999-5", 100).status == RangeStatus::Whole));
  const auto to_the_end = parse_range_header("bytes=50-99999999999999999999", 100);
  BOOST_TEST((to_the_end.status == RangeStatus::Partial));
  BOOST_TEST(to_the_end.range.last == 99u);
  const auto suffix = parse_range_header("bytes=-99999999999999999999", 100);
  BOOST_TEST((suffix.status == RangeStatus::Partial));
  BOOST_TEST(suffix.range.first == 0u);
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
