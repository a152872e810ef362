#include "reference/sync/content_sync.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <stdexcept>

#include "reference/common/log.h"
#include "reference/oci/manifest.h"
#include "reference/oci/media_types.h"
#include "reference/gateway/protocol.h"
#include "reference/storage/manifest_record.h"
#include "reference/sync/concurrently.h"

namespace outpost::sync {

namespace {
using Kind = oci::ContentChange::Kind;
using Failure = SyncFailure::Kind;

// Why pull_manifest stops when the parent does not have the manifest asked for.
SyncFailure no_manifest_above(const std::string& repository, const oci::Digest& digest) {
  return SyncFailure::manifest_not_found("the parent has no manifest " + digest.str() + " in " + repository,
                                         digest.str(), /*here=*/false);
}
// Whether `failure` is that of the manifest `digest` itself, not of a part it names (a parent may hold an index
// without one of its manifests): what apply and take_parent_tag tell apart.
bool manifest_gone_above(const SyncFailure& failure, const oci::Digest& digest) {
  return failure.kind() == SyncFailure::Kind::NotFound && !failure.missing_here() &&
         failure.missing_manifest() == digest.str();
}

// Why push_manifest stops for an index whose manifest a client deleted here before it went up (and that the parent
// does not hold): push_manifest_entry tells it from the entry's own manifest deleted here.
SyncFailure child_deleted_here(const oci::Digest& child, const oci::Digest& index) {
  return SyncFailure::manifest_not_found(
      "manifest " + child.str() + " of index " + index.str() + " was deleted here before it went up", child.str(),
      /*here=*/true);
}
bool is_child_deleted_here(const SyncFailure& failure) {
  return failure.kind() == SyncFailure::Kind::NotFound && failure.missing_here();
}

std::string accept_all_manifests() {
  return std::string(oci::kOciImageManifest) + ", " + std::string(oci::kOciImageIndex) + ", " +
         std::string(oci::kDockerManifest) + ", " + std::string(oci::kDockerManifestList);
}

// Blobs up to this size are fetched into memory, checked against their digest there and stored with one write
// (BlobStore::put: a temporary file, fsync, rename, fsync of its directory), as manifests are. Streaming them through an
// upload session costs four more fsyncs each (the session's creation and its removal: a directory sync and an SQLite
// commit each), and a sync of many small layers waited on the disk, not on the network. A small download that is cut
// starts over (this many bytes at most); larger blobs keep the resumable upload-session path (SPEC 5.8).
constexpr uint64_t kSmallBlob = 1 << 20;

// How many blobs of one manifest, and how many tags of a full resync, are fetched at once (so up to 16 exchanges in
// flight). One at a time, a sync of 200 small images was a chain of 1,400 round trips, each paying the scheduling
// delays of three processes on a busy machine (seconds when idle, half a minute when not); several large layers at
// once are received and hashed on the HTTP client's two threads instead of one.
constexpr size_t kBlobsInFlight = 4;
constexpr size_t kTagsInFlight = 4;

// Collects a small blob's bytes and, once the last one has arrived and they match the digest, stores the blob. That
// runs where the bytes arrive (the HTTP client's threads, where an upload session's bytes are written too), so the
// fsyncs of several downloads overlap and the agent's thread is left with the link alone. A stored blob stays
// invisible until linked (a repository serves only the blobs it references). The descriptor's size is the parent's
// word, not a promise: past it the sink stops collecting (a wrong size must not fill the memory) and the blob is
// fetched again through an upload session.
class SmallBlobSink final : public http::BodySink {
 public:
  SmallBlobSink(storage::Storage& storage, oci::Digest digest, uint64_t size)
      : storage_(storage), digest_(std::move(digest)), size_(size) {
    bytes_.reserve(static_cast<size_t>(size));
  }
  void write(std::string_view piece) override {
    if (overflowed_) return;
    if (bytes_.size() + piece.size() > size_) {
      overflowed_ = true;
      std::string().swap(bytes_);
      return;
    }
    bytes_.append(piece);
    if (bytes_.size() == size_ && oci::digest_of(bytes_, digest_.algorithm()) == digest_) {
      std::shared_lock lock(storage_.commit_lock);
      storage_.blobs->put(bytes_);  // durable (the file and its directory fsynced) when it returns
      stored_ = true;
    }
  }
  const std::string& bytes() const { return bytes_; }
  bool stored() const { return stored_; }
  bool overflowed() const { return overflowed_; }

 private:
  storage::Storage& storage_;
  const oci::Digest digest_;
  const uint64_t size_;
  std::string bytes_;
  std::atomic<bool> stored_{false};
  std::atomic<bool> overflowed_{false};
};

// Streams a download into an upload session (the session's writer hashes as it goes), leaving out its first `skip`
// bytes (a resumed download asks again for the last byte it holds, see download_blob).
class UploadSink final : public http::BodySink {
 public:
  UploadSink(std::unique_ptr<storage::UploadWriter> writer, uint64_t skip) : writer_(std::move(writer)), skip_(skip) {}
  void write(std::string_view piece) override {
    const size_t skipped = static_cast<size_t>(std::min<uint64_t>(skip_, piece.size()));
    skip_ -= skipped;
    if (skipped < piece.size()) writer_->write(piece.substr(skipped));
  }
  void close() { writer_->close(); }

 private:
  std::unique_ptr<storage::UploadWriter> writer_;
  uint64_t skip_;
};

// A stored blob as a request body (push-up), read in pieces.
class BlobSource final : public http::BodySource {
 public:
  explicit BlobSource(std::unique_ptr<storage::BlobReader> reader) : reader_(std::move(reader)) {}
  uint64_t size() const override { return reader_->size(); }
  size_t read(std::span<char> out) override {
    const size_t got = reader_->read_at(offset_, out);
    offset_ += got;
    return got;
  }

 private:
  std::unique_ptr<storage::BlobReader> reader_;
  uint64_t offset_ = 0;
};

// An answer the sync did not expect, worded for its status report as ParentLink words the failures it recognises.
std::string answered(const http::ClientResponse& response) { return answer_detail(response.status, response.body); }

std::string read_blob(storage::BlobStore& blobs, const oci::Digest& digest) {
  auto reader = blobs.open(digest);
  if (!reader) return {};
  std::string bytes(reader->size(), '\0');
  size_t offset = 0;
  while (offset < bytes.size()) {
    const size_t got = reader->read_at(offset, std::span<char>(bytes.data() + offset, bytes.size() - offset));
    if (got == 0) break;
    offset += got;
  }
  bytes.resize(offset);
  return bytes;
}

// A change pushed up that the parent answered otherwise than expected. A 4xx turns the change itself down (the link
// threw 401, 403 and 429 already): sending the same bytes again gets the same answer, so it is Rejected and waits
// with its repository's changes (SyncAgent::push_loop). Anything else (a redirect, an unexpected success) is retried.
SyncFailure turned_down(const std::string& what, const http::ClientResponse& response) {
  const bool rejected = response.status >= 400 && response.status < 500;
  return SyncFailure(rejected ? Failure::Rejected : Failure::Unreachable, what + ": " + answered(response),
                     response.status);
}

std::optional<oci::Digest> header_digest(const http::ClientResponse& response) {
  const auto value = response.headers.get("Docker-Content-Digest");
  return value ? oci::Digest::parse(*value) : std::nullopt;
}

std::string manifest_path(const std::string& repository, const std::string& reference) {
  return "/v2/" + repository + "/manifests/" + reference;
}
}  // namespace

// A blob being fetched now. Pulls running at the same time (two images of a resync sharing a layer) wait for the
// fetch in progress rather than starting a second one, then look at the storage again.
struct ContentSync::BlobInFlight {
  std::vector<std::coroutine_handle<>> waiters;

  struct Wait {
    BlobInFlight& flight;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> awaiting) { flight.waiters.push_back(awaiting); }
    void await_resume() const noexcept {}
  };
};

ContentSync::ContentSync(ParentLink& link, storage::Storage& storage, SyncStore& store,
                         std::function<void(const oci::ContentChange&)> applied)
    : link_(link), storage_(storage), store_(store), applied_(std::move(applied)) {}

