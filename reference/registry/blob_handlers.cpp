#include <algorithm>
#include <mutex>

#include "reference/registry/byte_range.h"
#include "reference/registry/handlers.h"
#include "reference/registry/oci_errors.h"
#include "reference/storage/space_reserve.h"

namespace outpost::registry {

namespace {
// Streams a slice of a stored blob to the transport without holding it in memory.
class BlobSlice final : public http::BodySource {
 public:
  BlobSlice(std::unique_ptr<storage::BlobReader> reader, uint64_t offset, uint64_t length)
      : reader_(std::move(reader)), position_(offset), remaining_(length), length_(length) {}
  uint64_t size() const override { return length_; }
  size_t read(std::span<char> out) override {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(out.size(), remaining_));
    if (want == 0) return 0;
    const size_t got = reader_->read_at(position_, out.first(want));
    if (got == 0) throw storage::StorageError("blob ended early while serving it");
    position_ += got;
    remaining_ -= got;
    return got;
  }

 private:
  std::unique_ptr<storage::BlobReader> reader_;
  uint64_t position_, remaining_, length_;
};
}  // namespace

http::Response get_blob(Context& context, const http::Request& request, const Route& route) {
  const oci::Digest digest = parse_digest_or_throw(route.object);
  // A blob is readable only through a repository that references it or received it (SPEC 3.6).
  const std::optional<uint64_t> linked = context.storage.metadata->linked_size(route.repository, digest);
  if (!linked) throw blob_unknown(digest.str());
  auto reader = context.storage.blobs->open(digest);
  if (!reader) throw blob_unknown(digest.str());
  const uint64_t size = reader->size();
  // A file of another size than the one stored was damaged on disk (truncated, overwritten): served, it would reach
  // the client as a whole blob under a digest it does not have. Telling the size costs nothing; a bit flipped in
  // place is left to the client's digest check, as hashing every read would cost what serving it does.
  if (size != *linked) {
    // A HEAD is how clients (and a child's sync) ask whether to upload: "unknown" makes them push the right bytes,
    // which repairs the file; a 500 stopped them. A GET says what is wrong.
    const ApiError damaged = damaged_content("blob", digest.str(), *linked, size);
    if (request.method == http::Method::Head) throw blob_unknown(digest.str());
    throw damaged;
  }

  http::Response response;
  response.headers.set("Content-Type", "application/octet-stream");
  response.headers.set("Docker-Content-Digest", digest.str());
  response.headers.set("ETag", "\"" + digest.str() + "\"");
  response.headers.set("Accept-Ranges", "bytes");
  // RFC 9110 14.2: Range is ignored on any method but GET, so a HEAD always tells the whole blob's size.
  const bool ranged = request.method == http::Method::Get;
  const RangeRequest range = parse_range_header(ranged ? request.headers.get("Range") : std::nullopt, size);
  uint64_t offset = 0, length = size;
  if (range.status == RangeStatus::Unsatisfiable) {
    // Not BLOB_UNKNOWN: the blob is here (a client reading that code would push it again); the spec's list has no
    // code for a range, so the catch-all, with the size in the message and the Content-Range.
    auto error = error_response(ApiError(416, "UNSUPPORTED",
                                         "requested range not satisfiable: the blob has " + std::to_string(size) +
                                             " bytes",
                                         {{"size", size}}));
    error.headers.set("Content-Range", "bytes */" + std::to_string(size));
    return error;
  }
  if (range.status == RangeStatus::Partial) {
    response.status = 206;
    offset = range.range.first;
    length = range.range.length();
    response.headers.set("Content-Range", "bytes " + std::to_string(range.range.first) + "-" +
                                              std::to_string(range.range.last) + "/" + std::to_string(size));
  }
  response.headers.set("Content-Length", std::to_string(length));
  if (request.method != http::Method::Head) response.stream = std::make_unique<BlobSlice>(std::move(reader), offset, length);
  return response;
}

http::Response delete_blob(Context& context, const Route& route) {
  const oci::Digest digest = parse_digest_or_throw(route.object);
  // Only this repository's link goes; the bytes stay while other repositories (or manifests) use them, and gc
  // reclaims them once nothing does.
  const bool unlinked = storage::freeing_space(
      context.storage, [&] { return context.storage.metadata->unlink_blob(route.repository, digest); });
  if (!unlinked) throw blob_unknown(digest.str());
  http::Response response;
  response.status = 202;
  response.headers.set("Docker-Content-Digest", digest.str());
  response.headers.set("Content-Length", "0");
  return response;
}

}  // namespace outpost::registry
