// Content damaged on the registry's disk after it was stored (a file truncated, a byte flipped) is never served as if
// whole, and a client's push of the right bytes repairs it.
#include <boost/test/unit_test.hpp>

#include <fstream>

#include "reference/storage/disk_blob_store.h"
#include "tests/unit/registry/registry_fixture.h"

using namespace outpost;
using namespace outpost::testing;
using http::Method;

namespace {
struct DiskRegistryFixture {
  std::filesystem::path directory =
      std::filesystem::temp_directory_path() / ("outpost-damaged-" + SystemRandom().hex(8));
  SystemClock clock;
  SeededRandom random{1};
  registry::OpenAccess policy;
  std::unique_ptr<storage::Storage> storage = storage::open_disk_storage(directory, clock, random);
  registry::Registry registry{*storage, clock, random, policy};
  InProcessClient client{registry};

  ~DiskRegistryFixture() {
    std::error_code ignored;
    std::filesystem::remove_all(directory, ignored);
  }
  std::filesystem::path path_of(const oci::Digest& digest) const {
    const std::string hex(digest.hex());
    return directory / "blobs" / "sha256" / hex.substr(0, 2) / hex;
  }
  void overwrite(const oci::Digest& digest, std::string_view bytes) const {
    std::ofstream(path_of(digest), std::ios::binary | std::ios::trunc) << bytes;
  }
};
}  // namespace

BOOST_FIXTURE_TEST_SUITE(damaged_content, DiskRegistryFixture)

BOOST_AUTO_TEST_CASE(a_truncated_blob_is_refused_then_repaired_by_a_push) {
  const std::string bytes(100000, 'L');
  const auto digest = client.push_blob("app", bytes);
  overwrite(digest, bytes.substr(0, 50000));
  const Reply get = client.get("/v2/app/blobs/" + digest.str());
  BOOST_TEST(get.status == 500);
  BOOST_TEST(get.body.find("pushing it again repairs it") != std::string::npos, get.body);
  // A HEAD is how clients and a child's sync decide to upload: "unknown" makes them push; a 500 stopped them.
  BOOST_TEST(client.head("/v2/app/blobs/" + digest.str()).status == 404);
  BOOST_TEST(client.send(Method::Post, "/v2/app/blobs/uploads/?digest=" + digest.str(), bytes).status == 201);
  const Reply repaired = client.get("/v2/app/blobs/" + digest.str());
  BOOST_TEST(repaired.status == 200);
  BOOST_TEST((repaired.body == bytes));
}

BOOST_AUTO_TEST_CASE(a_damaged_manifest_is_refused_then_repaired_by_a_push) {
  oci::Digest digest;
  const std::string manifest = client.push_image("app", "v1", "{\"config\":1}", {"layer"}, &digest);
  std::string flipped = manifest;
  flipped[flipped.size() / 2] ^= 1;
  overwrite(digest, flipped);
  const Reply damaged = client.get("/v2/app/manifests/v1");
  BOOST_TEST(damaged.status == 500);
  BOOST_TEST(damaged.body.find("manifest " + digest.str() + " is damaged") != std::string::npos, damaged.body);

  overwrite(digest, manifest.substr(0, 10));
  http::Headers type;
  type.set("Content-Type", "application/vnd.oci.image.manifest.v1+json");
  BOOST_TEST(client.send(Method::Put, "/v2/app/manifests/v1", manifest, type).status == 201);
  const Reply repaired = client.get("/v2/app/manifests/v1");
  BOOST_TEST(repaired.status == 200);
  BOOST_TEST(repaired.body == manifest);
}

BOOST_AUTO_TEST_SUITE_END()