bool ContentSync::drop_if_damaged(const std::string& repository, const oci::Digest& digest) {
  auto& metadata = *storage_.metadata;
  const auto record = metadata.manifest(repository, digest);
  if (!record) return false;
  bool damaged = !intact(digest);
  if (!damaged) {
    oci::ParsedManifest parsed;
    try {
      parsed = oci::parse_manifest(read_blob(*storage_.blobs, digest), record->media_type);
    } catch (const std::exception&) {
      damaged = true;
    }
    for (const auto& child : parsed.manifests) damaged = drop_if_damaged(repository, child.digest) || damaged;
    for (const auto& blob : parsed.blobs) {
      if (intact(blob.digest)) continue;
      if (blob.external && !storage_.blobs->size_of(blob.digest)) continue;  // fetched from its urls, never held
      std::unique_lock lock(storage_.commit_lock);  // as gc does: nothing may link it meanwhile
      if (intact(blob.digest)) continue;  // a client pushed the right bytes since the first look: keep them
      metadata.forget_blob(blob.digest);
      storage_.blobs->remove(blob.digest);
      damaged = true;
    }
  }
  if (!damaged) return false;
  // The journal read first without the locks, then again under them from where that read ended (as apply() does): a
  // whole read under both would stall every client's PUT and commit meanwhile.
  int64_t read_to = 0;
  bool pushed_here = named_by_pending_push(repository, digest, 0, read_to);
  // Checked and removed as one step against a client's repair (commit_lock) and a client's push of it (manifest_lock,
  // under which a PUT stores and journals; taken after commit_lock, as a PUT takes them).
  std::unique_lock lock(storage_.commit_lock);
  std::unique_lock stored(storage_.manifest_lock);
  pushed_here = pushed_here || named_by_pending_push(repository, digest, read_to, read_to);
  if (pushed_here) {
    // A client's acknowledged push still to go up (maybe made since the resync looked), of it or of an index naming
    // it: its record, its tags and its bytes stay, and the resync fetches it again from the parent, whose right bytes
    // replace damaged ones (ParentTag::repair). (Deleted, its tags went with it: the client's tag was lost here, or on
    // both sides when its push found the manifest gone and took that for a delete made here. Its bytes dropped, a
    // fetch that failed left a record without bytes, which no later pull fetched again.)
    // Remembered until whole: a fetch the parent cannot serve now is made by its next news of it, or of an index
    // naming it, whichever pull comes (pull_manifest). In memory: after a restart it is a damaged push like any other,
    // which the client's push of it again repairs.
    log::warn("damaged content of a push waiting to go up, fetching it again",
              {{"repository", repository}, {"digest", digest.str()}});
    awaiting_repair_.emplace(repository, digest.str());
    return true;
  }
  log::warn("damaged content dropped, fetching it again", {{"repository", repository}, {"digest", digest.str()}});
  metadata.delete_manifest(repository, digest);
  if (!intact(digest)) storage_.blobs->remove(digest);
  return true;
}

bool ContentSync::whole_here(const std::string& repository, const storage::ManifestRecord& record) {
  auto& metadata = *storage_.metadata;
  if (!intact(record.digest)) return false;
  for (const auto& part : record.references) {
    if (const auto child = metadata.manifest(repository, part)) {  // an index's manifest: whole, all it names too
      if (!whole_here(repository, *child)) return false;
    } else if (!storage_.blobs->size_of(part)) {
      return false;
    }
  }
  return true;
}

bool ContentSync::intact(const oci::Digest& digest) {
  auto reader = storage_.blobs->open(digest);
  if (!reader) return false;
  oci::Hasher hasher(digest.algorithm());
  std::string piece(256 * 1024, '\0');
  uint64_t offset = 0;
  while (offset < reader->size()) {
    const size_t got = reader->read_at(offset, std::span<char>(piece.data(), piece.size()));
    if (got == 0) return false;
    hasher.update(std::string_view(piece.data(), got));
    offset += got;
  }
  return hasher.finish() == digest;
}

std::string ContentSync::manifest_to_push(const std::string& repository, const oci::Digest& digest) {
  // Checked before it goes: damaged bytes would be refused above anyway (DIGEST_INVALID), and a damaged manifest read
  // here could name the wrong blobs. Nothing is dropped: it is this node's only copy of a client's push, which the
  // client's push of the same manifest again repairs (the registry replaces damaged bytes).
  std::string bytes = read_blob(*storage_.blobs, digest);
  if (oci::digest_of(bytes, digest.algorithm()) != digest)
    throw SyncFailure(Failure::Rejected, "manifest " + digest.str() + " of repository " + repository +
                                             " is damaged or missing here (its bytes do not match its digest); "
                                             "pushing it again here lets the change go up");
  return bytes;
}

Task<void> ContentSync::pull_manifest(std::string repository, oci::Digest digest, std::optional<std::string> tag,
                                       bool repair, OverMovesHere over_moves) {
  auto& metadata = *storage_.metadata;
  std::optional<storage::ManifestRecord> record = metadata.manifest(repository, digest);
  const std::pair<std::string, std::string> key{repository, digest.str()};
  // Held, it is fetched again only if a verifying resync found it damaged (now, or before: kept for a push, and not
  // fetched then) and it is still not whole; once whole (a client's push of it repairs it too), it is not awaited.
  const bool check = repair || (!awaiting_repair_.empty() && awaiting_repair_.contains(key));
  bool fetch = !record;
  if (record && check) {
    fetch = !whole_here(repository, *record);
    if (!fetch) awaiting_repair_.erase(key);
  }
  if (fetch) {
    http::Headers headers;
    headers.set("Accept", accept_all_manifests());
    http::ClientResponse response =
        co_await link_.content(http::Method::Get, manifest_path(repository, digest.str()), headers, nullptr, nullptr);
    if (response.status == 404)
      throw no_manifest_above(repository, digest);
    if (response.status != 200)
      throw SyncFailure(Failure::Unreachable, "GET manifest " + digest.str() + ": " + answered(response));
    if (oci::digest_of(response.body, digest.algorithm()) != digest)
      throw SyncFailure(Failure::Unreachable, "the parent's manifest does not match its digest " + digest.str());
    const std::string media_type = std::string(response.headers.get("Content-Type").value_or(""));
    oci::ParsedManifest parsed;
    try {
      parsed = oci::parse_manifest(response.body, media_type);
    } catch (const oci::ManifestError& error) {
      throw SyncFailure(Failure::Refused, "the parent's manifest " + digest.str() + " is invalid: " + error.what());
    }
    for (const auto& child : parsed.manifests) co_await pull_manifest(repository, child.digest, std::nullopt, check);
    std::vector<oci::Descriptor> blobs;  // each digest once (a manifest may list a layer twice)
    std::set<std::string> listed;
    for (const auto& blob : parsed.blobs)
      if (listed.insert(blob.digest.str()).second) blobs.push_back(blob);
    // Named, not built inside the co_await: GCC 12 destroys such temporaries twice.
    std::function<Task<void>(const oci::Descriptor&)> fetch = [this, repository](const oci::Descriptor& blob) {
      return blob.external ? ensure_external_layer(repository, blob) : ensure_blob(repository, blob.digest, blob.size);
    };
    Task<void> all_blobs = for_each_concurrently(std::move(blobs), kBlobsInFlight, std::move(fetch));
    co_await std::move(all_blobs);
    record = storage::manifest_record(parsed, digest, response.body.size());
    {
      // Checked and stored under the commit lock, as a client's manifest PUT is: garbage collection, on the pull loop
      // while the push loop takes a parent's tag, may have removed a blob this manifest names since it was fetched or
      // found here (one linked long ago and referenced by nothing), and the manifest would name a missing blob here
      // for good (a manifest held is not fetched again). The next round fetches the blob again.
      std::shared_lock lock(storage_.commit_lock);
      if (const auto missing = storage::missing_part(storage_, repository, parsed)) {
        throw SyncFailure(Failure::Raced,
                          missing->manifest ? "manifest " + missing->digest.str() + " of index " + digest.str() +
                                                  " went while the index was pulled; it is fetched again"
                                            : "blob " + missing->digest.str() + " of manifest " + digest.str() +
                                                  " was collected while the manifest was pulled; it is fetched again");
      }
      storage_.blobs->put(response.body);
      // The tag pointed under the manifest lock, under which a client's PUT stores and journals its tag: one a client
      // moved here while the manifest was fetched stays as the client left it (its push, waiting to go up, settles
      // both moves above, SPEC 5.7). Pointed over it, the client read the parent's value back after its own
      // acknowledged move, until the push's echo came down.
      std::unique_lock stored(storage_.manifest_lock, std::defer_lock);
      if (tag) stored.lock();
      if (tag && over_moves == OverMovesHere::No && store_.tag_pending(repository, *tag)) tag.reset();
      metadata.put_manifest(repository, *record, tag);
      // Told to this node's children before the lock goes: a client's move of the tag just after, told after it, is
      // then the later message too. Told after the lock, it could come first, and the children ended at this older
      // value for good.
      applied_({Kind::ManifestPut, repository, digest, tag});
    }
    awaiting_repair_.erase(key);
    ++counters_.manifests_down;
    co_return;
  }
  if (!tag || metadata.resolve_tag(repository, *tag) == digest) co_return;
  std::unique_lock stored(storage_.manifest_lock);  // as above: a client's move of the tag meanwhile stays
  if (over_moves == OverMovesHere::No && store_.tag_pending(repository, *tag)) co_return;
  metadata.put_manifest(repository, *record, tag);
  applied_({Kind::ManifestPut, repository, digest, tag});  // (told under the lock, as above)
}

