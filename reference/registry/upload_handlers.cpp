#include <functional>
#include <mutex>
#include <shared_mutex>

#include "reference/registry/byte_range.h"
#include "reference/registry/handlers.h"
#include "reference/registry/oci_errors.h"

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

// Streams a request body into an upload session, then answers with `complete` (given the session's new size).
class UploadBodyCall final : public http::Call {
 public:
  UploadBodyCall(Context& context, std::string id, std::function<http::Response(uint64_t size)> complete)
      : id_(std::move(id)), complete_(std::move(complete)), writer_(context.storage.uploads->open_writer(id_)) {}
  bool on_body(std::string_view piece) override {
    writer_->write(piece);
    return true;
  }
  http::Response finish() override {
    writer_->close();
    return complete_(writer_->size());
  }

 private:
  std::string id_;
  std::function<http::Response(uint64_t)> complete_;
  std::unique_ptr<storage::UploadWriter> writer_;
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
  context.storage.metadata->link_blob(route.repository, {digest, *size});
  return true;
}
}  // namespace

std::unique_ptr<http::Call> start_upload(Context& context, const http::Request& request, const Route& route) {
  if (auto mount = request.query_param("mount")) {
    if (auto digest = oci::Digest::parse(*mount); digest && try_mount(context, request, route, *digest))
      return http::respond_now(blob_created(route.repository, *digest));
    // A mount that cannot happen falls back to an ordinary upload session (distribution-spec: 202).
  }
  const storage::UploadState session = context.storage.uploads->create(route.repository);
  if (auto digest_text = request.query_param("digest")) {
    // Monolithic upload: the whole blob is this request's body.
    const oci::Digest digest = parse_digest_or_throw(*digest_text);
    const std::string repository = route.repository, id = session.id;
    return std::make_unique<UploadBodyCall>(context, id, [&context, repository, id, digest](uint64_t) {
      try {
        commit_and_link(context, repository, id, digest);
      } catch (...) {
        context.storage.uploads->cancel(id);
        throw;
      }
      return blob_created(repository, digest);
    });
  }
  return http::respond_now(session_response(202, route.repository, session.id, 0));
}

std::unique_ptr<http::Call> continue_upload(Context& context, const http::Request& request, const Route& route) {
  const storage::UploadState session = session_or_throw(context, route);
  const std::string repository = route.repository, id = session.id;
  switch (request.method) {
    case http::Method::Get:
      return http::respond_now(session_response(204, repository, id, session.size));
    case http::Method::Delete: {
      context.storage.uploads->cancel(id);
      http::Response response;
      response.status = 204;
      return http::respond_now(std::move(response));
    }
    case http::Method::Patch:
    case http::Method::Put: {
      // A chunk must start where the session ends (distribution-spec: otherwise 416 and the current Range).
      if (auto content_range = request.headers.get("Content-Range")) {
        const auto range = parse_content_range(*content_range);
        if (!range || range->first != session.size) {
          auto response = error_response(range_not_satisfiable(
              "chunk must start at offset " + std::to_string(session.size) + ", got '" + std::string(*content_range) + "'"));
          response.headers.set("Location", upload_location(repository, id));
          response.headers.set("Range", range_header(session.size));
          return http::respond_now(std::move(response));
        }
      }
      if (request.method == http::Method::Patch) {
        return std::make_unique<UploadBodyCall>(context, id, [repository, id](uint64_t size) {
          return session_response(202, repository, id, size);
        });
      }
      const auto digest_text = request.query_param("digest");
      if (!digest_text) throw digest_invalid("the digest query parameter is required to finish an upload");
      const oci::Digest digest = parse_digest_or_throw(*digest_text);
      return std::make_unique<UploadBodyCall>(context, id, [&context, repository, id, digest](uint64_t) {
        commit_and_link(context, repository, id, digest);
        return blob_created(repository, digest);
      });
    }
    default:
      throw unsupported_method(request.method, route.label);
  }
}

}  // namespace outpost::registry
