#include <functional>
#include <optional>
#include <mutex>
#include <shared_mutex>

#include "reference/common/log.h"
#include "reference/registry/byte_range.h"
#include "reference/registry/handlers.h"
#include "reference/registry/oci_errors.h"
#include "reference/storage/space_reserve.h"

namespace outpost::registry {

namespace {
std::string upload_location(std::string_view repository, std::string_view id) {
  return "/v2/" + std::string(repository) + "/blobs/uploads/" + std::string(id);
}

// The distribution-spec reports progress as an inclusive end offset; an empty session reads "0-0".
std::string range_header(uint64_t size) { return "0-" + std::to_string(size == 0 ? 0 : size - 1); }

http::Response session_response(int status, std::string_view repository, std::string_view id, uint64_t size) {
  http::Response response;
  response.status = status;
  response.headers.set("Location", upload_location(repository, id));
  response.headers.set("Range", range_header(size));
  response.headers.set("Docker-Upload-UUID", std::string(id));
  response.headers.set("Content-Length", "0");
  return response;
}

http::Response blob_created(std::string_view repository, const oci::Digest& digest) {
  http::Response response;
  response.status = 201;
  response.headers.set("Location", blob_location(repository, digest));
  response.headers.set("Docker-Content-Digest", digest.str());
  response.headers.set("Content-Length", "0");
  return response;
}

// Moves a finished session into the blob store and links the blob to the repository, as one step with respect to
// garbage collection.
storage::BlobInfo commit_and_link(Context& context, std::string_view repository, std::string_view id,
                                  const oci::Digest& expected) {
  std::shared_lock lock(context.storage.commit_lock);
  storage::BlobInfo blob;
  try {
    blob = context.storage.uploads->commit(id, expected);
  } catch (const storage::DigestMismatch& mismatch) {
    throw ApiError(400, "DIGEST_INVALID", "provided digest did not match uploaded content",
                   {{"expected", expected.str()}, {"actual", mismatch.actual().str()}});
  }
  context.storage.metadata->link_blob(repository, blob);
  return blob;
}

// Ends a session. On a full disk too: its bytes are what a client gave up on, and a session left behind on a refused
// push was never removed (its id was never told to anyone).
void cancel_session(Context& context, const std::string& id) {
  storage::freeing_space(context.storage, [&] { return context.storage.uploads->cancel(id); });
}

// The `digest` query parameter of a monolithic POST or a closing PUT. The old Docker API let a client give several
// and let the server check "none or all of them"; checking only the first would accept bytes another one refuses,
// so several that differ are refused, and the client told.
std::optional<oci::Digest> digest_param(const http::Request& request) {
  const std::vector<std::string> values = request.query_params("digest");
  if (values.empty()) return std::nullopt;
  const oci::Digest digest = parse_digest_or_throw(values.front());
  for (const std::string& other : values)
    if (parse_digest_or_throw(other) != digest)
      throw ApiError(400, "DIGEST_INVALID",
                     "the digest query parameter is given " + std::to_string(values.size()) +
                         " times with different values; give the content's one digest",
                     {{"digests", values}});
  return digest;
}

// A session's writer, opened under the session's lease (upload_leases.h).
struct ExclusiveWriter {
  UploadLeases::Lease lease;
  std::unique_ptr<storage::UploadWriter> writer;
};

// A chunk refused for where it starts: 416 with the session's Location and Range, so the client can resume.
ApiError chunk_refused(std::string_view repository, std::string_view id, uint64_t size, std::string message) {
  return range_not_satisfiable(std::move(message))
      .with_header("Location", upload_location(repository, id))
      .with_header("Range", range_header(size));
}

// Takes the session's lease and opens its writer. While another request writes to the session, a PATCH is refused as
// a chunk out of order is (416 and the session's Range); a PUT with 400 BLOB_UPLOAD_INVALID.
ExclusiveWriter open_exclusively(Context& context, std::string_view repository, std::string_view id,
                                 http::Method method) {
  auto lease = context.upload_leases.try_acquire(id);
  if (!lease) {
    constexpr std::string_view busy = "another request is writing to this upload session";
    if (method != http::Method::Patch) throw blob_upload_invalid(std::string(busy));
    const auto session = context.storage.uploads->get(id);
    throw chunk_refused(repository, id, session ? session->size : 0, std::string(busy));
  }
  return {std::move(*lease), context.storage.uploads->open_writer(id)};
}

// Streams a request body into an upload session, then answers with `complete` (given the session's new size). The
// lease is held until the answer, the commit included, so no other request writes to the session meanwhile.
// `abandoned`, when given, runs if the call ends without finish() (its client went away, its body could not be read):
// a monolithic upload's session, whose id its client never learned, is cancelled so, instead of left behind for good.
class UploadBodyCall final : public http::Call {
 public:
  // `abandoned` runs when the call ends without finish() (its body never arrived whole), or when closing the writer
  // failed; with `only_if_written`, only when part of this call's body reached the session (one refused whole leaves
  // the session as it was, for the client's retry).
  UploadBodyCall(ExclusiveWriter writer, std::function<http::Response(uint64_t size)> complete,
                 std::function<void()> abandoned = nullptr, bool only_if_written = false)
      : lease_(std::move(writer.lease)),
        writer_(std::move(writer.writer)),
        complete_(std::move(complete)),
        abandoned_(std::move(abandoned)),
        start_size_(writer_->size()),
        only_if_written_(only_if_written) {}
  ~UploadBodyCall() override {
    if (finished_ || !abandoned_) return;
    if (only_if_written_ && writer_->size() == start_size_) return;
    try {
      writer_.reset();  // closed before the session goes; the lease is still held
      abandoned_();
    } catch (const std::exception& error) {
      log::warn("an abandoned upload session could not be cancelled", {{"error", error.what()}});
    }
  }
  bool on_body(std::string_view piece) override {
    try {
      writer_->write(piece);
    } catch (const storage::StorageError&) {
      // A write that failed (a full disk) takes back what this request wrote: the session stays as it was before
      // it, so the client's retry of the same chunk or PUT fits (a part kept made a retry with the same
      // Content-Range 416, and one without it append that part twice). When even that fails, the part stays, and a
      // final PUT ends the session (abandoned).
      try {
        writer_->discard_since_open();
      } catch (const std::exception& error) {
        log::warn("an upload's failed write could not be taken back", {{"error", error.what()}});
      }
      throw;
    }
    return true;
  }
  http::Response finish() override {
    writer_->close();  // (a failure here leaves the call abandoned)
    finished_ = true;
    return complete_(writer_->size());
  }

