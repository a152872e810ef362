// UploadStore contract, run against the memory and the disk implementation.
#include <thread>

#include "tests/unit/storage/storage_harness.h"

using namespace outpost;
using namespace outpost::storage;
using namespace outpost::storage::testing;

BOOST_AUTO_TEST_SUITE(upload_store)

BOOST_AUTO_TEST_CASE_TEMPLATE(create_starts_empty_sessions, Backend, Backends) {
  Node<Backend> node;
  const UploadState first = node.uploads().create("library/alpine");
  node.clock.advance(std::chrono::seconds(5));
  const UploadState second = node.uploads().create("library/busybox");
  BOOST_TEST(first.id != second.id);
  BOOST_TEST(first.id.size() == 32u);
  BOOST_TEST(first.size == 0u);

  const auto state = node.uploads().get(second.id);
  BOOST_REQUIRE(state);
  BOOST_TEST(state->repository == "library/busybox");
  BOOST_TEST(state->size == 0u);
  BOOST_TEST((state->started == node.clock.now()));
  BOOST_TEST((node.uploads().get(first.id)->started == node.clock.now() - std::chrono::seconds(5)));

  const auto sessions = node.uploads().list();
  BOOST_REQUIRE(sessions.size() == 2u);
  BOOST_TEST(sessions[0].id < sessions[1].id);  // sorted by id
}

BOOST_AUTO_TEST_CASE_TEMPLATE(ids_follow_the_random_seam, Backend, Backends) {
  Node<Backend> node;
  SeededRandom same_seed(42);
  BOOST_TEST(node.uploads().create("r").id == same_seed.hex(16));
}

