// The registry's request paths end to end through its router (registry::Registry with OpenAccess), driven in-process
// the way a transport drives it: start(), the body in 64 KiB pieces, finish(), the streamed response pulled in 1 MiB
// pieces. No sockets, so these figures are the registry's and the storage's own cost, the ceiling under any transport.
// Each benchmark runs once on memory storage and once on disk storage (files + SQLite in a fresh temporary directory,
// removed at exit). Times are wall-clock (UseRealTime): on disk, fsync waits are the cost and use no CPU.
#include <benchmark/benchmark.h>

#include <stdlib.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "reference/common/clock.h"
#include "reference/common/random.h"
#include "reference/oci/digest.h"
#include "reference/oci/media_types.h"
#include "reference/registry/registry.h"
#include "reference/storage/storage.h"
#include "tests/unit/registry/in_process_client.h"

using namespace outpost;

namespace {

constexpr size_t kKiB = 1024, kMiB = 1024 * kKiB;
constexpr size_t kRequestPiece = 64 * kKiB;  // what the live server reads from a socket at a time
constexpr size_t kResponsePiece = 1 * kMiB;  // what the live server pulls from a BodySource at a time
constexpr int kTagCount = 10'000;

enum class StorageKind { Memory, Disk };

// ---------------------------------------------------------------------------------------------------------------------
// Driving the router without copies: InProcessClient copies request bodies and collects response bodies into a string,
// which would add a memcpy per byte to the large-blob figures. The benchmarks use this thinner exchange instead.

struct Exchange {
  int status = 0;
  http::Headers headers;
  std::string body;         // small bodies only (JSON, manifests)
  uint64_t body_bytes = 0;  // bytes received, streamed or not
};

Exchange exchange(http::Handler& handler, http::Method method, std::string target, std::string_view body = {},
                  http::Headers headers = {}) {
  http::Request request;
  request.method = method;
  const size_t question = target.find('?');
  request.path = http::percent_decode(std::string_view(target).substr(0, question));
  if (question != std::string::npos) request.query = target.substr(question + 1);
  request.target = std::move(target);
  request.headers = std::move(headers);
  if (method == http::Method::Put || method == http::Method::Post || method == http::Method::Patch)
    request.content_length = body.size();
  request.remote_address = "127.0.0.1:1";

  auto call = handler.start(std::move(request));
  for (size_t offset = 0; offset < body.size(); offset += kRequestPiece)
    if (!call->on_body(body.substr(offset, kRequestPiece))) break;
  http::Response response = call->finish();

  Exchange result{response.status, std::move(response.headers), std::move(response.body), 0};
  result.body_bytes = result.body.size();
  if (response.stream) {
    static std::vector<char> piece(kResponsePiece);
    while (size_t n = response.stream->read(piece)) result.body_bytes += n;
  }
  return result;
}

std::string random_bytes(size_t size, uint64_t seed) {
  std::string bytes(size, '\0');
  SeededRandom random(seed);
  random.fill(std::as_writable_bytes(std::span<char>(bytes)));
  return bytes;
}

struct Blob {
  std::string bytes;
  oci::Digest digest;
};

Blob random_blob(size_t size, uint64_t seed) {
  Blob blob{random_bytes(size, seed), {}};
  blob.digest = oci::digest_of(blob.bytes);
  return blob;
}

std::string tag_name(int i) {
  char name[16];
  std::snprintf(name, sizeof name, "t%05d", i);  // zero-padded: sorted order is numeric order
  return name;
}

// ---------------------------------------------------------------------------------------------------------------------
// One registry node per storage kind, built on first use. Content that several benchmarks read (the 10,000-tag
// repository, the blobs to download) is built once per node, outside any timing.

class Node {
 public:
  explicit Node(StorageKind kind) {
    if (kind == StorageKind::Disk) {
      std::string pattern = (std::filesystem::temp_directory_path() / "outpost-bench-XXXXXX").string();
      if (!mkdtemp(pattern.data())) throw std::runtime_error("cannot create a temporary directory");
      directory_ = pattern;
      try {
        storage_ = storage::open_disk_storage(*directory_ / "data", clock_, random_);
      } catch (...) {
        remove_directory();  // the destructor will not run
        throw;
      }
    } else {
      storage_ = storage::open_memory_storage(clock_, random_);
    }
    registry_ = std::make_unique<registry::Registry>(*storage_, clock_, random_, policy_);
  }

