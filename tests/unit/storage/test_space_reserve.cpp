// The room a disk node keeps back so that deletes work on a full disk (reference/storage/space_reserve.h).
#include "reference/storage/space_reserve.h"

#include "tests/unit/storage/storage_harness.h"

using namespace outpost;
using namespace outpost::storage;
using namespace outpost::storage::testing;

BOOST_AUTO_TEST_SUITE(space_reserve)

BOOST_AUTO_TEST_CASE(a_server_or_gc_opening_its_data_keeps_a_whole_reserve) {
  TemporaryDirectory directory;
  FakeClock clock;
  SeededRandom random(1);
  const auto storage = open_disk_storage(directory.path(), clock, random, /*keep_reserve=*/true);
  BOOST_REQUIRE(storage->reserve);
  BOOST_TEST(std::filesystem::file_size(directory.path() / "reserve") == SpaceReserve::kReserveBytes);
  BOOST_TEST(!open_disk_storage(directory.path() / "plain", clock, random)->reserve);  // tests, benchmarks
}

// A delete that finds the disk full gets the reserve's room and is tried once more; a write that still finds no
// room, or a storage without a reserve, fails as before.
BOOST_AUTO_TEST_CASE(a_delete_that_finds_no_room_gets_the_reserve_once) {
  TemporaryDirectory directory;
  Storage storage;
  storage.reserve = std::make_shared<SpaceReserve>(directory.path() / "reserve", 4096);
  BOOST_REQUIRE(storage.reserve->ensure());

  int attempts = 0;
  const bool deleted = freeing_space(storage, [&] {
    if (++attempts == 1 && storage.reserve->held()) throw OutOfSpace("database or disk is full");
    return true;
  });
  BOOST_TEST(deleted);
  BOOST_TEST(attempts == 2);
  BOOST_TEST(!storage.reserve->held());

  attempts = 0;
  BOOST_CHECK_THROW(freeing_space(storage, [&]() -> bool {
                      ++attempts;
                      throw OutOfSpace("still full");
                    }),
                    OutOfSpace);
  BOOST_TEST(attempts == 1);  // nothing left to release: not tried again

  BOOST_TEST(storage.reserve->ensure());  // allocated again once there is room
  BOOST_TEST(storage.reserve->held());
  Storage memory;
  BOOST_CHECK_THROW(freeing_space(memory, []() -> bool { throw OutOfSpace("full"); }), OutOfSpace);
}

BOOST_AUTO_TEST_SUITE_END()