Task<void> ContentSync::ensure_external_layer(std::string repository, oci::Descriptor layer) {
  // The parent holds it when a client uploaded it there, and then it comes down like any blob; when nobody did,
  // clients fetch it from its urls, and the manifest stands without it, as it did above.
  // Only what the parent serves for this repository: nobody checked that the pusher could read a layer with urls, so
  // bytes held here for another repository are not linked to this one (a manifest naming another repository's
  // private layer would otherwise lend it out, SPEC 3.6).
  try {
    co_await ensure_blob(repository, layer.digest, layer.size, /*link_held=*/false);
  } catch (const SyncFailure& failure) {
    if (failure.kind() != Failure::NotFound) throw;
  }
}

Task<void> ContentSync::ensure_blob(std::string repository, oci::Digest digest, uint64_t size, bool link_held) {
  auto& metadata = *storage_.metadata;
  const std::string key = digest.str();
  for (auto flight = blobs_in_flight_.find(key); flight != blobs_in_flight_.end();
       flight = blobs_in_flight_.find(key)) {
    BlobInFlight::Wait wait{*flight->second};
    co_await wait;
  }
  if (metadata.blob_linked(repository, digest) && storage_.blobs->size_of(digest)) co_return;
  if (const auto held = storage_.blobs->size_of(digest); held && link_held) {
    metadata.link_blob(repository, {digest, *held});  // stored for another repository: link, no transfer
    co_return;
  }
  const auto flight = std::make_shared<BlobInFlight>();
  blobs_in_flight_.emplace(key, flight);
  std::exception_ptr failure;
  try {
    // BlobStore::put names what it stores by its sha256: other algorithms take the upload session, which keeps theirs.
    const bool small = size <= kSmallBlob && digest.algorithm() == oci::DigestAlgorithm::Sha256;
    if (small && !store_.partial_download(repository, digest)) {
      co_await download_small_blob(repository, digest, size);
    } else {
      co_await download_blob(repository, digest);
    }
  } catch (...) {
    failure = std::current_exception();
  }
  // Whatever happened, the waiters look again: they link what arrived, or try the fetch themselves.
  blobs_in_flight_.erase(key);
  for (const auto waiter : std::exchange(flight->waiters, {})) waiter.resume();
  if (failure) std::rethrow_exception(failure);
}

Task<void> ContentSync::download_small_blob(std::string repository, oci::Digest digest, uint64_t size) {
  auto sink = std::make_shared<SmallBlobSink>(storage_, digest, size);
  const std::string path = "/v2/" + repository + "/blobs/" + digest.str();
  std::shared_ptr<http::BodySink> body = sink;  // named: no conversion inside the co_await (GCC 12)
  http::ClientResponse response = co_await link_.content(http::Method::Get, path, {}, nullptr, body);
  if (response.status == 404)
    throw SyncFailure(Failure::NotFound, "the parent has no blob " + digest.str() + " in " + repository, 404);
  if (response.status != 200)
    throw SyncFailure(Failure::Unreachable, "GET blob " + digest.str() + ": " + answered(response));
  if (sink->overflowed()) {  // larger than its descriptor said: the streaming path takes any size
    co_await download_blob(repository, digest);
    co_return;
  }
  // Verified before it becomes visible (SPEC 5.8), as an upload session's commit does: the sink stored the bytes only
  // if they matched; here are the cases it did not see whole (an empty blob, a descriptor that overstated the size).
  const std::string& bytes = sink->bytes();
  if (!sink->stored() && oci::digest_of(bytes, digest.algorithm()) != digest)
    throw SyncFailure(Failure::Unreachable, "downloaded blob refused: " + digest.str() + " does not match its bytes");
  {
    std::shared_lock lock(storage_.commit_lock);
    if (!sink->stored()) storage_.blobs->put(bytes);
    storage_.metadata->link_blob(repository, {digest, bytes.size()});
  }
  ++counters_.blobs_down;
}

Task<void> ContentSync::download_blob(std::string repository, oci::Digest digest) {
  auto& uploads = *storage_.uploads;
  // The session of an earlier attempt, this process's or a dead one's (SyncStore::partial_download): what it holds
  // is asked for no more. Gone (garbage collection's grace ran out), the download starts over in a new one.
  std::optional<storage::UploadState> session;
  if (const auto earlier = store_.partial_download(repository, digest)) session = uploads.get(*earlier);
  if (!session) {
    session = uploads.create(repository);
    store_.set_partial_download(repository, digest, session->id);
  }
  // A resumed download asks from the last byte it holds rather than the first one it lacks, and drops that byte again
  // as it arrives, so the parent always has something to send. A cut can come after the last byte arrived (the answer
  // was lost, not the data): the session then holds the whole blob, and a range starting past the end got 416, whose
  // error body went into the session and spoilt it, so the blob started over; on a link that loses answers, again and
  // again. Now that case is a one-byte 206 and the commit below.
  const uint64_t overlap = session->size > 0 ? 1 : 0;
  http::Headers headers;
  if (overlap > 0) headers.set("Range", "bytes=" + std::to_string(session->size - overlap) + "-");
  auto sink = std::make_shared<UploadSink>(uploads.open_writer(session->id), overlap);
  http::ClientResponse response{};
  bool cut = false;
  bool lost = false;  // cut by the link rather than by an answer (5xx): the retry pacing tells them apart
  try {
    response = co_await link_.content(http::Method::Get, "/v2/" + repository + "/blobs/" + digest.str(), headers,
                                      nullptr, sink);
  } catch (const SyncFailure& failure) {
    if (failure.kind() != Failure::Unreachable) throw;
    cut = true;  // what arrived is kept in the session: the next attempt asks for the rest (SPEC 5.8)
    lost = failure.lost();
  }
  sink->close();
  if (cut) {
    std::string what = "download of " + digest.str() + " was cut; it will resume";
    throw lost ? SyncFailure::lost_exchange(std::move(what)) : SyncFailure(Failure::Unreachable, std::move(what));
  }
  if (response.status == 200 && session->size > 0) {
    // The parent sent the whole blob although we asked for the rest: start the session afresh next time.
    uploads.cancel(session->id);
    store_.set_partial_download(repository, digest, std::nullopt);
    throw SyncFailure(Failure::Unreachable, "the parent ignored Range for " + digest.str());
  }
  if (response.status == 404) {
    uploads.cancel(session->id);
    store_.set_partial_download(repository, digest, std::nullopt);
    throw SyncFailure(Failure::NotFound, "the parent has no blob " + digest.str() + " in " + repository, 404);
  }
  if (response.status != 200 && response.status != 206) {
    uploads.cancel(session->id);
    store_.set_partial_download(repository, digest, std::nullopt);
    throw SyncFailure(Failure::Unreachable, "GET blob " + digest.str() + ": " + answered(response));
  }
  storage::BlobInfo info;
  try {
    std::shared_lock lock(storage_.commit_lock);
    info = uploads.commit(session->id, digest);  // verifies the digest before the blob becomes visible
    storage_.metadata->link_blob(repository, info);
  } catch (const storage::DigestMismatch& mismatch) {
    uploads.cancel(session->id);
    store_.set_partial_download(repository, digest, std::nullopt);
    throw SyncFailure(Failure::Unreachable, std::string("downloaded blob refused: ") + mismatch.what());
  }
  // Only now: a commit that failed otherwise (a full disk) left the session whole, and the next attempt commits it
  // after asking the parent for its last byte again. The blob is stored whatever happens here: a row left behind
  // names a session that is gone, and the next download of the blob starts a new one.
  try {
    store_.set_partial_download(repository, digest, std::nullopt);
  } catch (const storage::StorageError&) {
  }
  ++counters_.blobs_down;
}

void ContentSync::delete_manifest_here(const std::string& repository, const oci::Digest& digest) {
  if (storage_.metadata->delete_manifest(repository, digest)) {
    ++counters_.deletes_down;
    applied_({Kind::ManifestDeleted, repository, digest, std::nullopt});
  }
}

bool ContentSync::named_by_pending_push(const std::string& repository, const oci::Digest& digest, int64_t after,
                                        int64_t& read_to) {
  if (store_.push_pending(repository, digest)) return true;
  return pending_index_names(repository, digest, after, read_to);
}

