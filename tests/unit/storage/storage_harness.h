#pragma once
// What every storage test shares: the two backends the one suite runs against, a clock the test moves by hand, a
// fresh data directory per disk test, and small helpers to build content and manifests.
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <tuple>
#include <vector>

#include "reference/common/clock.h"
#include "reference/common/random.h"
#include "reference/oci/digest.h"
#include "reference/storage/storage.h"
#include "tests/unit/temporary_directory.h"

namespace outpost::oci {
// Lets BOOST_TEST print digests (and vectors of them) when a comparison fails.
inline std::ostream& boost_test_print_type(std::ostream& out, const Digest& digest) { return out << digest.str(); }
}  // namespace outpost::oci

namespace boost::test_tools::tt_detail {
// Lets BOOST_TEST compare optionals directly and print both sides when they differ.
template <typename T>
struct print_log_value<std::optional<T>> {
  void operator()(std::ostream& out, const std::optional<T>& value) {
    if (value)
      print_log_value<T>()(out, *value);
    else
      out << "nullopt";
  }
};
}  // namespace boost::test_tools::tt_detail

namespace outpost::storage::testing {

// Wall time moves only when a test says so, which makes grace periods and link times exact.
class FakeClock final : public Clock {
 public:
  WallTime now() const override { return now_; }
  Nanoseconds monotonic() const override { return monotonic_; }
  void advance(Nanoseconds by) {
    now_ += by;
    monotonic_ += by;
  }

 private:
  WallTime now_ = WallTime(std::chrono::seconds(1'700'000'000));
  Nanoseconds monotonic_{0};
};

// A fresh data directory per disk test (tests/unit/temporary_directory.h).
using outpost::testing::TemporaryDirectory;

struct MemoryBackend {
  static constexpr bool kOnDisk = false;
  std::unique_ptr<Storage> open(const Clock& clock, Random& random) { return open_memory_storage(clock, random); }
};

struct DiskBackend {
  static constexpr bool kOnDisk = true;
  TemporaryDirectory directory;
  std::unique_ptr<Storage> open(const Clock& clock, Random& random) {
    return open_disk_storage(directory.path(), clock, random);
  }
};

using Backends = std::tuple<MemoryBackend, DiskBackend>;

// One node's storage on the chosen backend.
template <typename Backend>
struct Node {
  FakeClock clock;
  SeededRandom random{42};
  Backend backend;
  std::unique_ptr<Storage> storage = backend.open(clock, random);

  BlobStore& blobs() { return *storage->blobs; }
  UploadStore& uploads() { return *storage->uploads; }
  MetadataStore& metadata() { return *storage->metadata; }
  // Closes the storage and opens the same data again (what a restart of the process does).
  void reopen() {
    storage.reset();
    storage = backend.open(clock, random);
  }
};

inline Digest sha256(std::string_view bytes) { return oci::digest_of(bytes); }

inline std::string read_all(BlobReader& reader) {
  std::string bytes(reader.size(), '\0');
  const size_t n = reader.read_at(0, bytes);
  bytes.resize(n);
  return bytes;
}

inline std::optional<std::string> read_blob(BlobStore& blobs, const Digest& digest) {
  auto reader = blobs.open(digest);
  if (!reader) return std::nullopt;
  return read_all(*reader);
}

inline std::vector<Digest> digests_of(const std::vector<BlobInfo>& blobs) {
  std::vector<Digest> digests;
  for (const auto& blob : blobs) digests.push_back(blob.digest);
  return digests;
}

// A manifest record whose digest is that of `content` (the tests do not need real manifest JSON).
inline ManifestRecord manifest_record(std::string_view content, std::vector<Digest> references = {},
                                      std::optional<Digest> subject = std::nullopt, std::string artifact_type = "") {
  ManifestRecord record;
  record.digest = sha256(content);
  record.media_type = "application/vnd.oci.image.manifest.v1+json";
  record.size = content.size();
  record.references = std::move(references);
  record.subject = std::move(subject);
  record.artifact_type = std::move(artifact_type);
  return record;
}

inline std::vector<std::string> strings(std::initializer_list<const char*> items) { return {items.begin(), items.end()}; }

}  // namespace outpost::storage::testing
