#define BOOST_TEST_MODULE outpost_sim_report
#include <boost/test/unit_test.hpp>

#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>

#include "simulator/engine/trace.h"
#include "simulator/report/chrome_trace.h"

using namespace outpost;
using namespace outpost::sim;
using namespace std::chrono_literals;

namespace {

nlohmann::json exported(const Trace& trace) {
  const auto records = trace.records();
  return nlohmann::json::parse(report::chrome_trace_json(records));  // throws if it is not valid JSON
}

// The process id of the track named `node`.
int pid_of(const nlohmann::json& events, const std::string& node) {
  for (const auto& event : events)
    if (event.at("ph") == "M" && event.at("name") == "process_name" && event.at("args").at("name") == node)
      return event.at("pid").get<int>();
  BOOST_FAIL("no process named " + node);
  return -1;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(chrome_trace)

BOOST_AUTO_TEST_CASE(exports_valid_json_with_one_track_per_node) {
  Trace trace(Trace::Keep::All);
  trace.record(0ns, "partition", "", "", "edge-1 | cloud");
  const uint64_t round = trace.begin_span(1500ns, "edge-1", "sync round", "round 1");
  trace.record(2ms, "send", "edge-1", "cloud", "GET \"/v2/\"\n\x01");
  trace.record(3ms, "deliver", "cloud", "edge-1", std::string("bad utf-8: \xff\xfe"));
  trace.end_span(4ms, round, "ok");

  const nlohmann::json json = exported(trace);
  BOOST_TEST(json.at("displayTimeUnit") == "ns");
  const auto& events = json.at("traceEvents");
  BOOST_REQUIRE(events.is_array());

  const int world = pid_of(events, "world");
  const int edge = pid_of(events, "edge-1");
  const int cloud = pid_of(events, "cloud");
  BOOST_TEST(std::set<int>({world, edge, cloud}).size() == 3u);
  BOOST_TEST(edge < cloud);  // in order of first appearance

  std::vector<nlohmann::json> data;
  for (const auto& event : events)
    if (event.at("ph") != "M") data.push_back(event);
  BOOST_REQUIRE(data.size() == 5u);
  for (const auto& event : data) {
    for (const char* field : {"name", "ph", "ts", "pid", "tid", "args"}) BOOST_TEST(event.contains(field), field);
    BOOST_TEST(event.at("ts").is_number());
  }

  BOOST_TEST(data[0].at("ph") == "i");
  BOOST_TEST(data[0].at("pid") == world);
  BOOST_TEST(data[0].at("args").at("detail") == "edge-1 | cloud");

  BOOST_TEST(data[1].at("ph") == "b");
  BOOST_TEST(data[1].at("name") == "sync round");
  BOOST_TEST(data[1].at("pid") == edge);
  BOOST_TEST(data[1].at("ts").get<double>() == 1.5);  // microseconds
  BOOST_TEST(data[4].at("ph") == "e");
  BOOST_TEST(data[4].at("name") == "sync round");
  BOOST_TEST(data[4].at("id") == data[1].at("id"));
  BOOST_TEST(data[4].at("pid") == edge);
  BOOST_TEST(data[4].at("args").at("detail") == "ok");

  BOOST_TEST(data[2].at("name") == "send");
  BOOST_TEST(data[2].at("args").at("peer") == "cloud");
  BOOST_TEST(data[2].at("args").at("detail") == "GET \"/v2/\"\n\x01");  // escaped, and back
  BOOST_TEST(data[2].at("ts").get<double>() == 2000.0);
  BOOST_TEST(data[3].at("pid") == cloud);
  BOOST_TEST(data[3].at("args").at("detail").get<std::string>().starts_with("bad utf-8: "));
}

BOOST_AUTO_TEST_CASE(a_span_cut_off_by_the_ring_ends_as_an_instant) {
  Trace trace(Trace::Keep::Last, 2);
  const uint64_t round = trace.begin_span(1ms, "edge", "sync round");
  trace.record(2ms, "send", "edge", "cloud");
  trace.end_span(3ms, round);  // the ring now holds the send and the end, not the begin
  const nlohmann::json json = exported(trace);
  int ends = 0, instants = 0;
  for (const auto& event : json.at("traceEvents")) {
    ends += event.at("ph") == "e";
    instants += event.at("ph") == "i";
  }
  BOOST_TEST(ends == 0);
  BOOST_TEST(instants == 2);
}

BOOST_AUTO_TEST_CASE(an_empty_trace_exports_an_empty_timeline) {
  Trace trace(Trace::Keep::All);
  const nlohmann::json json = exported(trace);
  for (const auto& event : json.at("traceEvents")) BOOST_TEST(event.at("ph") == "M");
}

BOOST_AUTO_TEST_CASE(the_same_records_export_the_same_bytes) {
  Trace a(Trace::Keep::All), b(Trace::Keep::All);
  for (Trace* t : {&a, &b}) {
    t->record(1ns, "x", "n2");
    t->record(2ns, "y", "n1");
  }
  BOOST_TEST(report::chrome_trace_json(a.records()) == report::chrome_trace_json(b.records()));
}

BOOST_AUTO_TEST_CASE(records_written_as_they_happen_export_the_same_timeline) {
  Trace kept(Trace::Keep::All), streamed;
  std::ostringstream streamed_out;
  report::ChromeTraceWriter writer(streamed_out);
  streamed.stream_to([&](const TraceRecord& record) { writer.write(record); });
  for (Trace* t : {&kept, &streamed}) {
    const uint64_t round = t->begin_span(1ms, "edge", "sync round");
    t->record(2ms, "send", "edge", "cloud");
    t->record(3ms, "deliver", "cloud", "edge");
    t->end_span(4ms, round, "ok");
  }
  BOOST_TEST(streamed_out.str().find("]}") == std::string::npos);  // not closed before finish()
  writer.finish();
  writer.finish();  // once only
  BOOST_TEST(streamed_out.str() == report::chrome_trace_json(kept.records()));
  // Each node's naming comes before its first event, so a reader going through once knows every pid it meets.
  std::set<int> named;
  const nlohmann::json document = nlohmann::json::parse(streamed_out.str());  // a named value: the loop reads into it
  for (const auto& event : document.at("traceEvents")) {
    if (event.at("ph") == "M") named.insert(event.at("pid").get<int>());
    else BOOST_TEST(named.contains(event.at("pid").get<int>()));
  }
}

BOOST_AUTO_TEST_SUITE_END()