  ~Node() {
    registry_.reset();
    storage_.reset();  // closes SQLite before its files go
    remove_directory();
  }

  registry::Registry& registry() { return *registry_; }
  storage::Storage& storage() { return *storage_; }

  // "bench/tags": one image tagged t00000 .. t09999 (the same manifest under every tag: listings read tags only).
  const std::string& tag_repository() {
    if (!tags_built_) {
      testing::InProcessClient client(*registry_);
      const std::string manifest = client.push_image(kTagRepository, tag_name(0), "{}", {"layer"});
      http::Headers headers;
      headers.set("Content-Type", std::string(oci::kOciImageManifest));
      for (int i = 1; i < kTagCount; ++i) {
        const Exchange put = exchange(*registry_, http::Method::Put,
                                      "/v2/" + kTagRepository + "/manifests/" + tag_name(i), manifest, headers);
        if (put.status != 201) throw std::runtime_error("tagging failed: " + std::to_string(put.status) + " " + put.body);
      }
      tags_built_ = true;
    }
    return kTagRepository;
  }

  // "bench/app": an image of a config and 10 layers, tagged v1.
  const std::string& image_repository() {
    if (!image_built_) {
      testing::InProcessClient client(*registry_);
      std::vector<std::string> layers;
      for (int i = 0; i < 10; ++i) layers.push_back(random_bytes(4 * kKiB, 100 + i));
      client.push_image(kImageRepository, "v1", R"({"architecture":"amd64","os":"linux"})", layers);
      image_built_ = true;
    }
    return kImageRepository;
  }

  // "bench/download": a stored blob of `size` bytes, pushed on first request for that size.
  oci::Digest download_blob(size_t size) {
    for (const auto& [stored_size, digest] : downloads_)
      if (stored_size == size) return digest;
    const Blob blob = random_blob(size, size);
    const Exchange post = exchange(*registry_, http::Method::Post,
                                   "/v2/" + kDownloadRepository + "/blobs/uploads/?digest=" + blob.digest.str(), blob.bytes);
    if (post.status != 201) throw std::runtime_error("blob push failed: " + std::to_string(post.status));
    downloads_.emplace_back(size, blob.digest);
    return blob.digest;
  }

  static inline const std::string kTagRepository = "bench/tags";
  static inline const std::string kImageRepository = "bench/app";
  static inline const std::string kDownloadRepository = "bench/download";
  static inline const std::string kUploadRepository = "bench/upload";

 private:
  void remove_directory() {
    if (!directory_) return;
    std::error_code ignored;
    std::filesystem::remove_all(*directory_, ignored);
  }

