#include <boost/test/unit_test.hpp>

#include "reference/common/iso_duration.h"

using namespace outpost;
using namespace std::chrono_literals;

namespace {
// Boost.Test prints optionals of durations poorly; compare counts instead.
long long ns(std::optional<Nanoseconds> value) { return value ? value->count() : -1; }
long long count(Nanoseconds value) { return value.count(); }
}  // namespace

BOOST_AUTO_TEST_SUITE(iso_duration)

BOOST_AUTO_TEST_CASE(parses_the_designators) {
  BOOST_TEST(ns(parse_iso_duration("P2D")) == count(48h));
  BOOST_TEST(ns(parse_iso_duration("PT1H30M")) == count(90min));
  BOOST_TEST(ns(parse_iso_duration("P1W")) == count(7 * 24h));
  BOOST_TEST(ns(parse_iso_duration("PT0.5S")) == count(500ms));
  BOOST_TEST(ns(parse_iso_duration("P1DT12H")) == count(36h));
  BOOST_TEST(ns(parse_iso_duration("P1W2DT3H4M5.000000006S")) == count(9 * 24h + 3h + 4min + 5s + 6ns));
  BOOST_TEST(ns(parse_iso_duration("PT90M")) == count(90min));  // components need not be normalised
  BOOST_TEST(ns(parse_iso_duration("PT0S")) == 0);
}

BOOST_AUTO_TEST_CASE(designators_are_case_insensitive) {
  BOOST_TEST(ns(parse_iso_duration("p2d")) == count(48h));
  BOOST_TEST(ns(parse_iso_duration("pt1h30m")) == count(90min));
  BOOST_TEST(ns(parse_iso_duration("P1dT2h")) == count(26h));
}

BOOST_AUTO_TEST_CASE(refuses_what_it_does_not_take) {
  for (const char* bad : {"", "P", "PT", "P1DT", "P1Y", "P1M", "-P1D", "+P1D", "P1H", "PT1D", "1D", "P1", "PT1.5M",
                          "P1.5D", "PT.5S", "PT1.S", "P1D1W", "PT1M1H", "PT1H1H", "P1DT1HT", " P1D", "P1D ",
                          "P 1D", "PT99999999999999999999S", "P999999D"})
    BOOST_TEST(!parse_iso_duration(bad), bad);
}

BOOST_AUTO_TEST_CASE(formats_the_shortest_canonical_form) {
  BOOST_TEST(format_iso_duration(0s) == "PT0S");
  BOOST_TEST(format_iso_duration(48h) == "P2D");
  BOOST_TEST(format_iso_duration(1h) == "PT1H");
  BOOST_TEST(format_iso_duration(90min) == "PT1H30M");
  BOOST_TEST(format_iso_duration(24h + 2h + 3min + 4500ms) == "P1DT2H3M4.5S");
  BOOST_TEST(format_iso_duration(7 * 24h) == "P7D");
  BOOST_TEST(format_iso_duration(1ns) == "PT0.000000001S");
  BOOST_TEST(format_iso_duration(24h + 1s) == "P1DT1S");
}

BOOST_AUTO_TEST_CASE(format_and_parse_round_trip) {
  for (const char* text : {"P2D", "PT1H", "PT1H30M", "P1DT2H3M4.5S", "PT0S", "PT0.25S", "P90D", "P1DT1M"}) {
    const auto parsed = parse_iso_duration(text);
    BOOST_REQUIRE_MESSAGE(parsed, text);
    BOOST_TEST(format_iso_duration(*parsed) == text);
  }
  BOOST_TEST(format_iso_duration(*parse_iso_duration("P1W")) == "P7D");
  BOOST_TEST(format_iso_duration(*parse_iso_duration("PT90M")) == "PT1H30M");
}

BOOST_AUTO_TEST_CASE(human_forms) {
  BOOST_TEST(ns(parse_human_duration("90s")) == count(90s));
  BOOST_TEST(ns(parse_human_duration("10m")) == count(10min));
  BOOST_TEST(ns(parse_human_duration("1h")) == count(1h));
  BOOST_TEST(ns(parse_human_duration("2d")) == count(48h));
  BOOST_TEST(ns(parse_human_duration("1h30m")) == count(90min));
  BOOST_TEST(ns(parse_human_duration("250ms")) == count(250ms));
  BOOST_TEST(ns(parse_human_duration("1m30s500ms")) == count(90500ms));
  BOOST_TEST(ns(parse_human_duration("0s")) == 0);
  BOOST_TEST(ns(parse_human_duration("PT1H")) == count(1h));
  BOOST_TEST(ns(parse_human_duration("p2d")) == count(48h));
}

BOOST_AUTO_TEST_CASE(human_refusals) {
  for (const char* bad : {"", "90", "s", "1x", "1H", "30m1h", "1h1h", "1.5h", "-1h", "1h ", " 1h", "P", "PT", "1y",
                          "99999999999d"})
    BOOST_TEST(!parse_human_duration(bad), bad);
}

BOOST_AUTO_TEST_SUITE_END()