bool ContentSync::pending_index_names(const std::string& repository, const oci::Digest& digest, int64_t after,
                                      int64_t& read_to) {
  if (store_.pending_count() == 0) return false;
  // An index pushed here names manifests the parent may delete one by one: each is kept with it, or the index's push
  // would find a child gone and take itself for deleted here.
  return named_after(repository, after, &read_to).contains(digest.str());
}

std::vector<std::string> ContentSync::tags_where(const std::string& repository,
                                                 const std::function<bool(const std::string&)>& matches) {
  std::vector<std::string> found;
  std::string after;
  for (;;) {
    const auto page = storage_.metadata->tags(repository, after, 1000);
    for (const auto& tag : page)
      if (matches(tag)) found.push_back(tag);
    if (page.size() < 1000) return found;
    after = page.back();
  }
}

void ContentSync::keep_pushed_manifest_deleted_above(const std::string& repository, const oci::Digest& digest) {
  const auto stale = [&](const std::string& tag) {
    return storage_.metadata->resolve_tag(repository, tag) == digest && !store_.tag_pending(repository, tag);
  };
  std::vector<std::string> waiting;  // its tags whose push waits to go up: they stay for it
  const std::vector<std::string> tags = tags_where(repository, [&](const std::string& tag) {
    if (storage_.metadata->resolve_tag(repository, tag) != digest) return false;
    if (!store_.tag_pending(repository, tag)) return true;
    waiting.push_back(tag);
    return false;
  });
  // Removed under the manifest lock, each checked again: a client's push of the tag meanwhile (stored and journalled
  // under that lock) keeps it, and is newer than this delete.
  std::unique_lock lock(storage_.manifest_lock);
  for (const auto& tag : tags)
    if (stale(tag)) delete_tag_here(repository, tag);
  lock.unlock();
  KeptForPush& kept = kept_for_push_[{repository, digest.str()}];
  kept.news = ++deletes_kept_;
  kept.tags.insert(waiting.begin(), waiting.end());
}

void ContentSync::delete_tag_here(const std::string& repository, const std::string& tag) {
  const auto digest = storage_.metadata->resolve_tag(repository, tag);
  if (digest && storage_.metadata->delete_tag(repository, tag)) {
    ++counters_.deletes_down;
    applied_({Kind::TagDeleted, repository, *digest, tag});
  }
}

Task<void> ContentSync::apply(oci::ContentChange change) {
  switch (change.kind) {
    case Kind::ManifestPut: {
      // Pushed above again since a delete of it kept it here for a push: a settling's question on its way may bring
      // back an answer older than this news, and is asked again (settle_kept_manifest).
      if (const auto kept = kept_for_push_.find({change.repository, change.digest.str()}); kept != kept_for_push_.end())
        kept->second.news = ++deletes_kept_;
      // A tag this node changed too and has not pushed up yet: both sides moved it (SPEC 5.7). Taking the parent's
      // value here as "what this node last saw above" would let the journal entry move the tag above over it; the
      // entry's push settles the conflict instead (the parent's value wins), so the tag and what this node last saw
      // stay as they are and only the manifest comes down.
      const bool both_moved = change.tag && store_.tag_pending(change.repository, *change.tag);
      // Told before the fetch, which may take long: the push may end meanwhile (settle_tag_news).
      if (both_moved) note_news_of_pending_tag(change.repository, *change.tag);
      // A named local, not a conditional expression inside the co_await: GCC 12 mishandles such temporaries in
      // coroutines (it freed one it never built).
      std::optional<std::string> tag_here;
      if (!both_moved) tag_here = change.tag;
      // Deleted here and the delete not yet above: the parent still has it (this node's own push echoed back, or a
      // push there since), and pulling it would bring it back to clients here until the delete arrived above.
      const bool deleted_here = store_.delete_pending(change.repository, change.digest);
      bool gone_above = false;
      try {
        if (!deleted_here) co_await pull_manifest(change.repository, change.digest, std::move(tag_here));
      } catch (const SyncFailure& failure) {
        // Deleted at the parent since the message was written: a later message says so.
        if (failure.kind() != Failure::NotFound) throw;
        // The manifest itself, not a blob or an index's child it names (a parent may hold an index without one).
        gone_above = manifest_gone_above(failure, change.digest);
      }
      // News of a tag whose change here waits to go up was left to that change's push: told to it, in case the push
      // is on its way and this news is newer than its PUT (push_entry_tag).
      if (change.tag && store_.tag_pending(change.repository, *change.tag))
        note_news_of_pending_tag(change.repository, *change.tag);
      if (change.tag && !both_moved) {
        // Gone above: the tag went with the manifest (a delete by digest takes its tags), or moved on, which a later
        // message brings. What it pointed at here before is stale either way; the later message of the delete names
        // only the digest, so this node would otherwise keep the old value for good (a node that missed the move kept
        // it; found by scenarios/token-churn.json's deletes).
        // Deleted here (a client's delete, still to go up): that delete takes the tag above with it, so it goes here
        // too, as take_parent_tag does. (Left at its old value, it stayed so here, gone above, for good; found in
        // review.)
        take_parents_value_of_tag(change.repository, *change.tag, change.digest, gone_above, deleted_here);
      }
      break;
    }
    case Kind::ManifestDeleted: {
      // The parent's tags on it went with it: what this node last saw of them is nothing now, but for a tag whose
      // change here waits to go up and meets this removal as a conflict (SPEC 5.7). Kept, a later push of such a
      // tag here read the parent's missing tag as the parent's own removal, a conflict the parent won: the pushed
      // tag was lost on both sides.
      store_.forget_parent_tags_deleted_above(change.repository, change.digest);
      // Pushed here again since (a client's new tag on it, the same image pushed again) and not yet above: that push
      // was acknowledged (SPEC 5.6) and goes up next, bringing the manifest back above, so it stays here. Deleted
      // here, its journal entry found nothing to send and took the push for a delete made here: the write was lost on
      // both sides.
      int64_t read_to = 0;
      bool named = named_by_pending_push(change.repository, change.digest, 0, read_to);
      if (!named) {
        // Deleted under the manifest lock, under which a client's manifest PUT stores and journals its manifest: such
        // a push is journalled by now (looked for again, only among the entries journalled since the scan above,
        // which ran unlocked: the whole journal read under the lock held back every client's push meanwhile), or
        // not stored yet, and stored again after this delete.
        std::unique_lock lock(storage_.manifest_lock);
        named = named_by_pending_push(change.repository, change.digest, read_to, read_to);
        if (!named) delete_manifest_here(change.repository, change.digest);
      }
      if (named) keep_pushed_manifest_deleted_above(change.repository, change.digest);
      break;
    }
    case Kind::TagDeleted:
      // As above: a tag removed above that this node moved meanwhile is settled by the push of its move.
      // Checked and removed under the manifest lock: a client's push of the tag meanwhile is journalled by then.
      if (std::unique_lock lock(storage_.manifest_lock); change.tag && !store_.tag_pending(change.repository, *change.tag)) {
        if (storage_.metadata->resolve_tag(change.repository, *change.tag) == change.digest)
          delete_tag_here(change.repository, *change.tag);
        store_.set_parent_tag(change.repository, *change.tag, std::nullopt);
      } else if (change.tag) {
        note_news_of_pending_tag(change.repository, *change.tag);
      }
      break;
  }
}

Task<http::ClientResponse> ContentSync::push_exchange(http::Method method, std::string target, http::Headers headers,
                                                      std::unique_ptr<http::BodySource> body) {
  http::ClientResponse response = co_await link_.content(method, std::move(target), std::move(headers),
                                                         std::move(body), nullptr);
  ++counters_.push_answers;  // (a transport failure or a refusal threw instead)
  co_return response;
}

