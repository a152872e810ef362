#include <boost/test/unit_test.hpp>

#include <functional>
#include <string>
#include <vector>

#include "reference/common/random.h"
#include "simulator/engine/event_loop.h"
#include "simulator/engine/stable_hash.h"
#include "simulator/engine/trace.h"

using namespace outpost;
using namespace outpost::sim;
using namespace std::chrono_literals;

namespace {

// A small run: two nodes exchanging messages in a sync round.
void small_run(Trace& trace, const std::function<void(Trace&)>& extra = {}) {
  const uint64_t round = trace.begin_span(1ms, "edge", "sync round", "round 1");
  trace.record(2ms, "send", "edge", "cloud", "GET /v2/app/manifests/1");
  trace.record(3ms, "deliver", "cloud", "edge", "GET /v2/app/manifests/1");
  if (extra) extra(trace);
  trace.record(4ms, "deliver", "edge", "cloud", "200 1234 bytes");
  trace.end_span(5ms, round, "ok");
}

// A simulated run on the event loop: nodes send to random peers after random delays, every delivery traced.
uint64_t simulated_run_hash(uint64_t seed) {
  EventLoop loop;
  Trace trace;
  SeededRandom random(seed);
  const std::vector<std::string> nodes{"cloud", "mid", "edge-1", "edge-2"};
  std::function<void(int, int)> send = [&](int from, int hops) {
    if (hops == 0) return;
    const auto to = static_cast<int>(random.uniform(nodes.size()));
    loop.schedule_after(Nanoseconds(random.uniform(1'000'000)), [&, from, to, hops] {
      trace.record(loop.now(), "deliver", nodes[to], nodes[from], "hop " + std::to_string(hops));
      send(to, hops - 1);
    });
  };
  for (int i = 0; i < 4; ++i) send(i, 50);
  loop.run();
  BOOST_TEST(trace.count() == 200u);
  return trace.hash();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(trace)

BOOST_AUTO_TEST_CASE(equal_runs_give_equal_hashes) {
  Trace a, b(Trace::Keep::All), c(Trace::Keep::Last, 2);
  small_run(a);
  small_run(b);
  small_run(c);
  BOOST_TEST(a.hash() == b.hash());  // what is kept does not change the hash
  BOOST_TEST(a.hash() == c.hash());
  BOOST_TEST(a.count() == 5u);
  BOOST_TEST(a.hash() != Trace().hash());
}

BOOST_AUTO_TEST_CASE(one_changed_event_changes_the_hash) {
  Trace reference;
  small_run(reference);
  const std::vector<std::function<void(Trace&)>> changes{
      [](Trace& t) { t.record(3ms, "x", "", "", ""); },                  // one event more
      [](Trace& t) { t.record(3ms, "", "", "", ""); },                   // even an empty one
  };
  for (const auto& change : changes) {
    Trace changed;
    small_run(changed, change);
    BOOST_TEST(changed.hash() != reference.hash());
  }
  // One field of one event differs.
  const auto variant = [](Nanoseconds time, std::string kind, std::string node, std::string peer, std::string detail) {
    Trace t;
    t.record(1ms, "send", "edge", "cloud", "GET /v2/");
    t.record(time, kind, node, peer, detail);
    return t.hash();
  };
  const uint64_t base = variant(2ms, "deliver", "cloud", "edge", "GET /v2/");
  BOOST_TEST(variant(2ms + 1ns, "deliver", "cloud", "edge", "GET /v2/") != base);
  BOOST_TEST(variant(2ms, "delivex", "cloud", "edge", "GET /v2/") != base);
  BOOST_TEST(variant(2ms, "deliver", "clouD", "edge", "GET /v2/") != base);
  BOOST_TEST(variant(2ms, "deliver", "cloud", "edge2", "GET /v2/") != base);
  BOOST_TEST(variant(2ms, "deliver", "cloud", "edge", "GET /v2") != base);
  // Field boundaries are part of the encoding.
  BOOST_TEST(variant(2ms, "deliver", "cloud", "edgeG", "ET /v2/") != base);
  // Order matters.
  Trace ab, ba;
  ab.record(1ms, "a", "n");
  ab.record(1ms, "b", "n");
  ba.record(1ms, "b", "n");
  ba.record(1ms, "a", "n");
  BOOST_TEST(ab.hash() != ba.hash());
}

BOOST_AUTO_TEST_CASE(the_hash_is_pinned_across_platforms_and_builds) {
  // The same trace must hash the same on every machine, or a recorded seed's hash could not be compared. These values
  // come from an independent implementation of the definition (stable_hash.h, Trace::add's encoding) in Python.
  BOOST_TEST(Trace().hash() == 0x82d2f3b4e14a2964ULL);
  Trace t;
  small_run(t);
  BOOST_TEST(t.hash() == 0xc83dbc17440d0bd9ULL);
  StableHasher h;
  h.add(std::string_view("0123456789"));
  BOOST_TEST(h.value() == 0xc15d4e92f33d8274ULL);
}

BOOST_AUTO_TEST_CASE(simulated_runs_replay_to_the_same_hash) {
  BOOST_TEST(simulated_run_hash(1) == simulated_run_hash(1));
  BOOST_TEST(simulated_run_hash(1) != simulated_run_hash(2));
}

BOOST_AUTO_TEST_CASE(a_consumer_takes_every_record_as_it_happens_and_nothing_is_kept) {
  Trace all(Trace::Keep::All), streamed;
  std::vector<TraceRecord> taken;
  streamed.stream_to([&](const TraceRecord& record) { taken.push_back(record); });
  small_run(all);
  small_run(streamed, [](Trace& trace) {
    trace.record_parts(3500us, "deliver", "cloud", "edge", {"GET", " ", "/v2/", " ", "200"});
  });
  all.record_parts(3500us, "deliver", "cloud", "edge", {"GET", " ", "/v2/", " ", "200"});
  BOOST_TEST(streamed.records().empty());  // Keep::None: the consumer has them, the trace does not
  BOOST_REQUIRE(taken.size() == 6u);
  BOOST_TEST(taken[3].detail == "GET /v2/ 200");  // parts joined for the consumer
  BOOST_TEST((taken[5].phase == TraceRecord::Phase::End));
  BOOST_TEST(taken[5].kind == "sync round");
  BOOST_TEST(streamed.count() == 6u);

  streamed.stream_to({});
  streamed.record(6ms, "after", "edge");
  BOOST_TEST(taken.size() == 6u);  // stopped
}

BOOST_AUTO_TEST_CASE(keeps_all_the_last_n_or_none) {
  Trace none, all(Trace::Keep::All), last(Trace::Keep::Last, 2);
  small_run(none);
  small_run(all);
  small_run(last);
  BOOST_TEST(none.records().empty());
  const auto records = all.records();
  BOOST_REQUIRE(records.size() == 5u);
  BOOST_TEST((records[0].phase == TraceRecord::Phase::Begin));
  BOOST_TEST(records[0].kind == "sync round");
  BOOST_TEST(records[0].node == "edge");
  BOOST_TEST(records[1].peer == "cloud");
  BOOST_TEST((records[4].phase == TraceRecord::Phase::End));
  BOOST_TEST(records[4].kind == "sync round");  // the end carries the span's name and node
  BOOST_TEST(records[4].node == "edge");
  BOOST_TEST(records[4].span == records[0].span);
  const auto tail = last.records();
  BOOST_REQUIRE(tail.size() == 2u);
  BOOST_TEST((tail[0] == records[3]));
  BOOST_TEST((tail[1] == records[4]));

  all.keep(Trace::Keep::Last, 3);
  BOOST_TEST(all.records().size() == 3u);
  all.record(6ms, "after", "edge");
  BOOST_TEST(all.records().size() == 3u);
  BOOST_TEST(all.records().back().kind == "after");
  all.keep(Trace::Keep::None);
  BOOST_TEST(all.records().empty());
}

BOOST_AUTO_TEST_CASE(spans_must_be_open_to_end) {
  Trace t;
  const uint64_t a = t.begin_span(1ms, "edge", "sync round");
  const uint64_t b = t.begin_span(2ms, "edge", "request");  // overlapping spans are fine
  BOOST_TEST(a != b);
  t.end_span(3ms, a);
  BOOST_CHECK_THROW(t.end_span(4ms, a), std::logic_error);
  BOOST_CHECK_THROW(t.end_span(4ms, 999), std::logic_error);
  t.end_span(4ms, b);
}

BOOST_AUTO_TEST_CASE(a_detail_given_in_pieces_hashes_as_the_joined_detail) {
  // Every way of cutting details of 0 to 20 bytes in three pieces, so words straddle the cuts at every offset.
  const std::string text = "GET /v2/apps/web 200";
  for (size_t size = 0; size <= text.size(); ++size) {
    const std::string_view detail = std::string_view(text).substr(0, size);
    Trace joined;
    joined.record(7ms, "exchange", "edge", "cloud:5000", detail);
    for (size_t first = 0; first <= size; ++first) {
      for (size_t second = first; second <= size; ++second) {
        Trace pieces;
        pieces.record_parts(7ms, "exchange", "edge", "cloud:5000",
                            {detail.substr(0, first), detail.substr(first, second - first), detail.substr(second)});
        BOOST_TEST(pieces.hash() == joined.hash(), "size " << size << ", cut at " << first << " and " << second);
        BOOST_TEST(pieces.count() == 1u);
      }
    }
  }
  // A trace that keeps its records keeps the joined detail.
  Trace kept(Trace::Keep::All);
  kept.record_parts(1ms, "exchange", "edge", "cloud", {"GET", " ", "/v2/", " ", "200"});
  BOOST_REQUIRE(kept.records().size() == 1u);
  BOOST_TEST(kept.records()[0].detail == "GET /v2/ 200");
  Trace plain;
  plain.record(1ms, "exchange", "edge", "cloud", "GET /v2/ 200");
  BOOST_TEST(kept.hash() == plain.hash());
}

BOOST_AUTO_TEST_CASE(a_record_hashes_as_its_canonical_encoding_at_every_size) {
  // Short records and long ones are hashed by different code (a long one does not fit the buffer the short ones are
  // written into): both must chain exactly the canonical encoding onto the hash so far, at every length.
  for (const size_t size : {size_t{0}, size_t{1}, size_t{7}, size_t{8}, size_t{9}, size_t{250}, size_t{272}, size_t{273}, size_t{274}, size_t{301},
                            size_t{302}, size_t{303}, size_t{304}, size_t{305}, size_t{310}, size_t{320}, size_t{400},
                            size_t{2000}}) {
    std::string detail;
    for (size_t i = 0; i < size; ++i) detail += static_cast<char>('a' + i % 26);
    Trace plain, pieces;
    const uint64_t start = plain.hash();
    plain.record(5ms, "exchange", "line-1-2", "site-1:5000", detail);
    const std::string_view view(detail);
    pieces.record_parts(5ms, "exchange", "line-1-2", "site-1:5000",
                        {view.substr(0, size / 3), view.substr(size / 3, size / 3), view.substr(2 * (size / 3))});
    StableHasher expected(start);
    expected.add(uint64_t{5'000'000});
    expected.add(uint64_t{0});
    expected.add(std::string_view("exchange"));
    expected.add(std::string_view("line-1-2"));
    expected.add(std::string_view("site-1:5000"));
    expected.add(view);
    expected.add(uint64_t{0});
    BOOST_TEST(plain.hash() == expected.value(), "size " << size);
    BOOST_TEST(pieces.hash() == expected.value(), "size " << size);
  }
}

BOOST_AUTO_TEST_CASE(a_sink_records_into_the_trace) {
  Trace direct, through_sink;
  direct.record(1ms, "loss", "edge", "cloud", "PATCH");
  TraceSink sink = through_sink.sink();
  sink(1ms, "loss", "edge", "cloud", "PATCH");
  BOOST_TEST(direct.hash() == through_sink.hash());
}

BOOST_AUTO_TEST_SUITE_END()
