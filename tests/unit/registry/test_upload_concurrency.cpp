// Requests that meet at one upload session: one writes at a time. A PATCH still streaming its body once kept writing
// into the file that a concurrent PUT had verified and renamed into the blob store, so the registry served bytes that
// did not match their digest (in every repository that later pushed that digest); and two chunks declared at the same
// offset were both accepted. Driven on memory and on disk storage, with the first request's body held open while
// the others arrive, as the live server's threads interleave them.
#include <boost/test/unit_test.hpp>

#include <boost/mpl/list.hpp>

#include "reference/registry/registry.h"
#include "tests/unit/registry/in_process_client.h"
#include "tests/unit/storage/storage_harness.h"

using namespace outpost;
using namespace outpost::testing;
using http::Method;

namespace {

template <typename Backend>
struct RegistryOn {
  storage::testing::Node<Backend> node;
  registry::OpenAccess policy;
  registry::Registry registry{*node.storage, node.clock, node.random, policy};
  InProcessClient client{registry};

  std::string start_session() { return client.send(Method::Post, "/v2/app/blobs/uploads/").header("Location"); }

  // A request whose body has begun to arrive and not yet ended.
  std::unique_ptr<http::Call> open_patch(const std::string& location, std::string_view first_piece, uint64_t length,
                                         std::optional<std::string> content_range = std::nullopt) {
    http::Request request;
    request.method = Method::Patch;
    request.target = request.path = location;
    request.content_length = length;
    if (content_range) request.headers.set("Content-Range", *content_range);
    auto call = registry.start(std::move(request));
    if (!first_piece.empty()) BOOST_REQUIRE(call->on_body(first_piece));
    return call;
  }
};

using Storages = boost::mpl::list<storage::testing::MemoryBackend, storage::testing::DiskBackend>;

}  // namespace

BOOST_AUTO_TEST_SUITE(upload_concurrency)

BOOST_AUTO_TEST_CASE_TEMPLATE(a_put_while_a_patch_streams_is_refused_and_the_blob_stays_true_to_its_digest, Backend,
                              Storages) {
  RegistryOn<Backend> on;
  const std::string location = on.start_session();
  BOOST_TEST(on.client.send(Method::Patch, location, "abc").status == 202);
  const auto digest = oci::digest_of("abc");

  // The PATCH's headers have arrived, its body not yet.
  auto streaming = on.open_patch(location, "", 8);
  const Reply put = on.client.send(Method::Put, location + "?digest=" + digest.str());
  BOOST_TEST(put.status == 400);
  BOOST_TEST(put.error_code() == "BLOB_UPLOAD_INVALID");
  BOOST_TEST(put.body.find("another request is writing") != std::string::npos, put.body);
  BOOST_TEST(on.client.get("/v2/app/blobs/" + digest.str()).status == 404);

  // Nor is a cancel taken while the body streams (it raced a commit's rename on disk).
  const Reply cancel = on.client.send(Method::Delete, location);
  BOOST_TEST(cancel.status == 400);
  BOOST_TEST(cancel.error_code() == "BLOB_UPLOAD_INVALID");

  BOOST_REQUIRE(streaming->on_body("TAMPERED"));
  const http::Response patched = streaming->finish();
  BOOST_TEST(patched.status == 202);
  BOOST_TEST(patched.headers.get("Range").value_or("") == "0-10");
  streaming.reset();

  // The session now holds "abcTAMPERED": committing it under abc's digest is refused, and abc pushed elsewhere is
  // stored and served as it is.
  BOOST_TEST(on.client.send(Method::Put, location + "?digest=" + digest.str()).error_code() == "DIGEST_INVALID");
  BOOST_TEST(on.client.send(Method::Post, "/v2/victim/blobs/uploads/?digest=" + digest.str(), "abc").status == 201);
  BOOST_TEST(on.client.get("/v2/victim/blobs/" + digest.str()).body == "abc");
}

BOOST_AUTO_TEST_CASE_TEMPLATE(a_second_chunk_while_one_streams_gets_416_and_the_next_must_start_after_it, Backend,
                              Storages) {
  RegistryOn<Backend> on;
  const std::string location = on.start_session();
  auto first = on.open_patch(location, "", 5, "0-4");

  http::Headers same_offset;
  same_offset.set("Content-Range", "0-4");
  const Reply second = on.client.send(Method::Patch, location, "BBBBB", same_offset);
  BOOST_TEST(second.status == 416);
  BOOST_TEST(second.error_code() == "BLOB_UPLOAD_INVALID");
  BOOST_TEST(second.header("Location") == location);

  BOOST_REQUIRE(first->on_body("AAAAA"));
  BOOST_TEST(first->finish().status == 202);
  first.reset();

  // The offset is judged against the session as it is once the request may write: 0-4 again is out of order.
  const Reply again = on.client.send(Method::Patch, location, "BBBBB", same_offset);
  BOOST_TEST(again.status == 416);
  BOOST_TEST(again.header("Range") == "0-4");
  const auto digest = oci::digest_of("AAAAA");
  BOOST_TEST(on.client.send(Method::Put, location + "?digest=" + digest.str()).status == 201);
  BOOST_TEST(on.client.get("/v2/app/blobs/" + digest.str()).body == "AAAAA");
}

BOOST_AUTO_TEST_CASE_TEMPLATE(a_session_is_free_again_once_its_writer_answered, Backend, Storages) {
  RegistryOn<Backend> on;
  const std::string location = on.start_session();
  http::Headers first;
  first.set("Content-Range", "0-2");
  BOOST_TEST(on.client.send(Method::Patch, location, "abc", first).status == 202);
  // A PUT refused at its end (a digest mismatch) releases the session by ending it, as distribution does: its body
  // is not left in it for a retry to append again.
  const Reply mismatch = on.client.send(Method::Put, location + "?digest=" + oci::digest_of("x").str(), "def");
  BOOST_TEST(mismatch.error_code() == "DIGEST_INVALID");
  BOOST_TEST(on.client.get(location).error_code() == "BLOB_UPLOAD_UNKNOWN");
  const std::string again = on.start_session();
  BOOST_TEST(on.client.send(Method::Put, again + "?digest=" + oci::digest_of("abcdef").str(), "abcdef").status == 201);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(a_chunk_whose_range_is_not_its_length_is_size_invalid, Backend, Storages) {
  RegistryOn<Backend> on;
  const std::string location = on.start_session();
  http::Headers range;
  range.set("Content-Range", "0-4");
  const Reply shorter = on.client.send(Method::Patch, location, "abc", range);
  BOOST_TEST(shorter.status == 400);
  BOOST_TEST(shorter.error_code() == "SIZE_INVALID");
  BOOST_TEST(shorter.body.find("names 5 bytes, the body has 3") != std::string::npos, shorter.body);
  const Reply longer = on.client.send(Method::Patch, location, "abcdefgh", range);
  BOOST_TEST(longer.error_code() == "SIZE_INVALID");
  // Nothing of either reached the session.
  BOOST_TEST(on.client.get(location).header("Range") == "0-0");
  BOOST_TEST(on.client.send(Method::Patch, location, "abcde", range).status == 202);
}

BOOST_AUTO_TEST_SUITE_END()