Task<void> ContentSync::push_blob(std::string repository, oci::Digest digest) {
  const std::string path = "/v2/" + repository + "/blobs/" + digest.str();
  http::ClientResponse head = co_await push_exchange(http::Method::Head, path, {}, nullptr);
  if (head.status == 200) co_return;  // idempotent by digest: the parent has it (SPEC 5.8)
  auto reader = storage_.blobs->open(digest);
  // Named by a manifest stored here, yet gone (removed by hand, lost with a disk): it cannot go up until a client
  // pushes it again. Taken for "deleted here", as it once was, the change was dropped: an acknowledged push lost.
  if (!reader)
    throw SyncFailure(Failure::Rejected, "blob " + digest.str() + " of repository " + repository +
                                             " is gone from this node; pushing it again here lets the change go up");
  http::Headers headers;
  headers.set("Content-Type", "application/octet-stream");
  http::ClientResponse posted =
      co_await push_exchange(http::Method::Post, "/v2/" + repository + "/blobs/uploads/?digest=" + digest.str(),
                             headers, std::make_unique<BlobSource>(std::move(reader)));
  if (posted.status == 400 && !intact(digest)) {
    // Damaged here (a flipped bit keeps its size, so a client's HEAD here still found it and never sent it again):
    // dropped, as a full resync drops damaged content, so that the client's push of it repairs it.
    // Only the bytes go: every repository's link stays (another repository's manifest here may name the same layer),
    // so the repair, through any of them, serves them all again. Checked again under the lock, against a client's
    // repair meanwhile: a second hash of the layer under the lock, paid only for a layer found damaged.
    std::unique_lock lock(storage_.commit_lock);
    if (!intact(digest)) storage_.blobs->remove(digest);
    throw SyncFailure(Failure::Rejected, "blob " + digest.str() + " of repository " + repository +
                                             " is damaged on this node and was dropped; pushing it again here lets "
                                             "the change go up");
  }
  if (posted.status != 201) throw turned_down("pushing blob " + digest.str(), posted);
  ++counters_.blobs_up;
}

Task<void> ContentSync::push_manifest(std::string repository, oci::Digest digest) {
  const auto record = storage_.metadata->manifest(repository, digest);
  if (!record) throw SyncFailure(Failure::NotFound, "manifest " + digest.str() + " is gone from this node");
  const std::string bytes = manifest_to_push(repository, digest);
  oci::ParsedManifest parsed;
  try {
    parsed = oci::parse_manifest(bytes, record->media_type);
  } catch (const oci::ManifestError& error) {
    throw SyncFailure(Failure::Rejected, "manifest " + digest.str() + " of repository " + repository +
                                             " cannot be read here: " + error.what());
  }
  for (const auto& child : parsed.manifests) {
    bool deleted_here = false;
    try {
      co_await push_manifest(repository, child.digest);
    } catch (const SyncFailure& failure) {
      if (failure.kind() != Failure::NotFound) throw;
      // The child is here, and what it names was judged one level down already.
      if (storage_.metadata->has_manifest(repository, child.digest)) throw;
      // Gone otherwise than by a client's delete here (removed by hand, lost with a disk): a client's push of it
      // again lets the index go up.
      if (!store_.delete_pending(repository, child.digest))
        throw SyncFailure(Failure::Rejected, "index " + digest.str() + " of repository " + repository +
                                                 " names manifest " + child.digest.str() +
                                                 ", which is gone from this node; pushing it again here lets the "
                                                 "change go up");
      deleted_here = true;
    }
    if (deleted_here) {
      // A client here deleted it after pushing the index (that delete waits in the journal). Held for it instead,
      // the index held back every later change of the repository, that delete's own too, for good (found in
      // review). The index still goes up if the parent holds the child (pushed up before it was deleted here; the
      // delete follows and takes it there too); otherwise it cannot, and NotFound tells push_manifest_entry so.
      http::Headers accept;
      accept.set("Accept", accept_all_manifests());
      http::ClientResponse above =
          co_await push_exchange(http::Method::Head, manifest_path(repository, child.digest.str()), accept, nullptr);
      // Pushed here again while the parent was asked: the index can go up after all, at the next try.
      if (storage_.metadata->has_manifest(repository, child.digest))
        throw SyncFailure(Failure::Raced, "manifest " + child.digest.str() + " of index " + digest.str() +
                                              " was pushed here again while it was looked for above");
      if (above.status == 404)
        throw child_deleted_here(child.digest, digest);
      if (above.status != 200) throw turned_down("looking for manifest " + child.digest.str() + " above", above);
    }
  }
  for (int attempt = 1;; ++attempt) {
    for (const auto& blob : parsed.blobs) {
      // A foreign layer nobody uploaded to this repository here is fetched from its urls: nothing to push (and bytes
      // held for another repository are not this one's to send).
      if (blob.external && !storage_.metadata->blob_linked(repository, blob.digest)) continue;
      co_await push_blob(repository, blob.digest);
    }
    http::Headers headers;
    headers.set("Content-Type", record->media_type);
    http::ClientResponse put = co_await push_exchange(
        http::Method::Put, manifest_path(repository, digest.str()), headers, std::make_unique<http::StringBody>(bytes));
    if (put.status == 201) break;
    // A blob the parent held at the HEAD above and collected since (its gc of a blob nothing named): looked for and
    // sent again, once, rather than the repository held for the backoff cap as for a change turned down.
    if (attempt == 1 && put.status == 400 && error_of(put.body).first == "MANIFEST_BLOB_UNKNOWN") continue;
    throw turned_down("pushing manifest " + digest.str(), put);
  }
  ++counters_.manifests_up;
}

Task<bool> ContentSync::push_entry_manifest(JournalEntry entry) {
  const oci::ContentChange& change = entry.change;
  bool deleted_here = false;
  try {
    co_await push_manifest(change.repository, change.digest);
  } catch (const SyncFailure& failure) {
    // Deleted here before it could go up: the delete's own entry follows. Also when something it names went missing
    // or was refused above while it was on its way: deleted meanwhile, what it named may have gone with it.
    if (is_child_deleted_here(failure)) {
      // Still here, but an index whose manifest a client deleted here before it went up (push_manifest): it can
      // never go up, and it stays here as the client left it, tag and all (settling the tag with the parent's value
      // removed the client's tag from an index still stored here).
      log::warn("an index whose manifest was deleted here cannot go up",
                {{"repository", change.repository}, {"digest", change.digest.str()}, {"why", failure.what()}});
      dropped_ = DroppedPush{change.repository, change.digest, failure.what()};
      co_return false;
    }
    const bool gone = failure.kind() == Failure::NotFound ||
                      (failure.kind() == Failure::Rejected &&
                       !storage_.metadata->has_manifest(change.repository, change.digest));
    if (!gone) throw;
    deleted_here = true;
  }
  if (deleted_here) {
    // The tag is still this entry's to settle: a parent's message about it came down while it waited and left it
    // alone (tag_pending). Returning without it left the node and its subtree without the parent's tag for good
    // (found by scenarios/token-churn.json's deletes).
    if (change.tag) {
      const std::optional<oci::Digest> theirs = co_await parent_value(change.repository, *change.tag);
      co_await take_parent_tag(change.repository, *change.tag, theirs, entry.id);
    }
    co_return false;
  }
  co_return true;
}

Task<void> ContentSync::push_entry_tag(JournalEntry entry) {
  const oci::ContentChange& change = entry.change;
  if (!change.tag) co_return;
  // SPEC 5.7: move the parent's tag only if it still points where this node last saw it.
  const std::optional<oci::Digest> theirs = co_await parent_value(change.repository, *change.tag);
  const std::optional<oci::Digest> base = store_.parent_tag(change.repository, *change.tag);
  if (theirs != change.digest && theirs != base) {
    // The parent moved the tag (or removed it) since this node last saw it: the parent's value wins. Not counted as a
    // conflict when the tag is gone above and this node's value with it, its manifest deleted here too (the settling
    // of a delete above that took it, after the tag went up): nothing of this node's was overruled.
    if (theirs || storage_.metadata->has_manifest(change.repository, change.digest)) {
      count_conflict(change.repository, *change.tag, change.digest.str(), theirs);
    }
    co_await take_parent_tag(change.repository, *change.tag, theirs, entry.id);
    co_return;
  }
  if (theirs != change.digest) {
    const auto record = storage_.metadata->manifest(change.repository, change.digest);
    if (!record) {
      // Deleted here since it went up (the delete by digest took the tag here with it: a client's, or a delete above
      // that the settling applied here): the move and that delete together removed the tag, so it goes above too, as
      // it would have gone with the manifest had the move gone up first. The delete's own entry names only the
      // digest, and the tag above points elsewhere: left alone, it kept its old value above for good (found in review).
      http::ClientResponse untagged =
          co_await push_exchange(http::Method::Delete, manifest_path(change.repository, *change.tag), {}, nullptr);
      if (untagged.status != 202 && untagged.status != 404) throw turned_down("untagging " + *change.tag, untagged);
      store_.set_parent_tag(change.repository, *change.tag, std::nullopt);
      co_return;
    }
    http::Headers put_headers;
    put_headers.set("Content-Type", record->media_type);
    http::ClientResponse put = co_await push_exchange(
        http::Method::Put, manifest_path(change.repository, *change.tag), put_headers,
        std::make_unique<http::StringBody>(manifest_to_push(change.repository, change.digest)));
    if (put.status != 201) throw turned_down("tagging " + *change.tag, put);
  }
  store_.set_parent_tag(change.repository, *change.tag, change.digest);
  co_return;
}

