#include <boost/test/unit_test.hpp>

#include "tests/unit/registry/registry_fixture.h"

using namespace outpost;
using namespace outpost::testing;
using http::Method;

BOOST_FIXTURE_TEST_SUITE(blobs, RegistryFixture)

BOOST_AUTO_TEST_CASE(get_and_head_serve_linked_blobs) {
  const auto digest = client.push_blob("app", "hello blob");
  const Reply get = client.get("/v2/app/blobs/" + digest.str());
  BOOST_TEST(get.status == 200);
  BOOST_TEST(get.body == "hello blob");
  BOOST_TEST(get.header("Docker-Content-Digest") == digest.str());
  BOOST_TEST(get.route == "blob");
  const Reply head = client.head("/v2/app/blobs/" + digest.str());
  BOOST_TEST(head.status == 200);
  BOOST_TEST(head.body.empty());
  BOOST_TEST(head.header("Content-Length") == "10");
}

BOOST_AUTO_TEST_CASE(ranges_are_served) {
  const auto digest = client.push_blob("app", "0123456789");
  http::Headers range;
  range.set("Range", "bytes=2-5");
  const Reply partial = client.get("/v2/app/blobs/" + digest.str(), range);
  BOOST_TEST(partial.status == 206);
  BOOST_TEST(partial.body == "2345");
  BOOST_TEST(partial.header("Content-Range") == "bytes 2-5/10");
  range.set("Range", "bytes=10-");
  const Reply beyond = client.get("/v2/app/blobs/" + digest.str(), range);
  BOOST_TEST(beyond.status == 416);
  BOOST_TEST(beyond.header("Content-Range") == "bytes */10");
  BOOST_TEST(beyond.error_code() == "UNSUPPORTED");  // not BLOB_UNKNOWN: the blob is there
}

// RFC 9110 14.2: Range is for GET only. A client that HEADs a blob for its size was told a range's length with a 206.
BOOST_AUTO_TEST_CASE(a_head_ignores_range_and_tells_the_whole_size) {
  const auto digest = client.push_blob("app", "0123456789");
  http::Headers range;
  range.set("Range", "bytes=0-0");
  const Reply head = client.send(Method::Head, "/v2/app/blobs/" + digest.str(), "", range);
  BOOST_TEST(head.status == 200);
  BOOST_TEST(head.header("Content-Length") == "10");
  BOOST_TEST(!head.headers.get("Content-Range"));
  range.set("Range", "bytes=10-");  // unsatisfiable for a GET; nothing to satisfy for a HEAD
  BOOST_TEST(client.send(Method::Head, "/v2/app/blobs/" + digest.str(), "", range).status == 200);
}

BOOST_AUTO_TEST_CASE(blobs_are_isolated_between_repositories) {
  const auto digest = client.push_blob("team-a/app", "secret layer");
  BOOST_TEST(client.get("/v2/team-b/app/blobs/" + digest.str()).status == 404);
  BOOST_TEST(client.get("/v2/team-b/app/blobs/" + digest.str()).error_code() == "BLOB_UNKNOWN");
  BOOST_TEST(client.head("/v2/team-b/app/blobs/" + digest.str()).status == 404);
  // Mounting from a repository that never held the blob starts an ordinary upload instead.
  const Reply mount = client.send(Method::Post, "/v2/team-b/app/blobs/uploads/?mount=" + digest.str() + "&from=team-c/x");
  BOOST_TEST(mount.status == 202);
  BOOST_TEST(client.get("/v2/team-b/app/blobs/" + digest.str()).status == 404);
}

BOOST_AUTO_TEST_CASE(bad_digests_are_refused) {
  BOOST_TEST(client.get("/v2/app/blobs/sha256:nothex").error_code() == "DIGEST_INVALID");
  BOOST_TEST(client.get("/v2/app/blobs/md5:abc").error_code() == "DIGEST_INVALID");
  // A known algorithm with the wrong number of digits is named as such, not as an unsupported algorithm.
  const Reply short_sha256 = client.get("/v2/app/blobs/sha256:abc");
  BOOST_TEST(short_sha256.body.find("sha256 takes 64") != std::string::npos, short_sha256.body);
  BOOST_TEST(client.get("/v2/app/blobs/sha999:abc").body.find("unsupported digest algorithm") != std::string::npos);
  const Reply unknown = client.get("/v2/app/blobs/" + oci::digest_of("never pushed").str());
  BOOST_TEST(unknown.status == 404);
  BOOST_TEST(unknown.error_code() == "BLOB_UNKNOWN");
}

BOOST_AUTO_TEST_CASE(delete_unlinks_from_one_repository_only) {
  const auto digest = client.push_blob("one", "shared");
  client.push_blob("two", "shared");
  const Reply deleted = client.send(Method::Delete, "/v2/one/blobs/" + digest.str());
  BOOST_TEST(deleted.status == 202);
  BOOST_TEST(client.get("/v2/one/blobs/" + digest.str()).status == 404);
  BOOST_TEST(client.get("/v2/two/blobs/" + digest.str()).status == 200);
  BOOST_TEST(client.send(Method::Delete, "/v2/one/blobs/" + digest.str()).status == 404);
}

BOOST_AUTO_TEST_CASE(errors_have_the_oci_shape) {
  const Reply reply = client.get("/v2/app/blobs/sha256:zz");
  const auto json = nlohmann::json::parse(reply.body);
  BOOST_TEST(json["errors"].is_array());
  BOOST_TEST(json["errors"][0]["message"].is_string());
  BOOST_TEST(reply.header("Content-Type") == "application/json");
}

BOOST_AUTO_TEST_SUITE_END()
