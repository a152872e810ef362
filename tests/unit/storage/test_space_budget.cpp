// The space budget around either storage binding: a full disk refuses every write with OutOfSpace and changes nothing
// stored; reads and deletions still work; writes work again once there is space; a capacity counts what is stored.
#include "reference/storage/space_budget.h"
#include "tests/unit/storage/storage_harness.h"

using namespace outpost;
using namespace outpost::storage;
using namespace outpost::storage::testing;

namespace {

// A node whose storage is wrapped in a SpaceLimit the test controls.
template <typename Backend>
struct BudgetedNode {
  Node<Backend> node;
  SpaceLimit space;
  std::unique_ptr<Storage> storage = with_space_budget(std::move(node.storage), space);

  BlobStore& blobs() { return *storage->blobs; }
  UploadStore& uploads() { return *storage->uploads; }
  MetadataStore& metadata() { return *storage->metadata; }
};

BlobInfo upload(UploadStore& uploads, const std::string& repository, std::string_view bytes) {
  const std::string id = uploads.create(repository).id;
  auto writer = uploads.open_writer(id);
  writer->write(bytes);
  writer->close();
  return uploads.commit(id, sha256(bytes));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(space_budget)

BOOST_AUTO_TEST_CASE(out_of_space_is_a_storage_error) {
  SpaceLimit space;
  space.set_full(true);
  BOOST_CHECK_THROW(space.claim(1), StorageError);
  BOOST_CHECK_THROW(space.claim(0), OutOfSpace);
  space.set_full(false);
  BOOST_CHECK_NO_THROW(space.claim(1));
  BOOST_TEST(space.used() == 1u);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(a_full_disk_refuses_every_write_and_loses_nothing, Backend, Backends) {
  BudgetedNode<Backend> n;
  const BlobInfo layer = upload(n.uploads(), "apps/web", "layer bytes");
  n.metadata().link_blob("apps/web", layer);
  const BlobInfo manifest = n.blobs().put("manifest bytes");
  n.metadata().put_manifest("apps/web", manifest_record("manifest bytes", {layer.digest}), "v1");
  const std::string open_session = n.uploads().create("apps/web").id;

  n.space.set_full(true);
  BOOST_CHECK_THROW(n.uploads().create("apps/web"), OutOfSpace);
  BOOST_CHECK_THROW(n.uploads().open_writer(open_session)->write("more"), OutOfSpace);
  BOOST_CHECK_THROW(n.blobs().put("another manifest"), OutOfSpace);
  BOOST_CHECK_THROW(n.metadata().link_blob("apps/api", layer), OutOfSpace);
  BOOST_CHECK_THROW(n.metadata().put_manifest("apps/web", manifest_record("manifest bytes"), "v2"), OutOfSpace);

  // Nothing refused left a trace, and everything stored before is still there and readable.
  BOOST_TEST(n.uploads().get(open_session)->size == 0u);
  BOOST_TEST(!n.blobs().size_of(sha256("another manifest")));
  BOOST_TEST(!n.metadata().blob_linked("apps/api", layer.digest));
  BOOST_TEST(!n.metadata().resolve_tag("apps/web", "v2"));
  BOOST_TEST(read_blob(n.blobs(), layer.digest) == std::optional<std::string>("layer bytes"));
  BOOST_TEST(n.metadata().resolve_tag("apps/web", "v1") == std::optional<Digest>(manifest.digest));
  // Content already stored needs no space: putting it again is a no-op that succeeds.
  BOOST_TEST(n.blobs().put("manifest bytes").digest == manifest.digest);
  // Deletions still work on a full disk (they are how an operator makes room).
  BOOST_TEST(n.metadata().delete_tag("apps/web", "v1"));
  BOOST_TEST(n.uploads().cancel(open_session));

  n.space.set_full(false);
  const BlobInfo later = upload(n.uploads(), "apps/web", "written after the disk was freed");
  BOOST_TEST(read_blob(n.blobs(), later.digest) == std::optional<std::string>("written after the disk was freed"));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(a_capacity_counts_what_is_stored_once, Backend, Backends) {
  BudgetedNode<Backend> n;
  n.space.set_capacity(100);
  const BlobInfo first = n.blobs().put(std::string(40, 'a'));
  BOOST_TEST(n.space.used() == 40u);
  n.blobs().put(std::string(40, 'a'));  // the same content again takes no more space
  BOOST_TEST(n.space.used() == 40u);
  upload(n.uploads(), "r", std::string(40, 'b'));
  BOOST_TEST(n.space.used() == 80u);
  upload(n.uploads(), "r", std::string(10, 'b'));
  BOOST_TEST(n.space.used() == 90u);
  // Uploaded again: the bytes take space while they arrive, and come back once committed onto the stored blob.
  upload(n.uploads(), "r", std::string(10, 'b'));
  BOOST_TEST(n.space.used() == 90u);

  // 30 more do not fit in the 10 left: refused whole, the session unchanged.
  const std::string id = n.uploads().create("r").id;
  BOOST_CHECK_THROW(n.uploads().open_writer(id)->write(std::string(30, 'c')), OutOfSpace);
  BOOST_TEST(n.uploads().get(id)->size == 0u);
  BOOST_TEST(n.space.used() == 90u);
  n.uploads().open_writer(id)->write(std::string(10, 'c'));
  BOOST_TEST(n.space.used() == 100u);
  BOOST_CHECK_THROW(n.metadata().link_blob("r", first), OutOfSpace);  // no room at all: not even a record

  BOOST_TEST(n.uploads().cancel(id));
  BOOST_TEST(n.blobs().remove(first.digest));
  BOOST_TEST(n.space.used() == 50u);
  BOOST_TEST(stored_bytes(*n.storage) == 50u);
  BOOST_CHECK_NO_THROW(n.metadata().link_blob("r", first));
}

BOOST_AUTO_TEST_SUITE_END()