void ContentSync::note_news_of_pending_tag(const std::string& repository, const std::string& tag) {
  news_of_pending_tags_[{repository, tag}] = ++tag_news_;
}

Task<void> ContentSync::settle_tag_news(std::string repository, std::string tag, int64_t id) {
  const std::pair<std::string, std::string> key{repository, tag};
  for (;;) {
    const auto news = news_of_pending_tags_.find(key);
    if (news == news_of_pending_tags_.end()) co_return;
    const uint64_t seen = news->second;
    // A later change of the tag here settles it in its turn, against what this node last saw above (this entry's
    // value): its own look at the parent sees the news, and news after that look is told to it.
    int64_t read_to = id;
    if (changed_later(repository, tag, id, &read_to)) {
      news_of_pending_tags_.erase(news);
      co_return;
    }
    // This entry's change of the tag is above now, or lost to the parent's: the parent's value is the newer, whatever
    // the entry's steps saw of it on their way.
    const std::optional<oci::Digest> now = co_await parent_value(repository, tag);
    const std::optional<oci::Digest> here = storage_.metadata->resolve_tag(repository, tag);
    if (now == here || (!here && now && store_.delete_pending(repository, *now))) {
      // The same here (this node's own push, echoed), or gone here with a manifest a client deleted, whose delete
      // goes up next and takes the tag above with it: nothing to take. (Under the manifest lock, as take_parent_tag
      // does, looking among the entries journalled since the look above.)
      std::unique_lock lock(storage_.manifest_lock);
      if (!changed_later(repository, tag, read_to)) store_.set_parent_tag(repository, tag, now);
    } else {
      count_conflict(repository, tag, here ? here->str() : std::string("(removed)"), now);
      co_await take_parent_tag(repository, tag, now, id);  // (a later change of the tag here settles it instead)
    }
    const auto after = news_of_pending_tags_.find(key);
    if (after != news_of_pending_tags_.end() && after->second == seen) {  // else news came meanwhile: asked again
      news_of_pending_tags_.erase(after);
      co_return;
    }
  }
}

Task<void> ContentSync::settle_kept_manifest(std::string repository, oci::Digest digest, int64_t id,
                                              std::optional<std::string> unpushed_tag) {
  const std::pair<std::string, std::string> key{repository, digest.str()};
  for (;;) {
    const auto kept = kept_for_push_.find(key);
    if (kept == kept_for_push_.end()) co_return;
    const uint64_t deletes_seen = kept->second.news;
    // Pushed again by a later entry, or named by an index a later entry pushes (deleted here, the index's push found
    // its manifest gone and held the repository): that push is later still, and settles it in its turn.
    int64_t read_to = id;
    if (pending_index_names(repository, digest, id, read_to)) co_return;
    http::Headers headers;
    headers.set("Accept", accept_all_manifests());
    // Kept until the answer: a failure throws, and the entry, tried again, settles here without being pushed again
    // (push()). Taken out before, the retry found nothing to settle, and its PUT had undone the delete above.
    http::ClientResponse head =
        co_await push_exchange(http::Method::Head, manifest_path(repository, digest.str()), headers, nullptr);
    // News of it that came down while the question was asked (another delete, or a push above) may be newer than the
    // answer: asked again. (An answer "there" taken as the last word left the manifest here, gone above, for good; an
    // answer "gone" deleted it here, and the tags the push above had brought with it, which no later news named.)
    const auto after = kept_for_push_.find(key);
    if (after != kept_for_push_.end() && after->second.news != deletes_seen) continue;
    if (head.status != 404) {
      // There: the delete was the older, for the manifest. Not always for the tags here it left to their push: it may
      // have taken them above after that push landed. Each is asked about once its push is done (this entry's, or an
      // earlier one: a later push of it, or this entry's tag step still to come, is newer still), and one gone above
      // goes here too. (Left, it stayed here, gone above, for good.)
      if (after == kept_for_push_.end()) co_return;  // (only this loop settles: still there)
      const std::set<std::string> tags = after->second.tags;
      bool news_came = false;
      for (const auto& tag : tags) {
        int64_t tag_read_to = id;
        const auto asked_about = [&](int64_t from) {
          return tag != unpushed_tag && storage_.metadata->resolve_tag(repository, tag) == digest &&
                 !changed_later(repository, tag, from, &tag_read_to);
        };
        if (!asked_about(id)) continue;
        http::ClientResponse tag_head =
            co_await push_exchange(http::Method::Head, manifest_path(repository, tag), headers, nullptr);
        const auto now = kept_for_push_.find(key);
        if (now != kept_for_push_.end() && now->second.news != deletes_seen) {  // as above: asked again
          news_came = true;
          break;
        }
        if (tag_head.status != 404) continue;  // there, or moved on above, which the parent's news brings
        // Against a client's change of the tag meanwhile: looked for among the entries journalled since the look above
        // only (a whole read under the lock held back every client's push meanwhile).
        std::unique_lock lock(storage_.manifest_lock);
        if (!asked_about(tag_read_to)) continue;
        delete_tag_here(repository, tag);
        store_.set_parent_tag(repository, tag, std::nullopt);
      }
      if (news_came) continue;
      kept_for_push_.erase(key);
      co_return;
    }
    // Gone above: deleted here too, unless a client pushed it again here while the question was asked (looked for
    // among the entries journalled since, under the manifest lock, under which a client's PUT stores and journals):
    // that push is newer still, and settles it in its turn. (Deleted, it lost the client's acknowledged push.)
    {
      std::unique_lock lock(storage_.manifest_lock);
      if (pending_index_names(repository, digest, read_to, read_to)) co_return;
      log::info("a manifest kept for a push was deleted above after the push: deleted here too",
                {{"repository", repository}, {"digest", digest.str()}});
      delete_manifest_here(repository, digest);
    }
    store_.forget_parent_tags_at(repository, digest);
    kept_for_push_.erase(key);  // (after the delete: one that failed is asked about again when the entry is retried)
    co_return;
  }
}

std::set<std::string> ContentSync::named_after(const std::string& repository, int64_t after, int64_t* read_to) {
  auto& metadata = *storage_.metadata;
  std::vector<oci::Digest> walk;
  any_pending_after(
      after,
      [&](const oci::ContentChange& change) {
        if (change.kind == Kind::ManifestPut && change.repository == repository) walk.push_back(change.digest);
        return false;  // every one
      },
      read_to);
  std::set<std::string> named;
  while (!walk.empty()) {
    const oci::Digest digest = std::move(walk.back());
    walk.pop_back();
    if (!named.insert(digest.str()).second) continue;
    // Whatever a record held here names, held or not (an index's manifest a client deleted here still counts).
    if (const auto record = metadata.manifest(repository, digest))
      walk.insert(walk.end(), record->references.begin(), record->references.end());
  }
  return named;
}

Task<void> ContentSync::settle_kept_in(std::string repository, int64_t id) {
  // Every manifest of the repository kept for a push, not only the entry's own: an index's push put the manifests it
  // names above again (at any depth), and an index that never went up (deleted here, dropped) leaves the ones kept
  // for it to apply their delete. The repository's earlier entries are all done (its entries go in order), and one
  // that a later entry names is left to that entry. (Asked only about the entry's own digest, or about the manifests
  // the index's record named, such a manifest stayed here, gone above, for good: the record may be gone by then,
  // deleted by the settling of a delete above or by a client.) Until none is left unasked: a delete that comes down
  // while the HEADs are asked keeps another. The journal is read once a round, not once a manifest.
  // Each kept manifest by the delete it was last kept for: one kept again since it was asked about is asked again.
  std::map<std::string, uint64_t> asked;
  for (;;) {
    std::vector<std::pair<oci::Digest, uint64_t>> kept;
    for (auto at = kept_for_push_.lower_bound({repository, std::string()});
         at != kept_for_push_.end() && at->first.first == repository; ++at) {
      const auto before = asked.find(at->first.second);
      if (before != asked.end() && before->second == at->second.news) continue;
      if (const auto digest = oci::Digest::parse(at->first.second)) kept.emplace_back(*digest, at->second.news);
    }
    if (kept.empty()) co_return;
    const std::set<std::string> later = named_after(repository, id);
    for (const auto& one : kept) {
      asked[one.first.str()] = one.second;
      if (!later.contains(one.first.str())) co_await settle_kept_manifest(repository, one.first, id);
    }
  }
}

