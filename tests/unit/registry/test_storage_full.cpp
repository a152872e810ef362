// A registry whose storage is full (reference/storage/space_budget.h) refuses writes with 507 Insufficient Storage and
// a message that says so, keeps serving what it stores, and takes writes again once there is space.
#include <boost/test/unit_test.hpp>

#include "reference/storage/space_budget.h"
#include "tests/unit/registry/registry_fixture.h"

using namespace outpost;
using namespace outpost::testing;
using http::Method;

namespace {
struct FullStorageFixture {
  SystemClock clock;
  SeededRandom random{1};
  registry::OpenAccess policy;
  storage::SpaceLimit space;
  std::unique_ptr<storage::Storage> storage =
      storage::with_space_budget(storage::open_memory_storage(clock, random), space);
  registry::Registry registry{*storage, clock, random, policy};
  InProcessClient client{registry};

  // A new session whose first chunk, "abcd", is in: its Location.
  std::string session_holding_abcd() {
    const std::string location = client.send(Method::Post, "/v2/app/blobs/uploads/").header("Location");
    BOOST_TEST(client.send(Method::Patch, location, "abcd", abcd_range()).status == 202);
    return location;
  }
  static http::Headers abcd_range() {
    http::Headers range;
    range.set("Content-Range", "0-3");
    return range;
  }
  // `request` started and its body's `first` piece written, then the disk full for the `second`: the call's answer
  // (the disk left full).
  int answer_when_the_disk_fills(http::Request request, std::string_view first, std::string_view second) {
    std::unique_ptr<http::Call> call = registry.start(std::move(request));
    BOOST_TEST(call->on_body(first));
    space.set_full(true);
    BOOST_TEST(!call->on_body(second));  // the write failed: the call takes no more
    return call->finish().status;
  }
};
}  // namespace

BOOST_FIXTURE_TEST_SUITE(storage_full, FullStorageFixture)

BOOST_AUTO_TEST_CASE(writes_get_507_reads_go_on_and_writes_resume_once_freed) {
  const auto stored = oci::digest_of("stored before");
  BOOST_TEST(client.send(Method::Post, "/v2/app/blobs/uploads/?digest=" + stored.str(), "stored before").status == 201);

  space.set_full(true);
  const auto refused = oci::digest_of("refused");
  const Reply monolithic = client.send(Method::Post, "/v2/app/blobs/uploads/?digest=" + refused.str(), "refused");
  BOOST_TEST(monolithic.status == 507);
  BOOST_TEST(monolithic.error_code() == "UNKNOWN");
  BOOST_TEST(monolithic.body.find("insufficient storage") != std::string::npos, monolithic.body);
  BOOST_TEST(client.send(Method::Post, "/v2/app/blobs/uploads/").status == 507);  // not even a session
  BOOST_TEST(client.get("/v2/app/blobs/" + refused.str()).status == 404);
  BOOST_TEST(client.get("/v2/app/blobs/" + stored.str()).body == "stored before");

  space.set_full(false);
  BOOST_TEST(client.send(Method::Post, "/v2/app/blobs/uploads/?digest=" + refused.str(), "refused").status == 201);
}

// A final PUT whose body is refused whole (the disk is full before any of it is written) leaves its session as it was:
// the client's retry once the disk is freed finishes the upload.
BOOST_AUTO_TEST_CASE(a_final_put_refused_whole_keeps_its_session_for_the_retry) {
  const std::string location = session_holding_abcd();
  const std::string put = location + "?digest=" + oci::digest_of("abcdefgh").str();

  space.set_full(true);
  BOOST_TEST(client.send(Method::Put, put, "efgh").status == 507);
  space.set_full(false);
  BOOST_TEST(client.get(location).header("Range") == "0-3");
  BOOST_TEST(client.send(Method::Put, put, "efgh").status == 201);
}

// A final PUT whose body the disk fills under, part of it written, takes that part back: the session is as it was
// before the PUT, and the client's retry once the disk is freed finishes the upload. (Kept, the part made the retry
// append it twice, answered DIGEST_INVALID as if the content were wrong.)
BOOST_AUTO_TEST_CASE(a_final_put_the_disk_fills_under_takes_back_what_it_wrote) {
  const std::string location = session_holding_abcd();
  const std::string put = location + "?digest=" + oci::digest_of("abcdefgh").str();
  const uint64_t used_before = space.used();
  BOOST_TEST(answer_when_the_disk_fills(request_for(Method::Put, put, 4), "ef", "gh") == 507);
  space.set_full(false);
  BOOST_TEST(client.get(location).header("Range") == "0-3");
  BOOST_TEST(space.used() == used_before);  // what was taken back is no longer counted as used
  BOOST_TEST(client.send(Method::Put, put, "efgh").status == 201);
}

// The same for a chunk: a PATCH the disk fills under leaves the session as it was, and the same PATCH again (the
// same Content-Range) fits once the disk is freed. (Kept, the part made it 416.)
BOOST_AUTO_TEST_CASE(a_chunk_the_disk_fills_under_takes_back_what_it_wrote) {
  const std::string location = client.send(Method::Post, "/v2/app/blobs/uploads/").header("Location");
  http::Request chunk = request_for(Method::Patch, location, 4);
  chunk.headers = abcd_range();
  BOOST_TEST(answer_when_the_disk_fills(std::move(chunk), "ab", "cd") == 507);
  space.set_full(false);
  BOOST_TEST(client.get(location).header("Range") == "0-0");
  BOOST_TEST(client.send(Method::Patch, location, "abcd", abcd_range()).status == 202);
  BOOST_TEST(client.send(Method::Put, location + "?digest=" + oci::digest_of("abcd").str()).status == 201);
}

BOOST_AUTO_TEST_SUITE_END()