// What a writer takes back is what it wrote, no more: the session as it was when it opened, its commit right (the
// running hash had taken the bytes that went).
BOOST_AUTO_TEST_CASE_TEMPLATE(a_writer_takes_back_what_it_wrote, Backend, Backends) {
  Node<Backend> node;
  const std::string id = node.uploads().create("r").id;
  {
    auto first = node.uploads().open_writer(id);
    first->write("abc");
    first->close();
  }
  {
    auto second = node.uploads().open_writer(id);
    second->write("de");
    second->write("f");
    second->discard_since_open();
    BOOST_TEST(second->size() == 3u);
    second->close();
  }
  BOOST_TEST(node.uploads().get(id)->size == 3u);
  {
    auto third = node.uploads().open_writer(id);
    third->write("xyz");
    third->close();
  }
  BOOST_TEST(node.uploads().commit(id, sha256("abcxyz")).size == 6u);
  BOOST_TEST(read_blob(node.blobs(), sha256("abcxyz")) == std::optional<std::string>("abcxyz"));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(chunks_from_several_writers_then_commit, Backend, Backends) {
  Node<Backend> node;
  const std::string id = node.uploads().create("r").id;
  {
    auto writer = node.uploads().open_writer(id);
    writer->write("abc");
    writer->write("def");
    BOOST_TEST(writer->size() == 6u);
    writer->close();
  }
  BOOST_TEST(node.uploads().get(id)->size == 6u);
  {
    auto writer = node.uploads().open_writer(id);
    BOOST_TEST(writer->size() == 6u);  // resumes where the session stands
    writer->write("ghi");
    BOOST_TEST(writer->size() == 9u);
    writer->close();
  }
  BOOST_TEST(node.uploads().get(id)->size == 9u);

  const BlobInfo info = node.uploads().commit(id, sha256("abcdefghi"));
  BOOST_TEST(info.digest == sha256("abcdefghi"));
  BOOST_TEST(info.size == 9u);
  BOOST_TEST(read_blob(node.blobs(), info.digest) == std::optional<std::string>("abcdefghi"));
  BOOST_TEST(!node.uploads().get(id));
  BOOST_TEST(node.uploads().list().empty());
  BOOST_CHECK_THROW(node.uploads().open_writer(id), UnknownUpload);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(writer_dropped_without_close_keeps_its_bytes, Backend, Backends) {
  Node<Backend> node;
  const std::string id = node.uploads().create("r").id;
  node.uploads().open_writer(id)->write("partial");
  BOOST_TEST(node.uploads().get(id)->size == 7u);
  BOOST_TEST(node.uploads().commit(id, sha256("partial")).size == 7u);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(mismatch_leaves_the_session_intact, Backend, Backends) {
  Node<Backend> node;
  const std::string id = node.uploads().create("r").id;
  {
    auto writer = node.uploads().open_writer(id);
    writer->write("abc");
    writer->close();
  }
  try {
    node.uploads().commit(id, sha256("abd"));
    BOOST_FAIL("commit accepted the wrong digest");
  } catch (const DigestMismatch& error) {
    BOOST_TEST(error.actual() == sha256("abc"));
  }
  BOOST_TEST(node.uploads().get(id)->size == 3u);
  BOOST_TEST(!node.blobs().size_of(sha256("abd")));
  BOOST_TEST(!node.blobs().size_of(sha256("abc")));
  BOOST_TEST(node.blobs().list().empty());

  // The session goes on: more bytes, then the right digest.
  {
    auto writer = node.uploads().open_writer(id);
    writer->write("d");
    writer->close();
  }
  BOOST_CHECK_THROW(node.uploads().commit(id, sha256("abc")), DigestMismatch);
  BOOST_TEST(node.uploads().commit(id, sha256("abcd")).size == 4u);
  BOOST_TEST(read_blob(node.blobs(), sha256("abcd")) == std::optional<std::string>("abcd"));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(commit_under_a_sha512_digest, Backend, Backends) {
  Node<Backend> node;
  const std::string id = node.uploads().create("r").id;
  node.uploads().open_writer(id)->write("sha512 content");
  const Digest expected = oci::digest_of("sha512 content", oci::DigestAlgorithm::Sha512);
  BOOST_CHECK_THROW(node.uploads().commit(id, oci::digest_of("other", oci::DigestAlgorithm::Sha512)), DigestMismatch);
  const BlobInfo info = node.uploads().commit(id, expected);
  BOOST_TEST(info.digest == expected);
  BOOST_TEST(read_blob(node.blobs(), expected) == std::optional<std::string>("sha512 content"));
  BOOST_TEST(digests_of(node.blobs().list()) == std::vector<Digest>{expected});
}

BOOST_AUTO_TEST_CASE_TEMPLATE(commit_of_an_already_stored_digest, Backend, Backends) {
  Node<Backend> node;
  node.blobs().put("shared layer");
  const std::string id = node.uploads().create("r").id;
  node.uploads().open_writer(id)->write("shared layer");
  const BlobInfo info = node.uploads().commit(id, sha256("shared layer"));
  BOOST_TEST(info.size == 12u);
  BOOST_TEST(node.blobs().list().size() == 1u);
  BOOST_TEST(read_blob(node.blobs(), info.digest) == std::optional<std::string>("shared layer"));
  BOOST_TEST(!node.uploads().get(id));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(empty_upload_commits_the_empty_blob, Backend, Backends) {
  Node<Backend> node;
  const std::string id = node.uploads().create("r").id;
  BOOST_TEST(node.uploads().commit(id, sha256("")).size == 0u);
  BOOST_TEST(node.blobs().size_of(sha256("")) == std::optional<uint64_t>(0));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(cancel_ends_the_session, Backend, Backends) {
  Node<Backend> node;
  const std::string id = node.uploads().create("r").id;
  const std::string other = node.uploads().create("r").id;
  node.uploads().open_writer(id)->write("abandoned");
  BOOST_TEST(node.uploads().cancel(id));
  BOOST_TEST(!node.uploads().cancel(id));
  BOOST_TEST(!node.uploads().get(id));
  BOOST_CHECK_THROW(node.uploads().open_writer(id), UnknownUpload);
  BOOST_CHECK_THROW(node.uploads().commit(id, sha256("abandoned")), UnknownUpload);
  BOOST_TEST(node.uploads().list().size() == 1u);
  BOOST_TEST(node.uploads().list()[0].id == other);
  BOOST_TEST(node.blobs().list().empty());
}

BOOST_AUTO_TEST_CASE_TEMPLATE(unknown_ids_are_refused, Backend, Backends) {
  Node<Backend> node;
  node.uploads().create("r");
  for (const std::string id : {"0123456789abcdef0123456789abcdef", "", "../metadata.db", "uploads", "ZZ"}) {
    BOOST_TEST(!node.uploads().get(id));
    BOOST_CHECK_THROW(node.uploads().open_writer(id), UnknownUpload);
    BOOST_CHECK_THROW(node.uploads().commit(id, sha256("")), UnknownUpload);
    BOOST_TEST(!node.uploads().cancel(id));
  }
}

BOOST_AUTO_TEST_CASE_TEMPLATE(sessions_are_independent, Backend, Backends) {
  Node<Backend> node;
  const std::string a = node.uploads().create("r").id;
  const std::string b = node.uploads().create("r").id;
  auto writer_a = node.uploads().open_writer(a);
  auto writer_b = node.uploads().open_writer(b);
  writer_a->write("aaa");
  writer_b->write("bb");
  writer_a->write("a");
  writer_a->close();
  writer_b->close();
  BOOST_TEST(node.uploads().commit(b, sha256("bb")).size == 2u);
  BOOST_TEST(node.uploads().commit(a, sha256("aaaa")).size == 4u);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(concurrent_sessions_commit_independently, Backend, Backends) {
  Node<Backend> node;
  constexpr int kThreads = 4, kPerThread = 10;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const std::string content = "thread " + std::to_string(t) + " blob " + std::to_string(i);
        const std::string id = node.uploads().create("r" + std::to_string(t)).id;
        auto writer = node.uploads().open_writer(id);
        for (char c : content) writer->write(std::string_view(&c, 1));
        writer->close();
        node.uploads().commit(id, sha256(content));
        node.blobs().put(content);  // the same bytes again, racing nobody but itself
      }
    });
  }
  for (auto& thread : threads) thread.join();
  BOOST_TEST(node.blobs().list().size() == static_cast<size_t>(kThreads * kPerThread));
  BOOST_TEST(node.uploads().list().empty());
  BOOST_TEST(read_blob(node.blobs(), sha256("thread 3 blob 9")) == std::optional<std::string>("thread 3 blob 9"));
}

BOOST_AUTO_TEST_SUITE_END()
