// The parent's message log (SPEC 5.5): cursors, filtering per child, TTL expiry, restarts (epochs), capacity, waiters.
#include <boost/test/unit_test.hpp>

#include "reference/gateway/message_log.h"
#include "reference/gateway/protocol.h"

namespace outpost::gateway {

namespace {
using namespace std::chrono_literals;
const WallTime kStart = WallTime(std::chrono::seconds(1798761600));

oci::ContentChange put(const std::string& repository, const std::string& tag) {
  return {oci::ContentChange::Kind::ManifestPut, repository, oci::digest_of(repository + tag), tag};
}
const auto kEverything = [](const oci::ContentChange&) { return true; };
}  // namespace

BOOST_AUTO_TEST_SUITE(message_log)

BOOST_AUTO_TEST_CASE(an_empty_cursor_starts_from_now) {
  MessageLog log("e1");
  log.append(put("apps/a", "1"), kStart);
  const ReadResult first = log.read("", kEverything, 100, 48h, kStart);
  BOOST_TEST(first.messages.empty());
  BOOST_TEST(!first.expired);
  log.append(put("apps/b", "1"), kStart);
  const ReadResult next = log.read(first.cursor, kEverything, 100, 48h, kStart);
  BOOST_REQUIRE_EQUAL(next.messages.size(), 1u);
  BOOST_TEST(next.messages[0].change.repository == "apps/b");
  BOOST_TEST(log.read(next.cursor, kEverything, 100, 48h, kStart).messages.empty());
}

BOOST_AUTO_TEST_CASE(each_child_reads_only_its_repositories_but_its_cursor_moves_past_the_others) {
  MessageLog log("e1");
  const std::string cursor = log.current_cursor();
  log.append(put("apps/a", "1"), kStart);
  log.append(put("base", "1"), kStart);
  log.append(put("apps/b", "1"), kStart);
  const std::vector<std::string> patterns = {"apps/*"};
  const auto wanted = [&](const oci::ContentChange& change) { return repository_matches_any(patterns, change.repository); };
  const ReadResult result = log.read(cursor, wanted, 100, 48h, kStart);
  BOOST_REQUIRE_EQUAL(result.messages.size(), 2u);
  BOOST_TEST(result.cursor == log.current_cursor());
}

BOOST_AUTO_TEST_CASE(the_limit_leaves_the_rest_for_the_next_read) {
  MessageLog log("e1");
  const std::string cursor = log.current_cursor();
  for (int i = 0; i < 5; ++i) log.append(put("apps/a", std::to_string(i)), kStart);
  const ReadResult first = log.read(cursor, kEverything, 2, 48h, kStart);
  BOOST_REQUIRE_EQUAL(first.messages.size(), 2u);
  const ReadResult rest = log.read(first.cursor, kEverything, 100, 48h, kStart);
  BOOST_REQUIRE_EQUAL(rest.messages.size(), 3u);
  BOOST_TEST(*rest.messages[0].change.tag == "2");
}

// A read starts at the first message after its cursor, found by its index, whatever was dropped before it.
BOOST_AUTO_TEST_CASE(a_read_from_the_middle_starts_right_after_its_cursor) {
  MessageLog log("e1", 4);
  std::vector<std::string> cursors = {log.current_cursor()};
  for (int i = 0; i < 7; ++i) {
    log.append(put("apps/a", std::to_string(i)), kStart);
    cursors.push_back(log.current_cursor());
  }
  // Tags 3..6 are held; the cursors after tags 2..6 read on from there.
  for (int after = 2; after <= 6; ++after) {
    const ReadResult result = log.read(cursors[static_cast<size_t>(after) + 1], kEverything, 100, 48h, kStart);
    BOOST_TEST(!result.expired);
    BOOST_REQUIRE_EQUAL(result.messages.size(), static_cast<size_t>(6 - after));
    if (!result.messages.empty()) BOOST_TEST(*result.messages[0].change.tag == std::to_string(after + 1));
    BOOST_TEST(result.cursor == log.current_cursor());
  }
  BOOST_TEST(log.read(cursors[2], kEverything, 100, 48h, kStart).expired);  // after tag 1: tag 2 was dropped
}

BOOST_AUTO_TEST_CASE(a_message_older_than_the_ttl_expires_the_cursor) {
  MessageLog log("e1");
  const std::string cursor = log.current_cursor();
  log.append(put("apps/a", "1"), kStart);
  BOOST_TEST(!log.read(cursor, kEverything, 100, 24h, kStart + 23h).expired);
  BOOST_TEST(log.read(cursor, kEverything, 100, 24h, kStart + 25h).expired);
  // A child with a longer TTL still reads it.
  BOOST_TEST(!log.read(cursor, kEverything, 100, 48h, kStart + 25h).expired);
}

BOOST_AUTO_TEST_CASE(a_cursor_from_another_epoch_or_garbage_is_expired) {
  MessageLog before("old");
  before.append(put("apps/a", "1"), kStart);
  MessageLog after("new");  // the parent restarted: its log is empty and has another epoch
  BOOST_TEST(after.read(before.current_cursor(), kEverything, 100, 48h, kStart).expired);
  BOOST_TEST(after.read("new.99", kEverything, 100, 48h, kStart).expired);  // from the future
  BOOST_TEST(after.read("nonsense", kEverything, 100, 48h, kStart).expired);
  // A sequence with anything after its digits is no cursor this log gave out ("new.0" once read "new.0\0" and
  // "new.0abc" as "new.0"); the current one still reads.
  const std::string current = after.current_cursor();
  BOOST_TEST(!after.read(current, kEverything, 100, 48h, kStart).expired);
  for (const std::string& garbled : {current + std::string(1, '\0'), current + "abc", current + " ", current + ".0",
                                     after.current_cursor().substr(0, current.size() - 1) + "-0"}) {
    BOOST_TEST_CONTEXT(garbled) { BOOST_TEST(after.read(garbled, kEverything, 100, 48h, kStart).expired); }
  }
}

BOOST_AUTO_TEST_CASE(capacity_drops_the_oldest_and_expires_cursors_behind_them) {
  MessageLog log("e1", 3);
  const std::string cursor = log.current_cursor();
  for (int i = 0; i < 5; ++i) log.append(put("apps/a", std::to_string(i)), kStart);
  BOOST_TEST(log.read(cursor, kEverything, 100, 48h, kStart).expired);
}

BOOST_AUTO_TEST_CASE(waiters_wake_once_on_append_or_wake_all_and_cancelled_ones_never) {
  MessageLog log("e1");
  int woken = 0, cancelled_woken = 0;
  log.wait([&] { ++woken; });
  const uint64_t cancelled = *log.wait([&] { ++cancelled_woken; });
  log.cancel_wait(cancelled);
  log.append(put("apps/a", "1"), kStart);
  log.append(put("apps/a", "2"), kStart);
  BOOST_TEST(woken == 1);
  BOOST_TEST(cancelled_woken == 0);
  log.wait([&] { ++woken; });
  log.wake_all();
  BOOST_TEST(woken == 2);
}

BOOST_AUTO_TEST_CASE(waiters_wake_in_the_order_they_waited_and_an_old_id_cancels_nothing) {
  MessageLog log("e1");
  std::vector<int> woken;
  const uint64_t first = *log.wait([&] { woken.push_back(1); });
  log.wait([&] { woken.push_back(2); });
  log.cancel_wait(first);  // frees the first slot...
  log.wait([&] { woken.push_back(3); });  // ...which this later waiter takes: it still wakes after 2
  log.cancel_wait(first);  // the first waiter's id, not the one now in its slot
  log.wake_all();
  BOOST_TEST(woken == (std::vector<int>{2, 3}));

  const uint64_t gone = *log.wait([&] { woken.push_back(4); });
  log.append(put("apps/a", "1"), kStart);  // wakes 4
  log.wait([&] { woken.push_back(5); });  // in the slot 4 left
  log.cancel_wait(gone);
  log.wake_all();
  BOOST_TEST(woken == (std::vector<int>{2, 3, 4, 5}));
}

// A stopping node closes its log: whoever waits is woken once, and a reader that comes after (it checked closed()
// just before the close) is refused a waiter, so it answers now instead of holding the node's drain until its
// deadline. Before, wait() left it a waiter that nothing would ever wake.
BOOST_AUTO_TEST_CASE(closing_wakes_every_waiter_once_and_leaves_no_new_one) {
  MessageLog log("e1");
  int woken = 0, late_woken = 0;
  BOOST_REQUIRE(log.wait([&] { ++woken; }));
  BOOST_REQUIRE(log.wait([&] { ++woken; }));
  BOOST_TEST(!log.closed());
  log.close();
  BOOST_TEST(log.closed());
  BOOST_TEST(woken == 2);
  BOOST_TEST(!log.wait([&] { ++late_woken; }).has_value());
  log.append(put("apps/a", "1"), kStart);
  log.wake_all();
  BOOST_TEST(late_woken == 0);
  BOOST_TEST(woken == 2);
}

BOOST_AUTO_TEST_CASE(repository_patterns_match_as_scope_maps_do) {
  BOOST_TEST(repository_matches("apps/*", "apps/web"));
  BOOST_TEST(repository_matches("apps/*", "apps/web/deep"));
  BOOST_TEST(!repository_matches("apps/*", "apps"));
  BOOST_TEST(!repository_matches("apps/*", "appsx/web"));
  BOOST_TEST(repository_matches("*", "anything"));
  BOOST_TEST(repository_matches("base", "base"));
  BOOST_TEST(!repository_matches("base", "base/x"));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace outpost::gateway