Task<void> ContentSync::push(JournalEntry entry) {
  dropped_.reset();  // an attempt that failed after a drop is tried again, and drops again
  const oci::ContentChange& change = entry.change;
  switch (change.kind) {
    case Kind::ManifestPut: {
      // Named, not built inside the co_await (GCC 12).
      const std::string repository = change.repository;
      const oci::Digest digest = change.digest;
      const std::optional<std::string> tag = change.tag;
      const int64_t id = entry.id;
      // Once the manifest's PUT landed, a delete made above since is newer than this push: the settling finds it, and
      // applies it here. It comes before the tag step too, whose PUT by tag would make the manifest above again, and
      // a retry after a later step failed (the tag, the settling) does not push the manifest again: pushed again, it
      // undid that delete on both sides. An entry that ended with its manifest's step (dropped, deleted here) is not
      // done again either, and what it dropped is told again.
      auto unfinished = unfinished_pushes_.find(id);
      if (unfinished == unfinished_pushes_.end()) {
        const bool landed = co_await push_entry_manifest(entry);
        unfinished = unfinished_pushes_.emplace(id, UnfinishedPush{!landed, dropped_}).first;
      } else {
        dropped_ = unfinished->second.dropped;
      }
      if (!unfinished->second.tagged) {
        // (Named, not built inside the co_await: GCC 12.)
        const std::optional<std::string> unpushed_tag = change.tag;
        co_await settle_kept_manifest(repository, digest, id, unpushed_tag);
        co_await push_entry_tag(std::move(entry));
        unfinished_pushes_.at(id).tagged = true;
      }
      co_await settle_kept_in(repository, id);
      if (tag && dropped_) {
        news_of_pending_tags_.erase({repository, *tag});  // stays as the client left it (push_entry_manifest)
      } else if (tag) {
        co_await settle_tag_news(repository, *tag, id);
      }
      unfinished_pushes_.erase(id);
      co_return;
    }
    case Kind::ManifestDeleted: {
      http::ClientResponse deleted = co_await push_exchange(
          http::Method::Delete, manifest_path(change.repository, change.digest.str()), {}, nullptr);
      if (deleted.status != 202 && deleted.status != 404) throw turned_down("deleting " + change.digest.str(), deleted);
      // Gone above, and so is every tag that pointed at it there: what this node last saw of those tags is nothing.
      store_.forget_parent_tags_at(change.repository, change.digest);
      ++counters_.deletes_up;
      co_return;
    }
    case Kind::TagDeleted: {
      if (!change.tag) co_return;
      const std::string repository = change.repository;
      const std::string tag = *change.tag;
      const int64_t id = entry.id;
      // Once: a retry after settle_tag_news failed does not untag above again (the parent may have tagged it anew
      // since, and the older untag would win on both sides).
      if (!unfinished_pushes_.contains(id)) {
        co_await push_untag(std::move(entry));
        unfinished_pushes_.emplace(id, UnfinishedPush{true, std::nullopt});
      }
      co_await settle_tag_news(repository, tag, id);
      unfinished_pushes_.erase(id);
      co_return;
    }
  }
}

Task<void> ContentSync::push_untag(JournalEntry entry) {
  const oci::ContentChange& change = entry.change;
  // Asked as every other look at the parent's tag is, accepting every manifest type: a registry that negotiates
  // would answer an OCI manifest asked for without Accept with a 404, and the untag would never go up.
  const std::optional<oci::Digest> theirs = co_await parent_value(change.repository, *change.tag);
  // Untag above only what this node untagged: a tag the parent moved meanwhile stays (SPEC 5.7).
  if (theirs && (*theirs == change.digest || theirs == store_.parent_tag(change.repository, *change.tag))) {
    http::ClientResponse deleted = co_await push_exchange(
        http::Method::Delete, manifest_path(change.repository, *change.tag), {}, nullptr);
    if (deleted.status != 202 && deleted.status != 404) throw turned_down("untagging " + *change.tag, deleted);
    ++counters_.deletes_up;
    store_.set_parent_tag(change.repository, *change.tag, std::nullopt);
    co_return;
  }
  if (!theirs) {
    store_.set_parent_tag(change.repository, *change.tag, std::nullopt);  // not above either
    co_return;
  }
  // The parent moved the tag meanwhile: its value wins here too. The parent's message about it came down while
  // this untag waited and left the tag alone (tag_pending), so nothing else would ever bring it: without this the
  // node and its subtree stayed without the tag for good (found by scenarios/token-churn.json's deletes).
  count_conflict(change.repository, *change.tag, "(untagged)", theirs);
  co_await take_parent_tag(change.repository, *change.tag, theirs, entry.id);
  co_return;
}

void ContentSync::count_conflict(const std::string& repository, const std::string& tag, const std::string& ours,
                                 const std::optional<oci::Digest>& theirs) {
  ++counters_.conflicts;
  log::warn("tag conflict: the parent's value wins", {{"repository", repository},
                                                      {"tag", tag},
                                                      {"ours", ours},
                                                      {"parent", theirs ? theirs->str() : std::string("(removed)")}});
}

Task<std::optional<oci::Digest>> ContentSync::parent_value(std::string repository, std::string tag) {
  http::Headers headers;
  headers.set("Accept", accept_all_manifests());
  http::ClientResponse head =
      co_await push_exchange(http::Method::Head, manifest_path(repository, tag), headers, nullptr);
  // Only a 404 says the parent has no such tag, and only a 200 naming its digest what it has. Anything else (a
  // proxy's 408 or 400 on the way) was read as "no such tag": a conflict the parent won, and the tag a client had
  // moved here, its push acknowledged, was deleted on both sides (SPEC 5.6, 5.7).
  if (head.status == 404) co_return std::nullopt;
  if (head.status == 200)
    if (auto digest = header_digest(head)) co_return digest;
  const std::string what = "HEAD " + manifest_path(repository, tag);
  if (auto failure = ParentLink::failure_for(head.status, head.body, what)) throw std::move(*failure);
  throw SyncFailure(Failure::Unreachable, what + ": " + std::to_string(head.status) + " without a digest");
}

bool ContentSync::any_pending_after(int64_t after, const std::function<bool(const oci::ContentChange&)>& matches,
                                    int64_t* read_to) {
  constexpr size_t kPage = 1000;
  for (;;) {
    const std::vector<JournalEntry> page = store_.pending(kPage, after);
    for (const JournalEntry& later : page) {
      if (read_to) *read_to = later.id;
      if (matches(later.change)) return true;
    }
    if (page.size() < kPage) return false;
    after = page.back().id;
  }
}

bool ContentSync::changed_later(const std::string& repository, const std::string& tag, int64_t after,
                                int64_t* read_to) {
  return any_pending_after(
      after, [&](const oci::ContentChange& later) { return later.tag == tag && later.repository == repository; },
      read_to);
}

Task<void> ContentSync::take_parent_tag(std::string repository, std::string tag, std::optional<oci::Digest> theirs,
                                        int64_t entry) {
  // A later change of the tag here settles it itself, against what this node last saw above, which must stay as it
  // is for that: taking the parent's value now would hide a move above from it (the later push would win over the
  // parent), or bring back a value the later changes remove.
  int64_t read_to = entry;
  if (changed_later(repository, tag, entry, &read_to)) co_return;
  bool gone_above = false;
  bool fetched = true;
  if (theirs && store_.delete_pending(repository, *theirs)) {
    // A manifest a client deleted here, whose delete goes up next and takes the tag above with it: not fetched (it
    // came back here, the client's acknowledged delete undone until its echo came down), and the tag goes here as it
    // will above (left pointing elsewhere, it stayed so here while the delete took it above, for good).
    fetched = false;
  } else if (theirs) {
    try {
      co_await pull_manifest(repository, *theirs, tag, false, OverMovesHere::Yes);
    } catch (const SyncFailure& failure) {
      // Not fetched, as a parent's message that cannot be fetched is not (apply): it went above since the parent
      // named it, and a later message brings what the tag is now; or the parent holds an index without one of its
      // manifests. Thrown on, it stopped the whole journal here, every later change of every repository, for good.
      if (failure.kind() != Failure::NotFound) throw;
      gone_above = manifest_gone_above(failure, *theirs);
      fetched = false;
    }
  }
  // The parent's value wins (SPEC 5.7) even when it cannot be fetched: this node's losing value goes rather than stay
  // here, and its subtree's, for good (found in review). Unless a client changed the tag here while the parent's
  // value was fetched: looked for again (among the entries journalled since the first look) under the manifest lock,
  // under which a client's push is journalled, before the removal. (A fetched value was stored with its tag already,
  // which a later change then settles against the parent's value as any conflict.)
  std::unique_lock lock(storage_.manifest_lock);
  if (changed_later(repository, tag, read_to)) co_return;
  if (!theirs || !fetched) delete_tag_here(repository, tag);  // if it is here at all
  if (gone_above) theirs.reset();
  store_.set_parent_tag(repository, tag, theirs);
}