 private:
  UploadLeases::Lease lease_;  // first: released last, after the writer
  std::unique_ptr<storage::UploadWriter> writer_;
  std::function<http::Response(uint64_t)> complete_;
  std::function<void()> abandoned_;
  const uint64_t start_size_;
  const bool only_if_written_;
  bool finished_ = false;
};

storage::UploadState session_or_throw(Context& context, const Route& route) {
  auto session = context.storage.uploads->get(route.object);
  // A session belongs to the repository it was started in; another repository's URL does not reach it.
  if (!session || session->repository != route.repository) throw blob_upload_unknown(route.object);
  return *session;
}

// Cross-repository mount: link a blob the source repository holds, without moving bytes (SPEC 3.6: only from a
// repository that references the blob).
bool try_mount(Context& context, const http::Request& request, const Route& route, const oci::Digest& digest) {
  std::shared_lock lock(context.storage.commit_lock);
  const auto size = context.storage.blobs->size_of(digest);
  if (!size) return false;
  std::optional<std::string> source = route.mount_source;
  if (source) {
    // Judged as a read there, as an automatic mount's candidates are: the route's check grants the source's scope, and
    // this also asks what the node serves (a connected registry keeps a repository it no longer syncs, whose blobs
    // read as unknown there, SPEC 4.3 step 4; mounted, they were readable through the target).
    if (!context.policy.may_read(request, *source)) return false;
    if (!context.storage.metadata->blob_linked(*source, digest)) return false;
  } else {
    // Automatic mount: any repository the requester may read that holds the blob will do.
    for (const auto& repository : context.storage.metadata->repositories_linking(digest)) {
      if (context.policy.may_read(request, repository)) {
        source = repository;
        break;
      }
    }
    if (!source) return false;
  }
  // The size the source linked, not the file's: a file damaged since keeps reading as damaged in the new repository
  // too, rather than being vouched for at its damaged size (and a damaged one is no mount: the client uploads it).
  const auto linked = context.storage.metadata->linked_size(*source, digest);
  if (!linked || *linked != *size) return false;
  context.storage.metadata->link_blob(route.repository, {digest, *linked});
  return true;
}
}  // namespace

std::unique_ptr<http::Call> start_upload(Context& context, const http::Request& request, const Route& route) {
  if (auto mount = request.query_param("mount")) {
    if (auto digest = oci::Digest::parse(*mount); digest && try_mount(context, request, route, *digest))
      return http::respond_now(blob_created(route.repository, *digest));
    // A mount that cannot happen falls back to an ordinary upload session (distribution-spec: 202).
  }
  if (const std::optional<oci::Digest> given = digest_param(request)) {
    // Monolithic upload: the whole blob is this request's body. The digest is checked before a session exists, so a
    // malformed one leaves nothing behind.
    const oci::Digest digest = *given;
    const std::string repository = route.repository, id = context.storage.uploads->create(repository).id;
    auto commit = [&context, repository, id, digest](uint64_t) {
      try {
        commit_and_link(context, repository, id, digest);
      } catch (...) {
        cancel_session(context, id);
        throw;
      }
      return blob_created(repository, digest);
    };
    return std::make_unique<UploadBodyCall>(open_exclusively(context, repository, id, request.method), commit,
                                            [&context, id] { cancel_session(context, id); });
  }
  const storage::UploadState session = context.storage.uploads->create(route.repository);
  return http::respond_now(session_response(202, route.repository, session.id, 0));
}

std::unique_ptr<http::Call> continue_upload(Context& context, const http::Request& request, const Route& route) {
  const storage::UploadState session = session_or_throw(context, route);
  const std::string repository = route.repository, id = session.id;
  switch (request.method) {
    case http::Method::Get:
    case http::Method::Head:  // as distribution answers it (the transport sends no body for a HEAD)
      return http::respond_now(session_response(204, repository, id, session.size));
    case http::Method::Delete: {
      // Not while a request writes to it: a cancel in the middle of a PUT's commit made its rename fail (a 500).
      const auto lease = context.upload_leases.try_acquire(id);
      if (!lease) throw blob_upload_invalid("another request is writing to this upload session");
      cancel_session(context, id);
      http::Response response;
      response.status = 204;
      return http::respond_now(std::move(response));
    }
    case http::Method::Patch:
    case http::Method::Put: {
      // A chunk must start where the session ends (distribution-spec: otherwise 416 and the current Range), and its
      // declared range must be as long as its body (distribution: 400 SIZE_INVALID).
      std::optional<ByteRange> chunk;
      if (auto content_range = request.headers.get("Content-Range")) {
        chunk = parse_content_range(*content_range);
        // A header that is no range is a bad request, not a chunk out of order (416 tells the client to resume).
        if (!chunk)
          throw blob_upload_invalid("malformed Content-Range '" + std::string(*content_range) +
                                    "': expected <first>-<last>");
        // Without a Content-Length (a chunked-encoded body) the length could only be checked once the bytes were
        // in the session, with no way to take them out again: the spec's chunk carries both headers.
        if (!request.content_length)
          throw size_invalid("a chunk with Content-Range '" + std::string(*content_range) +
                             "' needs a Content-Length (a body of unknown length goes without Content-Range)");
        if (*request.content_length != chunk->length())
          throw size_invalid("Content-Range '" + std::string(*content_range) + "' names " +
                             std::to_string(chunk->length()) + " bytes, the body has " +
                             std::to_string(*request.content_length));
      }
      std::optional<oci::Digest> digest;
      if (request.method == http::Method::Put) {
        digest = digest_param(request);
        if (!digest) throw digest_invalid("the digest query parameter is required to finish an upload");
      }
      // The session's size is read under its lease: no other request can move it before this body is written.
      ExclusiveWriter writer = open_exclusively(context, repository, id, request.method);
      if (chunk && chunk->first != writer.writer->size())
        throw chunk_refused(repository, id, writer.writer->size(),
                            "chunk must start at offset " + std::to_string(writer.writer->size()) + ", got '" +
                                std::string(*request.headers.get("Content-Range")) + "'");
      if (!digest) {
        return std::make_unique<UploadBodyCall>(std::move(writer), [repository, id](uint64_t size) {
          return session_response(202, repository, id, size);
        });
      }
      // As distribution does: a refused commit (DIGEST_INVALID, a failed write in it) ends the session, and so does a
      // body that never arrived whole once part of it is in the session (a client gone; a failed write whose part
      // could not be taken back, see on_body). Kept, the session would hold that part, and the client's retry of the
      // same PUT would append it a second time (DIGEST_INVALID, as if its content were wrong). A body refused whole,
      // or whose part was taken back, leaves the session for the retry.
      const auto end_session = [&context, id] { cancel_session(context, id); };
      return std::make_unique<UploadBodyCall>(
          std::move(writer),
          [&context, repository, id, digest, end_session](uint64_t) {
            try {
              commit_and_link(context, repository, id, *digest);
            } catch (...) {
              end_session();
              throw;
            }
            return blob_created(repository, *digest);
          },
          end_session, /*only_if_written=*/true);
    }
    default:
      throw unsupported_method(request.method, route.label);
  }
}

}  // namespace outpost::registry
