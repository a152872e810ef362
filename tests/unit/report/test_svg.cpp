// The SVG primitives of the HTML report: escaping, numbers, scales and the element builder.
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <string>

#include "simulator/report/svg.h"
#include "tests/unit/report/occurrences.h"

using namespace outpost::sim::report;

namespace {
using outpost::sim::report::test::occurrences;
const std::string kReplacement = "\xEF\xBF\xBD";
}  // namespace

BOOST_AUTO_TEST_SUITE(svg)

BOOST_AUTO_TEST_CASE(escape_turns_markup_into_text) {
  BOOST_TEST(escape("<script>alert(\"x\") & 'y'</script>") ==
             "&lt;script&gt;alert(&quot;x&quot;) &amp; &#39;y&#39;&lt;/script&gt;");
  BOOST_TEST(escape("plain line1, store") == "plain line1, store");
  BOOST_TEST(escape("tab\tand\nnewline") == "tab\tand\nnewline");
  BOOST_TEST(escape(std::string("bell\x01\x7f!")) == "bell!");  // control characters would break the XML of an SVG
}

BOOST_AUTO_TEST_CASE(escape_keeps_utf8_and_replaces_what_is_not) {
  BOOST_TEST(escape("caf\xC3\xA9 \xE2\x86\x92 \xF0\x9F\x9A\x80") == "caf\xC3\xA9 \xE2\x86\x92 \xF0\x9F\x9A\x80");
  BOOST_TEST(escape("a\xFF"
                    "b") == "a" + kReplacement + "b");
  BOOST_TEST(escape("\xC0\xAF") == kReplacement + kReplacement);                     // overlong '/'
  BOOST_TEST(escape("\xED\xA0\x80") == kReplacement + kReplacement + kReplacement);  // a surrogate
  BOOST_TEST(escape("cut \xE2\x86") == "cut " + kReplacement + kReplacement);        // truncated sequence
}

BOOST_AUTO_TEST_CASE(class_names_hold_only_safe_characters) {
  BOOST_TEST(class_name("link-down") == "link-down");
  BOOST_TEST(class_name("Sync Round\"><x") == "sync-round---x");
  BOOST_TEST(class_name("") == "x");
}

BOOST_AUTO_TEST_CASE(numbers_have_at_most_two_decimals) {
  BOOST_TEST(number(12.5) == "12.5");
  BOOST_TEST(number(3.0) == "3");
  BOOST_TEST(number(1234.567) == "1234.57");
  BOOST_TEST(number(-0.004) == "0");
  BOOST_TEST(number(-7.25) == "-7.25");
  BOOST_TEST(number(std::nan("")) == "0");
  BOOST_TEST(number(INFINITY) == "0");
}

BOOST_AUTO_TEST_CASE(a_scale_maps_its_domain_onto_its_range) {
  const LinearScale x(0, 100, 0, 500);
  BOOST_TEST(x(0) == 0);
  BOOST_TEST(x(50) == 250);
  BOOST_TEST(x(100) == 500);
  // A y axis runs backwards: larger values higher up (smaller y).
  const LinearScale y(0, 10, 200, 0);
  BOOST_TEST(y(2.5) == 150);
  BOOST_TEST(y(10) == 0);
  // One value: the domain widens to a unit instead of dividing by zero.
  const LinearScale flat(5, 5, 0, 100);
  BOOST_TEST(flat(5) == 0);
  BOOST_TEST(flat(6) == 100);
  BOOST_TEST(flat.domain_max() == 6);
}

BOOST_AUTO_TEST_CASE(ticks_are_round_and_inside_the_domain) {
  BOOST_TEST(tick_step(100, 5) == 20);
  BOOST_TEST(tick_step(7, 5) == 2);       // 1.4 rounds up to 2
  BOOST_TEST(tick_step(1000, 8) == 200);  // 125 rounds up to 200
  BOOST_TEST(std::abs(tick_step(0.3, 3) - 0.1) < 1e-12);
  BOOST_TEST(tick_step(0, 5) == 1);

  const std::vector<double> ticks = LinearScale(0, 100, 0, 1).ticks(5);
  BOOST_TEST(ticks == (std::vector<double>{0, 20, 40, 60, 80, 100}), boost::test_tools::per_element());
  const std::vector<double> inside = LinearScale(3, 97, 0, 1).ticks(5);
  BOOST_TEST(inside == (std::vector<double>{20, 40, 60, 80}), boost::test_tools::per_element());
  const LinearScale widened = LinearScale(3, 97, 0, 1).nice(5);
  BOOST_TEST(widened.domain_min() == 0);
  BOOST_TEST(widened.domain_max() == 100);
}

BOOST_AUTO_TEST_CASE(the_builder_writes_escaped_elements_and_counts_them) {
  Svg svg(100, 50, "a \"chart\"");
  svg.line(0, 0, 10, 10, "axis")
      .rect(1, 2, 3, 4, "bar s0", "p50 <1ms>")
      .circle(5, 5, 2, "dot")
      .polyline({{0, 0}, {1.5, 2.25}}, "series")
      .text(10, 20, "<b>node</b>", "middle", "label");
  BOOST_TEST(svg.elements() == 5u);
  const std::string out = svg.str();
  BOOST_TEST(out.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 100 50\""));
  BOOST_TEST(out.find("aria-label=\"a &quot;chart&quot;\"") != std::string::npos);
  BOOST_TEST(
      out.find(
          "<rect x=\"1\" y=\"2\" width=\"3\" height=\"4\" class=\"bar s0\"><title>p50 &lt;1ms&gt;</title></rect>") !=
      std::string::npos);
  BOOST_TEST(out.find("<polyline points=\"0,0 1.5,2.25\" class=\"series\"/>") != std::string::npos);
  BOOST_TEST(out.find("text-anchor=\"middle\" class=\"label\">&lt;b&gt;node&lt;/b&gt;</text>") != std::string::npos);
  BOOST_TEST(occurrences(out, "<b>") == 0u);
  BOOST_TEST(out.ends_with("</svg>"));
}

BOOST_AUTO_TEST_CASE(a_negative_size_draws_nothing_rather_than_invalid_svg) {
  Svg svg(10, 10, "x");
  svg.rect(0, 0, -5, -1, "bar");
  BOOST_TEST(svg.str().find("width=\"0\" height=\"0\"") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
