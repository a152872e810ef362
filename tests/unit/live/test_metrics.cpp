// The Prometheus text registry (reference/common/metrics.h); it lives in common but is tested beside its first user.
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <limits>
#include <thread>

#include "reference/common/metrics.h"

using namespace outpost::metrics;

BOOST_AUTO_TEST_SUITE(metrics_registry)

BOOST_AUTO_TEST_CASE(counter_with_labels_renders_help_type_and_sorted_series) {
  Registry registry;
  auto& requests = registry.counter("outpost_http_requests_total", "HTTP requests answered.", {"route", "status"});
  requests.with({"tags", "200"}).inc();
  requests.with({"blob_get", "404"}).inc(2);
  requests.with({"blob_get", "200"}).inc();
  requests.with({"blob_get", "200"}).inc();
  BOOST_TEST(registry.render() ==
             "# HELP outpost_http_requests_total HTTP requests answered.\n"
             "# TYPE outpost_http_requests_total counter\n"
             "outpost_http_requests_total{route=\"blob_get\",status=\"200\"} 2\n"
             "outpost_http_requests_total{route=\"blob_get\",status=\"404\"} 2\n"
             "outpost_http_requests_total{route=\"tags\",status=\"200\"} 1\n");
}

BOOST_AUTO_TEST_CASE(label_values_and_help_are_escaped) {
  Registry registry;
  registry.gauge("outpost_odd", "Help with a \\ and a\nnewline.", {"v"}).with({"a\"b\\c\nd"}).set(1.5);
  BOOST_TEST(registry.render() ==
             "# HELP outpost_odd Help with a \\\\ and a\\nnewline.\n"
             "# TYPE outpost_odd gauge\n"
             "outpost_odd{v=\"a\\\"b\\\\c\\nd\"} 1.5\n");
}

BOOST_AUTO_TEST_CASE(histogram_renders_cumulative_buckets_sum_and_count) {
  Registry registry;
  auto& latency = registry.histogram("outpost_latency_seconds", "Latency.", {"route"}, {0.25, 1, 10});
  auto& series = latency.with({"x"});
  series.observe(0.125);
  series.observe(0.25);  // on a bound: counted in that bucket (le = less or equal)
  series.observe(2);
  series.observe(100);
  BOOST_TEST(registry.render() ==
             "# HELP outpost_latency_seconds Latency.\n"
             "# TYPE outpost_latency_seconds histogram\n"
             "outpost_latency_seconds_bucket{route=\"x\",le=\"0.25\"} 2\n"
             "outpost_latency_seconds_bucket{route=\"x\",le=\"1\"} 2\n"
             "outpost_latency_seconds_bucket{route=\"x\",le=\"10\"} 3\n"
             "outpost_latency_seconds_bucket{route=\"x\",le=\"+Inf\"} 4\n"
             "outpost_latency_seconds_sum{route=\"x\"} 102.375\n"
             "outpost_latency_seconds_count{route=\"x\"} 4\n");
}

BOOST_AUTO_TEST_CASE(families_sort_by_name_and_collectors_append_after_them) {
  Registry registry;
  registry.add_collector([](std::string& out) { out += "outpost_storage_bytes 42\n"; });
  registry.gauge("outpost_b", "B.").with().set(-3);
  registry.counter("outpost_a", "A.").with().inc();
  BOOST_TEST(registry.render() ==
             "# HELP outpost_a A.\n# TYPE outpost_a counter\noutpost_a 1\n"
             "# HELP outpost_b B.\n# TYPE outpost_b gauge\noutpost_b -3\n"
             "outpost_storage_bytes 42\n");
}

BOOST_AUTO_TEST_CASE(registering_again_returns_the_same_family_or_throws_on_a_mismatch) {
  Registry registry;
  auto& first = registry.counter("outpost_x_total", "X.", {"a"});
  BOOST_TEST(&registry.counter("outpost_x_total", "X.", {"a"}) == &first);
  BOOST_CHECK_THROW(registry.counter("outpost_x_total", "X.", {"b"}), std::invalid_argument);
  BOOST_CHECK_THROW(registry.gauge("outpost_x_total", "X.", {"a"}), std::invalid_argument);
  BOOST_CHECK_THROW(registry.counter("outpost bad", "X."), std::invalid_argument);
  BOOST_CHECK_THROW(registry.counter("outpost_y", "Y.", {"le"}), std::invalid_argument);
  BOOST_CHECK_THROW(first.with({"1", "2"}), std::invalid_argument);
  BOOST_CHECK_THROW(registry.histogram("outpost_h", "H.", {}, {1, 1}), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(values_format_like_prometheus) {
  BOOST_TEST(format_value(3) == "3");
  BOOST_TEST(format_value(0.25) == "0.25");
  BOOST_TEST(format_value(std::numeric_limits<double>::infinity()) == "+Inf");
  BOOST_TEST(format_value(-std::numeric_limits<double>::infinity()) == "-Inf");
  BOOST_TEST(format_value(std::nan("")) == "NaN");
}

BOOST_AUTO_TEST_CASE(concurrent_increments_are_not_lost) {
  Registry registry;
  auto& family = registry.counter("outpost_hits_total", "Hits.", {"t"});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) family.with({i % 2 ? "odd" : "even"}).inc();
    });
  for (auto& thread : threads) thread.join();
  BOOST_TEST(family.with({"odd"}).value() == 20000);
  BOOST_TEST(family.with({"even"}).value() == 20000);
}

BOOST_AUTO_TEST_SUITE_END()
