// --expiration-in-days and --expiration: the "expiry" a create or generateCredentials request carries.
#include <boost/test/unit_test.hpp>

#include "reference/cli/command_errors.h"
#include "reference/cli/expiration.h"
#include "reference/common/time_format.h"

using namespace outpost;
using namespace outpost::cli;

namespace {
WallTime at(const char* rfc3339) { return *parse_rfc3339(rfc3339); }

ExpirationFlags days(int n) { return {.in_days = n, .at = std::nullopt}; }
ExpirationFlags time_flag(const char* text) { return {.in_days = std::nullopt, .at = std::string(text)}; }
}  // namespace

BOOST_AUTO_TEST_SUITE(expiration)

BOOST_AUTO_TEST_CASE(neither_flag_means_no_expiry) {
  BOOST_TEST(!expiry_from_flags({}, at("2026-03-01T10:20:30Z")).has_value());
}

BOOST_AUTO_TEST_CASE(days_count_whole_days_from_now_floored_to_the_second_in_utc) {
  BOOST_TEST(*expiry_from_flags(days(30), at("2026-03-01T10:20:30.750Z")) == "2026-03-31T10:20:30.000Z");
  BOOST_TEST(*expiry_from_flags(days(1), at("2026-12-31T23:59:59.999Z")) == "2027-01-01T23:59:59.000Z");
}

BOOST_AUTO_TEST_CASE(days_cross_a_leap_day_and_offsets_in_now_do_not_matter) {
  BOOST_TEST(*expiry_from_flags(days(1), at("2028-02-28T08:00:00Z")) == "2028-02-29T08:00:00.000Z");
  BOOST_TEST(*expiry_from_flags(days(365), at("2028-01-01T00:00:00+02:00")) == "2028-12-30T22:00:00.000Z");
}

BOOST_AUTO_TEST_CASE(days_outside_the_allowed_range_are_usage_errors) {
  const WallTime now = at("2026-03-01T10:20:30Z");
  BOOST_CHECK_THROW(expiry_from_flags(days(0), now), UsageError);
  BOOST_CHECK_THROW(expiry_from_flags(days(-3), now), UsageError);
  BOOST_CHECK_THROW(expiry_from_flags(days(kMaxExpirationDays + 1), now), UsageError);
  BOOST_TEST(expiry_from_flags(days(kMaxExpirationDays), now).has_value());
}

BOOST_AUTO_TEST_CASE(an_rfc3339_time_is_sent_as_typed) {
  const WallTime now = at("2026-03-01T10:20:30Z");
  BOOST_TEST(*expiry_from_flags(time_flag("2030-01-31T12:00:00+02:00"), now) == "2030-01-31T12:00:00+02:00");
  // A past time is accepted: SPEC 3.3 reads it as "already expired".
  BOOST_TEST(*expiry_from_flags(time_flag("2001-01-01T00:00:00Z"), now) == "2001-01-01T00:00:00Z");
}

BOOST_AUTO_TEST_CASE(a_time_that_is_not_rfc3339_or_both_flags_are_usage_errors) {
  const WallTime now = at("2026-03-01T10:20:30Z");
  BOOST_CHECK_THROW(expiry_from_flags(time_flag("tomorrow"), now), UsageError);
  BOOST_CHECK_THROW(expiry_from_flags(time_flag("2030-01-31"), now), UsageError);
  BOOST_CHECK_THROW(expiry_from_flags({.in_days = 3, .at = std::string("2030-01-31T12:00:00Z")}, now), UsageError);
}

BOOST_AUTO_TEST_SUITE_END()
