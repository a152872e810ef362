#include <boost/test/unit_test.hpp>

#include "tests/unit/registry/registry_fixture.h"

using namespace outpost;
using namespace outpost::testing;
using http::Method;

namespace {
std::string location_path(const Reply& reply) { return reply.header("Location"); }
}  // namespace

BOOST_FIXTURE_TEST_SUITE(uploads, RegistryFixture)

BOOST_AUTO_TEST_CASE(chunked_upload_with_content_range) {
  const Reply started = client.send(Method::Post, "/v2/app/blobs/uploads/");
  BOOST_TEST(started.status == 202);
  BOOST_TEST(started.header("Range") == "0-0");
  const std::string location = location_path(started);
  BOOST_TEST(location.starts_with("/v2/app/blobs/uploads/"));

  http::Headers first;
  first.set("Content-Range", "0-4");
  const Reply patched = client.send(Method::Patch, location, "hello", first);
  BOOST_TEST(patched.status == 202);
  BOOST_TEST(patched.header("Range") == "0-4");

  http::Headers wrong;
  wrong.set("Content-Range", "3-7");
  const Reply out_of_order = client.send(Method::Patch, location, "xxxxx", wrong);
  BOOST_TEST(out_of_order.status == 416);
  BOOST_TEST(out_of_order.header("Range") == "0-4");

  const Reply status = client.get(location);
  BOOST_TEST(status.status == 204);
  BOOST_TEST(status.header("Range") == "0-4");
  // HEAD asks the same, as distribution answers it (it was 405 here).
  const Reply head = client.head(location);
  BOOST_TEST(head.status == 204);
  BOOST_TEST(head.header("Range") == "0-4");

  http::Headers second;
  second.set("Content-Range", "5-10");
  BOOST_TEST(client.send(Method::Patch, location, " world", second).status == 202);
  const auto digest = oci::digest_of("hello world");
  const Reply done = client.send(Method::Put, location + "?digest=" + digest.str());
  BOOST_TEST(done.status == 201);
  BOOST_TEST(done.header("Location") == "/v2/app/blobs/" + digest.str());
  BOOST_TEST(client.get("/v2/app/blobs/" + digest.str()).body == "hello world");
  BOOST_TEST(client.get(location).error_code() == "BLOB_UPLOAD_UNKNOWN");
}

BOOST_AUTO_TEST_CASE(a_chunk_needs_a_well_formed_range_and_a_length) {
  const std::string location = location_path(client.send(Method::Post, "/v2/app/blobs/uploads/"));
  // A header that is no range is a bad request (400), not a chunk out of order (416 says where to resume).
  http::Headers garbage;
  garbage.set("Content-Range", "garbage");
  const Reply malformed = client.send(Method::Patch, location, "abc", garbage);
  BOOST_TEST(malformed.status == 400);
  BOOST_TEST(malformed.error_code() == "BLOB_UPLOAD_INVALID");
  // A chunked-encoded body with a range: its length cannot be checked before its bytes are in the session (once,
  // 5 bytes under "0-9" were taken).
  http::Headers chunked;
  chunked.set("Content-Range", "0-9");
  chunked.set("Transfer-Encoding", "chunked");
  const Reply unknown_length = client.send(Method::Patch, location, "12345", chunked);
  BOOST_TEST(unknown_length.status == 400);
  BOOST_TEST(unknown_length.error_code() == "SIZE_INVALID");
  BOOST_TEST(client.get(location).header("Range") == "0-0");  // nothing reached the session
  // Without a range, a chunked-encoded body is one streamed piece of any length.
  http::Headers streamed;
  streamed.set("Transfer-Encoding", "chunked");
  BOOST_TEST(client.send(Method::Patch, location, "12345", streamed).header("Range") == "0-4");
}

BOOST_AUTO_TEST_CASE(streamed_patch_without_content_range_in_many_pieces) {
  std::string layer(3 * 1024 * 1024 + 17, '\0');
  for (size_t i = 0; i < layer.size(); ++i) layer[i] = static_cast<char>(i * 31 + 7);
  const std::string location = location_path(client.send(Method::Post, "/v2/app/blobs/uploads/"));
  const Reply patched = client.send(Method::Patch, location, layer, {}, 4096);
  BOOST_TEST(patched.header("Range") == "0-" + std::to_string(layer.size() - 1));
  const auto digest = oci::digest_of(layer);
  BOOST_TEST(client.send(Method::Put, location + "?digest=" + digest.str()).status == 201);
  BOOST_TEST((client.get("/v2/app/blobs/" + digest.str()).body == layer));
}

BOOST_AUTO_TEST_CASE(put_with_final_chunk) {
  const std::string location = location_path(client.send(Method::Post, "/v2/app/blobs/uploads/"));
  const auto digest = oci::digest_of("whole body");
  BOOST_TEST(client.send(Method::Put, location + "?digest=" + digest.str(), "whole body").status == 201);
}

BOOST_AUTO_TEST_CASE(digest_mismatch_is_refused_and_stores_nothing) {
  const std::string location = location_path(client.send(Method::Post, "/v2/app/blobs/uploads/"));
  const auto wrong = oci::digest_of("something else");
  const Reply reply = client.send(Method::Put, location + "?digest=" + wrong.str(), "actual bytes");
  BOOST_TEST(reply.status == 400);
  BOOST_TEST(reply.error_code() == "DIGEST_INVALID");
  BOOST_TEST(client.get("/v2/app/blobs/" + wrong.str()).status == 404);
  BOOST_TEST(client.get("/v2/app/blobs/" + oci::digest_of("actual bytes").str()).status == 404);
  const Reply monolithic = client.send(Method::Post, "/v2/app/blobs/uploads/?digest=" + wrong.str(), "other bytes");
  BOOST_TEST(monolithic.error_code() == "DIGEST_INVALID");
  const std::string fresh = location_path(client.send(Method::Post, "/v2/app/blobs/uploads/"));
  BOOST_TEST(client.send(Method::Put, fresh).error_code() == "DIGEST_INVALID");  // no digest at all
}

