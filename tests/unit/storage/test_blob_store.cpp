// BlobStore contract, run against the memory and the disk implementation.
#include <algorithm>

#include "tests/unit/storage/storage_harness.h"

using namespace outpost;
using namespace outpost::storage;
using namespace outpost::storage::testing;

BOOST_AUTO_TEST_SUITE(blob_store)

BOOST_AUTO_TEST_CASE_TEMPLATE(put_then_read_ranges, Backend, Backends) {
  Node<Backend> node;
  const BlobInfo info = node.blobs().put("hello, world");
  BOOST_TEST(info.digest == sha256("hello, world"));
  BOOST_TEST(info.size == 12u);
  BOOST_TEST(node.blobs().size_of(info.digest) == std::optional<uint64_t>(12));

  auto reader = node.blobs().open(info.digest);
  BOOST_REQUIRE(reader);
  BOOST_TEST(reader->size() == 12u);
  std::string out(5, '\0');
  BOOST_TEST(reader->read_at(0, out) == 5u);
  BOOST_TEST(out == "hello");
  std::string tail(100, '\0');
  BOOST_TEST(reader->read_at(7, tail) == 5u);  // fewer bytes only at the end
  BOOST_TEST(tail.substr(0, 5) == "world");
  BOOST_TEST(reader->read_at(12, tail) == 0u);
  BOOST_TEST(reader->read_at(1000, tail) == 0u);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(absent_blob, Backend, Backends) {
  Node<Backend> node;
  const Digest missing = sha256("never stored");
  BOOST_TEST(!node.blobs().size_of(missing));
  BOOST_TEST(!node.blobs().open(missing));
  BOOST_TEST(!node.blobs().remove(missing));
  BOOST_TEST(node.blobs().list().empty());
}

BOOST_AUTO_TEST_CASE_TEMPLATE(empty_blob, Backend, Backends) {
  Node<Backend> node;
  const BlobInfo info = node.blobs().put("");
  BOOST_TEST(info.digest == sha256(""));
  BOOST_TEST(info.size == 0u);
  BOOST_TEST(read_blob(node.blobs(), info.digest) == std::optional<std::string>(""));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(put_is_idempotent, Backend, Backends) {
  Node<Backend> node;
  const BlobInfo first = node.blobs().put("same bytes");
  const BlobInfo second = node.blobs().put("same bytes");
  BOOST_TEST(first.digest == second.digest);
  BOOST_TEST(second.size == 10u);
  BOOST_TEST(node.blobs().list().size() == 1u);
  BOOST_TEST(read_blob(node.blobs(), first.digest) == std::optional<std::string>("same bytes"));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(remove_deletes_once, Backend, Backends) {
  Node<Backend> node;
  const BlobInfo kept = node.blobs().put("kept");
  const BlobInfo gone = node.blobs().put("gone");
  BOOST_TEST(node.blobs().remove(gone.digest));
  BOOST_TEST(!node.blobs().remove(gone.digest));
  BOOST_TEST(!node.blobs().size_of(gone.digest));
  BOOST_TEST(!node.blobs().open(gone.digest));
  BOOST_TEST(digests_of(node.blobs().list()) == std::vector<Digest>{kept.digest});
}

BOOST_AUTO_TEST_CASE_TEMPLATE(open_reader_survives_remove, Backend, Backends) {
  Node<Backend> node;
  const BlobInfo info = node.blobs().put("still readable");
  auto reader = node.blobs().open(info.digest);
  BOOST_REQUIRE(reader);
  BOOST_TEST(node.blobs().remove(info.digest));
  BOOST_TEST(read_all(*reader) == "still readable");
}

BOOST_AUTO_TEST_CASE_TEMPLATE(list_is_sorted_by_digest_with_sizes, Backend, Backends) {
  Node<Backend> node;
  std::vector<BlobInfo> stored;
  for (int i = 0; i < 40; ++i) stored.push_back(node.blobs().put(std::string(static_cast<size_t>(i), 'x')));
  std::sort(stored.begin(), stored.end(), [](const auto& a, const auto& b) { return a.digest < b.digest; });
  const auto listed = node.blobs().list();
  BOOST_REQUIRE(listed.size() == stored.size());
  for (size_t i = 0; i < listed.size(); ++i) {
    BOOST_TEST(listed[i].digest == stored[i].digest);
    BOOST_TEST(listed[i].size == stored[i].size);
  }
}

BOOST_AUTO_TEST_CASE_TEMPLATE(independent_readers, Backend, Backends) {
  Node<Backend> node;
  std::string content;
  for (int i = 0; i < 100000; ++i) content.push_back(static_cast<char>('a' + i % 26));
  const BlobInfo info = node.blobs().put(content);
  auto first = node.blobs().open(info.digest);
  auto second = node.blobs().open(info.digest);
  std::string a(10, '\0'), b(10, '\0');
  BOOST_TEST(first->read_at(99990, a) == 10u);
  BOOST_TEST(second->read_at(26, b) == 10u);  // no shared file position between readers
  BOOST_TEST(a == content.substr(99990));
  BOOST_TEST(b == content.substr(26, 10));
}

BOOST_AUTO_TEST_SUITE_END()