  SystemClock clock_;
  SeededRandom random_{1};
  registry::OpenAccess policy_;
  std::optional<std::filesystem::path> directory_;
  std::unique_ptr<storage::Storage> storage_;
  std::unique_ptr<registry::Registry> registry_;
  bool tags_built_ = false, image_built_ = false;
  std::vector<std::pair<size_t, oci::Digest>> downloads_;
};

std::array<std::unique_ptr<Node>, 2> nodes;

Node& node(StorageKind kind) {
  auto& slot = nodes[static_cast<size_t>(kind)];
  if (!slot) slot = std::make_unique<Node>(kind);
  return *slot;
}

// Uploaded blobs are deleted between iterations (untimed): every upload then stores new content, as a real push does,
// and 64 MiB iterations do not pile up in memory or on disk.
void forget(Node& target, const oci::Digest& digest) {
  target.storage().metadata->forget_blob(digest);
  target.storage().blobs->remove(digest);
}

bool expect(benchmark::State& state, const Exchange& reply, int status, const char* what) {
  if (reply.status == status) return true;
  state.SkipWithError((std::string(what) + " answered " + std::to_string(reply.status) + " " + reply.body).c_str());
  return false;
}

// Setup that throws (disk full, a refused push) skips the benchmark instead of aborting the whole run.
template <typename Setup>
auto set_up(benchmark::State& state, Setup setup) -> std::optional<std::decay_t<decltype(setup())>> {
  try {
    return setup();
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return std::nullopt;
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------------------------------
// Uploads

// Monolithic POST ?digest= of 16 KiB (SPEC 6.3 single-request push). 64 distinct blobs per iteration, then untimed
// deletion of all 64.
static void BM_BlobUpload_Monolithic16KiB(benchmark::State& state, StorageKind kind) {
  constexpr size_t kBatch = 64;
  auto blobs = set_up(state, [&] {
    std::vector<Blob> pool;
    for (size_t i = 0; i < kBatch; ++i) pool.push_back(random_blob(16 * kKiB, 1000 + i));
    node(kind);
    return pool;
  });
  if (!blobs) return;
  Node& target = node(kind);
  for (auto _ : state) {
    bool ok = true;
    for (const Blob& blob : *blobs) {
      const Exchange reply =
          exchange(target.registry(), http::Method::Post,
                   "/v2/" + Node::kUploadRepository + "/blobs/uploads/?digest=" + blob.digest.str(), blob.bytes);
      if (!(ok = expect(state, reply, 201, "monolithic POST"))) break;
    }
    if (!ok) break;
    state.PauseTiming();
    for (const Blob& blob : *blobs) forget(target, blob.digest);
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kBatch));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kBatch * 16 * kKiB));
}

// A 64 MiB blob as a chunked upload: POST opens the session, 64 PATCHes of 1 MiB each (with Content-Range), PUT
// ?digest= closes it. One item = one blob.
static void BM_BlobUpload_Chunked64MiB(benchmark::State& state, StorageKind kind) {
  constexpr size_t kSize = 64 * kMiB, kChunk = 1 * kMiB;
  static const Blob blob = random_blob(kSize, 64);
  if (!set_up(state, [&] { return &node(kind); })) return;
  Node& target = node(kind);
  const std::string uploads = "/v2/" + Node::kUploadRepository + "/blobs/uploads/";
  for (auto _ : state) {
    const Exchange opened = exchange(target.registry(), http::Method::Post, uploads);
    if (!expect(state, opened, 202, "POST session")) break;
    std::string location(opened.headers.get("Location").value_or(""));
    bool ok = true;
    for (size_t offset = 0; ok && offset < kSize; offset += kChunk) {
      http::Headers headers;
      headers.set("Content-Type", "application/octet-stream");
      headers.set("Content-Range", std::to_string(offset) + "-" + std::to_string(offset + kChunk - 1));
      const Exchange patched = exchange(target.registry(), http::Method::Patch, location,
                                        std::string_view(blob.bytes).substr(offset, kChunk), headers);
      ok = expect(state, patched, 202, "PATCH chunk");
      location = std::string(patched.headers.get("Location").value_or(location));
    }
    if (!ok) break;
    const char separator = location.find('?') == std::string::npos ? '?' : '&';
    const Exchange closed =
        exchange(target.registry(), http::Method::Put, location + separator + "digest=" + blob.digest.str());
    if (!expect(state, closed, 201, "PUT ?digest=")) break;
    state.PauseTiming();
    forget(target, blob.digest);
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kSize));
}

// ---------------------------------------------------------------------------------------------------------------------
// Downloads: GET a stored blob and pull its whole streamed body. Disk reads come from the page cache (the blob was
// just written), so this is the storage's read path without the device.

static void BM_BlobDownload(benchmark::State& state, StorageKind kind, size_t size) {
  auto digest = set_up(state, [&] { return node(kind).download_blob(size); });
  if (!digest) return;
  Node& target = node(kind);
  const std::string path = "/v2/" + Node::kDownloadRepository + "/blobs/" + digest->str();
  for (auto _ : state) {
    const Exchange reply = exchange(target.registry(), http::Method::Get, path);
    if (!expect(state, reply, 200, "blob GET")) break;
    if (reply.body_bytes != size) {
      state.SkipWithError("blob GET returned the wrong number of bytes");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * size));
}

