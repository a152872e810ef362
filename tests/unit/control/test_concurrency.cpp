// The control plane under threads, as the live server runs it: management changes publish snapshots while request
// threads read them. Each reader must see whole snapshots, in order. (Built with OUTPOST_TSAN, this is also the test
// that finds a reader and a writer of the published pointer unordered: libstdc++ 12's atomic<shared_ptr> was, see
// reference/common/published.h.)
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "tests/unit/control/control_fixture.h"

namespace outpost::control::testing {

BOOST_AUTO_TEST_SUITE(concurrency)

BOOST_FIXTURE_TEST_CASE(readers_see_every_snapshot_whole_and_in_order_while_changes_publish, ControlFixture) {
  BOOST_REQUIRE_EQUAL(create_map("pull-app", {"repositories/app/content/read"}).status, 201);
  const uint64_t base_version = control->snapshot()->version;
  const size_t base_tokens = control->snapshot()->tokens.size();
  constexpr size_t kChanges = 150;
  const std::string last_token = "reader-" + std::to_string(kChanges - 1);

  std::atomic<int> out_of_order{0};
  std::atomic<int> torn{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    // Each reader stops once it has seen the last change: bounded by the writer, not by time.
    readers.emplace_back([&] {
      uint64_t last_version = 0;
      for (;;) {
        const auto snapshot = control->snapshot();
        if (snapshot->version < last_version) ++out_of_order;
        last_version = snapshot->version;
        // Every change adds one token: a snapshot's version and its tokens agree, or it is not one snapshot.
        if (snapshot->tokens.size() - base_tokens != snapshot->version - base_version) ++torn;
        if (snapshot->tokens.contains(last_token)) return;
      }
    });
  }
  for (size_t i = 0; i < kChanges; ++i)
    BOOST_REQUIRE_EQUAL(create_token("reader-" + std::to_string(i), "pull-app").status, 201);
  for (std::thread& reader : readers) reader.join();

  BOOST_TEST(out_of_order.load() == 0);
  BOOST_TEST(torn.load() == 0);
  BOOST_TEST(control->snapshot()->version == base_version + kChanges);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace outpost::control::testing
