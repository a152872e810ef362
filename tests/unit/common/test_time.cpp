#include <boost/test/unit_test.hpp>

#include "reference/common/time_format.h"

using namespace outpost;

BOOST_AUTO_TEST_SUITE(rfc3339)

BOOST_AUTO_TEST_CASE(round_trips) {
  const auto parsed = parse_rfc3339("2026-11-28T20:43:56.123Z");
  BOOST_REQUIRE(parsed);
  BOOST_TEST(format_rfc3339(*parsed) == "2026-11-28T20:43:56.123Z");
}

BOOST_AUTO_TEST_CASE(offsets_are_applied) {
  const auto utc = parse_rfc3339("2026-01-01T10:00:00Z");
  const auto offset = parse_rfc3339("2026-01-01T12:00:00+02:00");
  BOOST_REQUIRE(utc && offset);
  BOOST_TEST((*utc == *offset));
}

BOOST_AUTO_TEST_CASE(rejects_malformed) {
  for (const char* bad : {"", "2026-01-01", "2026-13-01T00:00:00Z", "2026-01-01T00:00:00", "2026-01-01T00:00:00Zjunk",
                          "2026-01-01T00:00:00.", "2999-01-01T00:00:00Z", "9999-12-31T23:59:59Z"})
    BOOST_TEST(!parse_rfc3339(bad), bad);
}

BOOST_AUTO_TEST_SUITE_END()