void ContentSync::take_parents_value_of_tag(const std::string& repository, const std::string& tag,
                                            const oci::Digest& digest, bool gone_above, bool deleted_here) {
  // The parent's value wins (SPEC 5.7) even when it could not be fetched whole (an index whose manifest was deleted
  // above): the value held here goes rather than stay, stale, here and below, for good (as take_parent_tag does).
  const bool not_held = !storage_.metadata->manifest(repository, digest).has_value();
  // Checked under the manifest lock, as the pull's own tag is: a client's change of it meanwhile is no stale value,
  // and stays (its push then meets the value recorded below as what this node last saw above).
  if (gone_above || deleted_here || not_held) {
    if (std::unique_lock lock(storage_.manifest_lock); !store_.tag_pending(repository, tag))
      delete_tag_here(repository, tag);  // if it is here at all
  }
  store_.set_parent_tag(repository, tag, gone_above ? std::nullopt : std::optional<oci::Digest>(digest));
}

Task<void> ContentSync::resync_tag(ParentTag tag) {
  // As apply() takes a parent's news of a tag: a manifest a client deleted here (its delete goes up next) is not
  // fetched back, and asked now, not when the journal was read, so a delete made during the resync counts too.
  const bool deleted_here = store_.delete_pending(tag.repository, tag.digest);
  bool gone_above = false;
  try {
    if (!deleted_here) co_await pull_manifest(tag.repository, tag.digest, tag.tag, tag.repair);
  } catch (const SyncFailure& failure) {
    if (failure.kind() != Failure::NotFound) throw;  // (damaged and kept here: awaiting_repair_ remembers it)
    gone_above = manifest_gone_above(failure, tag.digest);
  }
  // Deleted above since the listing (the news of that delete, after the resync's cursor, names no tag), or here (that
  // delete takes the tag above when it goes up): the tag goes here too. Left at its old value, it stayed so here, gone
  // above, for good. A client's change of the tag during the resync is told the parent's value, as in apply().
  if (store_.tag_pending(tag.repository, tag.tag)) note_news_of_pending_tag(tag.repository, tag.tag);
  take_parents_value_of_tag(tag.repository, tag.tag, tag.digest, gone_above, deleted_here);
}

Task<void> ContentSync::resync_untagged(ParentTag manifest) {
  // Deleted here, the delete not yet above: not fetched back (as resync_tag).
  if (store_.delete_pending(manifest.repository, manifest.digest)) co_return;
  try {
    co_await pull_manifest(manifest.repository, manifest.digest, std::nullopt, manifest.repair);
  } catch (const SyncFailure& failure) {
    if (failure.kind() != Failure::NotFound) throw;  // deleted above since the listing: the news of it follows
  }
}

Task<void> ContentSync::full_resync(nlohmann::json inventory, std::vector<std::string> patterns, bool read_only,
                                     bool verify) {
  auto& metadata = *storage_.metadata;
  const nlohmann::json& theirs = inventory.at("repositories");
  // Tags still waiting in the journal are this node's news, not something to undo. Their pushes are told that the
  // parent may have changed them (what the listing shows came by no message): each asks the parent again once done,
  // and the parent's newer value wins there. Left untold, a push whose PUT had landed before a change above that this
  // node missed took its own answer as the last word, and the node kept its value for good (found in review).
  std::set<std::pair<std::string, std::string>> unpushed;
  // Read page by page, all of it: a journal longer than one read (a node cut off for long) once had its later
  // entries' tags taken back to the parent's values here.
  any_pending_after(0, [&](const oci::ContentChange& change) {
    if (change.tag) unpushed.emplace(change.repository, *change.tag);
    return false;  // every one
  });
  for (const auto& [repository, tag] : unpushed) note_news_of_pending_tag(repository, tag);
  // A parent that lists every manifest (not only tagged ones): what it no longer has goes here too. An older parent
  // lists tags only, and nothing is removed by digest then.
  const bool lists_manifests = inventory.value("listsManifests", false);

  std::vector<ParentTag> wanted;
  std::set<std::pair<std::string, std::string>> tagged;  // (repository, digest) the tags above bring
  for (const auto& [repository, state] : theirs.items()) {
    for (const auto& [tag, value] : state.at("tags").items()) {
      const auto digest = oci::Digest::parse(value.get<std::string>());
      if (!digest) continue;
      if (unpushed.contains({repository, tag})) continue;
      // A held manifest whose bytes (or any blob it references) no longer match is dropped first, so it is fetched
      // again (SPEC 2.11).
      const bool repair = verify && metadata.manifest(repository, *digest) && drop_if_damaged(repository, *digest);
      wanted.push_back({repository, tag, *digest, repair});
      tagged.emplace(repository, digest->str());
    }
  }
  std::function<Task<void>(const ParentTag&)> pull = [this](const ParentTag& tag) { return resync_tag(tag); };
  Task<void> all_tags = for_each_concurrently(std::move(wanted), kTagsInFlight, std::move(pull));
  co_await std::move(all_tags);
  // Manifests the parent holds under no tag (pushed by digest: referrers such as signatures and SBOMs, images never
  // tagged): no tag brings them, and the messages that did are behind the resync's cursor. Pulled by digest after the
  // tags, whose pulls brought an index's parts. Only the tags were pulled: a new node, or one whose cursor expired,
  // never got them (SPEC 5.1: referrers flow down; 5.5: a full resync repairs every difference).
  std::vector<ParentTag> untagged;
  if (lists_manifests) {
    for (const auto& [repository, state] : theirs.items()) {
      for (const auto& value : state.value("manifests", nlohmann::json::array())) {
        const auto digest = value.is_string() ? oci::Digest::parse(value.get<std::string>()) : std::nullopt;
        if (!digest || tagged.contains({repository, digest->str()})) continue;
        const bool held = metadata.manifest(repository, *digest).has_value();
        const bool repair = verify && held && drop_if_damaged(repository, *digest);
        if (!held || repair) untagged.push_back({repository, std::string(), *digest, repair});
      }
    }
  }
  std::function<Task<void>(const ParentTag&)> pull_untagged = [this](const ParentTag& manifest) {
    return resync_untagged(manifest);
  };
  Task<void> all_untagged = for_each_concurrently(std::move(untagged), kTagsInFlight, std::move(pull_untagged));
  co_await std::move(all_untagged);
  // Tags (and, on a ReadOnly node, repositories) the parent no longer has.
  std::string after;
  for (;;) {
    const auto page = metadata.repositories(after, 1000);
    for (const auto& repository : page) {
      const bool in_scope = gateway::repository_matches_any(patterns, repository);
      if (!in_scope && !read_only) continue;  // SPEC 2.8: a ReadWrite node keeps de-scoped repositories
      const nlohmann::json* listed = theirs.contains(repository) && in_scope ? &theirs[repository]["tags"] : nullptr;
      const std::vector<std::string> stale = tags_where(repository, [&](const std::string& tag) {
        if (listed && listed->contains(tag)) return false;
        if (unpushed.contains({repository, tag})) return false;
        return read_only || store_.parent_tag(repository, tag).has_value();  // never seen above: a local tag to keep
      });
      // Removed under the manifest lock, each checked again: a client's move of the tag since the journal was read
      // above (stored and journalled under that lock) keeps it.
      std::unique_lock lock(storage_.manifest_lock);
      for (const auto& tag : stale) {
        if (store_.tag_pending(repository, tag)) continue;
        delete_tag_here(repository, tag);
        store_.set_parent_tag(repository, tag, std::nullopt);
      }
      if (read_only && !in_scope) {
        // De-scoped: every manifest goes, tagged or not (listing by tag found the tagged ones already).
        for (const auto& digest : metadata.manifest_digests(repository)) delete_manifest_here(repository, digest);
      } else if (in_scope && lists_manifests && read_only) {
        // A manifest the parent no longer has, deleted there while this node could not hear of it (its cursor
        // expired, the parent restarted): deleted here too (SPEC 5.1: deletes flow down; 5.5: a full resync repairs
        // every difference). Only on a ReadOnly node: a ReadWrite node's client may store and journal a manifest
        // between the parent's listing and this delete, and that push would be lost.
        std::set<std::string> held_above;
        if (theirs.contains(repository))
          for (const auto& digest : theirs[repository].value("manifests", nlohmann::json::array()))
            if (digest.is_string()) held_above.insert(digest.get<std::string>());
        for (const auto& digest : metadata.manifest_digests(repository))
          if (!held_above.contains(digest.str())) delete_manifest_here(repository, digest);
      }
    }
    if (page.size() < 1000) break;
    after = page.back();
  }
}

}  // namespace outpost::sync