// ---------------------------------------------------------------------------------------------------------------------
// Manifests and listings

static void BM_ManifestGet_ByTag(benchmark::State& state, StorageKind kind) {
  auto repository = set_up(state, [&] { return node(kind).image_repository(); });
  if (!repository) return;
  Node& target = node(kind);
  const std::string path = "/v2/" + *repository + "/manifests/v1";
  http::Headers accept;
  accept.set("Accept", std::string(oci::kOciImageManifest));
  for (auto _ : state) {
    const Exchange reply = exchange(target.registry(), http::Method::Get, path, {}, accept);
    if (!expect(state, reply, 200, "manifest GET")) break;
  }
  state.SetItemsProcessed(state.iterations());
}

// `query` is appended to tags/list; `expected` is how many tags one answer must hold. Items are requests; the
// "tags/s" counter is the rate of tag names listed.
static void tags_list(benchmark::State& state, StorageKind kind, const std::string& query, size_t expected) {
  auto repository = set_up(state, [&] { return node(kind).tag_repository(); });
  if (!repository) return;
  Node& target = node(kind);
  const std::string path = "/v2/" + *repository + "/tags/list" + query;
  // Checked once, untimed: the listing is what the benchmark claims to measure.
  const Exchange probe = exchange(target.registry(), http::Method::Get, path);
  if (!expect(state, probe, 200, "tags/list")) return;
  if (nlohmann::json::parse(probe.body).at("tags").size() != expected) {
    state.SkipWithError("tags/list returned the wrong number of tags");
    return;
  }
  for (auto _ : state) {
    const Exchange reply = exchange(target.registry(), http::Method::Get, path);
    if (!expect(state, reply, 200, "tags/list")) break;
    benchmark::DoNotOptimize(reply.body.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["tags/s"] =
      benchmark::Counter(static_cast<double>(state.iterations() * expected), benchmark::Counter::kIsRate);
  state.counters["body_bytes"] = static_cast<double>(probe.body.size());
}

static void BM_TagsList_Full10k(benchmark::State& state, StorageKind kind) { tags_list(state, kind, "", kTagCount); }

// A page from the middle of the listing: the 100 tags after t04999 (t05000 .. t05099).
static void BM_TagsList_Page100Middle(benchmark::State& state, StorageKind kind) {
  tags_list(state, kind, "?n=100&last=" + tag_name(kTagCount / 2 - 1), 100);
}

// ---------------------------------------------------------------------------------------------------------------------

#define OUTPOST_BOTH_STORAGES(function)                                   \
  BENCHMARK_CAPTURE(function, memory, StorageKind::Memory)->UseRealTime(); \
  BENCHMARK_CAPTURE(function, disk, StorageKind::Disk)->UseRealTime()

OUTPOST_BOTH_STORAGES(BM_BlobUpload_Monolithic16KiB);
OUTPOST_BOTH_STORAGES(BM_BlobUpload_Chunked64MiB);
BENCHMARK_CAPTURE(BM_BlobDownload, memory_16KiB, StorageKind::Memory, 16 * kKiB)->UseRealTime();
BENCHMARK_CAPTURE(BM_BlobDownload, disk_16KiB, StorageKind::Disk, 16 * kKiB)->UseRealTime();
BENCHMARK_CAPTURE(BM_BlobDownload, memory_64MiB, StorageKind::Memory, 64 * kMiB)->UseRealTime();
BENCHMARK_CAPTURE(BM_BlobDownload, disk_64MiB, StorageKind::Disk, 64 * kMiB)->UseRealTime();
OUTPOST_BOTH_STORAGES(BM_ManifestGet_ByTag);
OUTPOST_BOTH_STORAGES(BM_TagsList_Full10k);
OUTPOST_BOTH_STORAGES(BM_TagsList_Page100Middle);

// Not BENCHMARK_MAIN: the nodes must close (and the disk node delete its directory) after the last benchmark.
int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  for (auto& slot : nodes) slot.reset();
  return 0;
}