// The old Docker API let a client give several digests and the server check "none or all of them"; only the first
// was checked, so bytes another one refused were accepted. Several that differ are refused; the same one repeated is
// one digest.
BOOST_AUTO_TEST_CASE(several_digests_that_differ_are_refused) {
  const auto right = oci::digest_of("abc"), other = oci::digest_of("xyz");
  const std::string location = location_path(client.send(Method::Post, "/v2/app/blobs/uploads/"));
  const Reply two = client.send(Method::Put, location + "?digest=" + right.str() + "&digest=" + other.str(), "abc");
  BOOST_TEST(two.status == 400);
  BOOST_TEST(two.error_code() == "DIGEST_INVALID");
  BOOST_TEST(client.get("/v2/app/blobs/" + right.str()).status == 404);
  const Reply monolithic =
      client.send(Method::Post, "/v2/app/blobs/uploads/?digest=" + right.str() + "&digest=" + other.str(), "abc");
  BOOST_TEST(monolithic.error_code() == "DIGEST_INVALID");
  const Reply repeated =
      client.send(Method::Post, "/v2/app/blobs/uploads/?digest=" + right.str() + "&digest=" + right.str(), "abc");
  BOOST_TEST(repeated.status == 201);
}

// As distribution does: a refused final PUT ends its session. Kept, it held the PUT's body, and a retry of the same
// PUT appended it again ("abcd" + "efgh" + "efgh"), so no retry could ever succeed.
BOOST_AUTO_TEST_CASE(a_refused_final_put_ends_its_session) {
  const std::string location = location_path(client.send(Method::Post, "/v2/app/blobs/uploads/"));
  http::Headers range;
  range.set("Content-Range", "0-3");
  BOOST_TEST(client.send(Method::Patch, location, "abcd", range).status == 202);
  const Reply refused =
      client.send(Method::Put, location + "?digest=" + oci::digest_of("WRONG").str(), "efgh");
  BOOST_TEST(refused.error_code() == "DIGEST_INVALID");
  BOOST_TEST(client.get(location).error_code() == "BLOB_UPLOAD_UNKNOWN");
  BOOST_TEST(storage->uploads->list().empty());
}

// A monolithic upload whose body never arrived whole (its client went away) leaves no session behind: its client
// never learned the session's id, so nothing could finish or delete it.
BOOST_AUTO_TEST_CASE(an_abandoned_monolithic_upload_leaves_no_session) {
  {
    std::unique_ptr<http::Call> call =
        registry.start(request_for(Method::Post, "/v2/app/blobs/uploads/?digest=" + oci::digest_of("hello").str(), 5));
    BOOST_TEST(call->on_body("hel"));
    BOOST_TEST(storage->uploads->list().size() == 1u);
  }  // dropped without finish(), as a server does when the body cannot be read
  BOOST_TEST(storage->uploads->list().empty());
}

// The same for a final PUT whose body never arrived whole (dropped without finish(), as a server does when the body
// cannot be read): kept, the session held the part that came, and the client's retry appended it again.
BOOST_AUTO_TEST_CASE(an_abandoned_final_put_ends_its_session) {
  const std::string location = location_path(client.send(Method::Post, "/v2/app/blobs/uploads/"));
  const oci::Digest digest = oci::digest_of("hello");
  {
    std::unique_ptr<http::Call> call = registry.start(request_for(Method::Put, location + "?digest=" + digest.str(), 5));
    BOOST_TEST(call->on_body("hel"));
  }
  BOOST_TEST(client.get(location).error_code() == "BLOB_UPLOAD_UNKNOWN");
  BOOST_TEST(storage->uploads->list().empty());
}

BOOST_AUTO_TEST_CASE(cancel_and_unknown_sessions) {
  const std::string location = location_path(client.send(Method::Post, "/v2/app/blobs/uploads/"));
  BOOST_TEST(client.send(Method::Delete, location).status == 204);
  BOOST_TEST(client.send(Method::Delete, location).status == 404);
  BOOST_TEST(client.get("/v2/app/blobs/uploads/doesnotexist").error_code() == "BLOB_UPLOAD_UNKNOWN");
  // A session is reachable only through the repository that started it.
  const std::string other = location_path(client.send(Method::Post, "/v2/app/blobs/uploads/"));
  const std::string id = other.substr(other.rfind('/') + 1);
  BOOST_TEST(client.get("/v2/elsewhere/blobs/uploads/" + id).status == 404);
}

BOOST_AUTO_TEST_CASE(mounts) {
  const auto digest = client.push_blob("source", "mount me");
  const Reply mounted = client.send(Method::Post, "/v2/target/blobs/uploads/?mount=" + digest.str() + "&from=source");
  BOOST_TEST(mounted.status == 201);
  BOOST_TEST(mounted.header("Location") == "/v2/target/blobs/" + digest.str());
  BOOST_TEST(client.get("/v2/target/blobs/" + digest.str()).body == "mount me");
  // Automatic mount: no `from`, the registry finds a readable repository holding the blob.
  const Reply automatic = client.send(Method::Post, "/v2/third/blobs/uploads/?mount=" + digest.str());
  BOOST_TEST(automatic.status == 201);
  const Reply missing = client.send(Method::Post, "/v2/target/blobs/uploads/?mount=" +
                                                      oci::digest_of("absent").str() + "&from=source");
  BOOST_TEST(missing.status == 202);
}

BOOST_AUTO_TEST_SUITE_END()
