#include <algorithm>
#include <mutex>
#include <shared_mutex>

#include "reference/common/ascii.h"
#include "reference/common/header_list.h"
#include "reference/oci/manifest.h"
#include "reference/oci/media_types.h"
#include "reference/oci/name.h"
#include "reference/oci/reference.h"
#include "reference/registry/handlers.h"
#include "reference/registry/oci_errors.h"
#include "reference/storage/manifest_record.h"
#include "reference/storage/space_reserve.h"

namespace outpost::registry {

namespace {
// On a push a bad reference is the client's mistake to be told about (TAG_INVALID, DIGEST_INVALID)...
oci::Reference parse_reference_or_throw(std::string_view text) {
  if (auto reference = oci::Reference::parse(text)) return *reference;
  if (text.find(':') != std::string_view::npos) parse_digest_or_throw(text);  // throws DIGEST_INVALID
  throw tag_invalid(text);
}

// ...while on a read or delete it names a manifest that cannot exist: 404, as the conformance suite expects for
// `/manifests/.INVALID_MANIFEST_NAME`.
oci::Reference parse_reference_or_unknown(std::string_view text) {
  if (auto reference = oci::Reference::parse(text)) return *reference;
  throw manifest_unknown(text);
}

storage::ManifestRecord resolve(Context& context, std::string_view repository, const oci::Reference& reference) {
  auto& metadata = *context.storage.metadata;
  std::optional<oci::Digest> digest = reference.digest;
  if (!digest) digest = metadata.resolve_tag(repository, reference.tag);
  if (!digest) throw manifest_unknown(reference.str());
  auto record = metadata.manifest(repository, *digest);
  if (!record) throw manifest_unknown(reference.str());
  return *record;
}

std::string read_all(storage::BlobReader& reader) {
  std::string bytes(reader.size(), '\0');
  size_t done = 0;
  while (done < bytes.size()) {
    const size_t got = reader.read_at(done, std::span(bytes).subspan(done));
    if (got == 0) throw storage::StorageError("manifest blob ended early");
    done += got;
  }
  return bytes;
}

// Content negotiation: a client that lists media types without the stored one (and without a wildcard) cannot use
// this manifest; the registry does not convert formats, so it answers MANIFEST_UNKNOWN with the reason. Media types
// compare without regard to case (RFC 9110 8.3.1), as ASCII.

// "q=0" (or 0.0, 0.000) in an Accept item's parameters: the client refuses that type (RFC 9110 12.4.2).
bool refused_by_weight(std::string_view parameters) {
  for (size_t at = parameters.find(';'); at != std::string_view::npos; at = parameters.find(';', at + 1)) {
    std::string_view parameter = parameters.substr(at + 1);
    parameter = parameter.substr(0, parameter.find(';'));
    while (!parameter.empty() && parameter.front() == ' ') parameter.remove_prefix(1);
    if (parameter.size() < 2 || (parameter[0] != 'q' && parameter[0] != 'Q') || parameter[1] != '=') continue;
    const std::string_view weight = parameter.substr(2, parameter.find_last_not_of(' ') - 1);
    return !weight.empty() && weight[0] == '0' &&
           weight.find_first_not_of("0.", 0) == std::string_view::npos;
  }
  return false;
}

void check_accept(const http::Request& request, const std::string& media_type) {
  const auto accepts = request.headers.get_all("Accept");
  if (accepts.empty()) return;
  bool listed_any = false;
  int best = 0;  // the most specific matching range so far: 0 none, 1 "*/*", 2 "type/*", 3 the type itself
  bool best_refused = false;
  const std::string_view type_and_slash = std::string_view(media_type).substr(0, media_type.find('/') + 1);
  for (std::string_view header : accepts) {
    http::for_each_list_element(header, [&](std::string_view item) {
      bool refused = false;
      if (const size_t semi = item.find(';'); semi != std::string_view::npos) {
        refused = refused_by_weight(item.substr(semi));
        item = http::trim_whitespace(item.substr(0, semi));
      }
      if (item.empty()) return;
      listed_any = true;
      // The most specific range that matches decides (RFC 9110 12.5.1): "type/sub" over "type/*" over "*/*", so
      // "application/vnd.oci.image.manifest.v1+json;q=0, */*" refuses that type and takes any other.
      int specificity = 0;
      if (ascii_iequals(item, media_type)) specificity = 3;
      else if (item.ends_with("/*") && ascii_iequals(item.substr(0, item.size() - 1), type_and_slash)) specificity = 2;
      else if (item == "*/*") specificity = 1;
      if (specificity > best) {
        best = specificity;
        best_refused = refused;
      } else if (specificity == best && specificity > 0) {
        best_refused = best_refused && refused;  // the same range listed twice: accepted if either accepts
      }
    });
  }
  if (best > 0 && !best_refused) return;
  if (listed_any)
    throw ApiError(404, "MANIFEST_UNKNOWN", "manifest is of type " + media_type + ", which the Accept header excludes",
                   {{"mediaType", media_type}});
}

// Buffers a manifest body up to the size limit, then validates and stores it.
class ManifestPutCall final : public http::Call {
 public:
  ManifestPutCall(Context& context, const http::Request& request, const Route& route)
      : context_(context),
        repository_(route.repository),
        reference_(parse_reference_or_throw(route.object)),
        content_type_(request.headers.get("Content-Type").value_or("")),
        limit_(context.options.manifest_size_limit) {
    if (request.content_length && *request.content_length > limit_) {
      too_large_ = true;
      drain_limit_ = http::kDecidedBodyDrain;  // decided before its body: at most what any decided call reads
    } else if (request.content_length) {
      body_.reserve(*request.content_length);
    }
  }

  // A Content-Length over the limit is refused (413) before the body: a client waiting for "100 Continue" gets the
  // 413 instead of an invitation to send a body that would be read only to be dropped.
  bool decided() const override { return too_large_; }

  bool on_body(std::string_view piece) override {
    if (too_large_ || body_.size() + piece.size() > limit_) {
      // Read and drop a moderately oversized body so the client gets to read the 413 rather than a reset; give up
      // on the connection past that.
      too_large_ = true;
      discarded_ += piece.size();
      return discarded_ < drain_limit_;
    }
    body_.append(piece);
    return true;
  }

  http::Response finish() override {
    if (too_large_) throw manifest_too_large(limit_);
    oci::ParsedManifest parsed;
    try {
      parsed = oci::parse_manifest(body_, content_type_);
    } catch (const oci::ManifestError& error) {
      throw ApiError(400, error.code(), error.what());
    }
    oci::Digest digest = oci::digest_of(body_);
    if (reference_.digest) {
      if (reference_.digest->algorithm() != oci::DigestAlgorithm::Sha256)
        throw unsupported("manifests are stored by sha256 digest; push this manifest by tag or by its sha256 digest");
      if (*reference_.digest != digest)
        throw ApiError(400, "DIGEST_INVALID", "manifest digest does not match the digest in the URL",
                       {{"expected", reference_.digest->str()}, {"actual", digest.str()}});
    }

    const storage::ManifestRecord record = storage::manifest_record(parsed, digest, body_.size());

    {
      // Checked and stored under the commit lock, so gc cannot remove a blob between the check and the store.
      std::shared_lock lock(context_.storage.commit_lock);
      auto& metadata = *context_.storage.metadata;
      // The same bytes pushed again under another Content-Type would retype the stored manifest and every tag on
      // it, and a client that accepts only the first type could no longer pull them: refused instead.
      if (const auto stored = metadata.manifest(repository_, digest); stored && stored->media_type != record.media_type)
        throw ApiError(400, "MANIFEST_INVALID",
                       "manifest " + digest.str() + " is stored as " + stored->media_type +
                           "; the same bytes cannot be pushed again as " + record.media_type,
                       {{"mediaType", stored->media_type}});
      if (const auto missing = storage::missing_part(context_.storage, repository_, parsed))
        throw manifest_blob_unknown(missing->digest.str());
      // Stored and told (journalled, on a connected registry) as one step under the manifest lock: a parent's delete
      // of this manifest, which the sync agent decides under that lock, either comes first and this push stores it
      // again, or finds the push journalled and keeps the manifest for it. Told after, the delete could land between
      // the store and the journal entry, and the entry found nothing to send: an acknowledged push lost.
      std::shared_lock stored(context_.storage.manifest_lock);
      context_.storage.blobs->put(body_);
      const std::lock_guard in_order(context_.change_order);  // stored and told in one order (context.h)
      metadata.put_manifest(repository_, record,
                            reference_.digest ? std::nullopt : std::optional<std::string>(reference_.tag));
      if (context_.options.on_change) {
        context_.options.on_change({oci::ContentChange::Kind::ManifestPut, repository_, digest,
                                    reference_.digest ? std::nullopt : std::optional<std::string>(reference_.tag)});
      }
    }

    http::Response response;
    response.status = 201;
    response.headers.set("Location", "/v2/" + repository_ + "/manifests/" + digest.str());
    response.headers.set("Docker-Content-Digest", digest.str());
    response.headers.set("Content-Length", "0");
    if (parsed.subject) response.headers.set("OCI-Subject", parsed.subject->digest.str());
    return response;
  }

 private:
  Context& context_;
  std::string repository_;
  oci::Reference reference_;
  std::string content_type_;
  uint64_t limit_;
  std::string body_;
  bool too_large_ = false;
  uint64_t discarded_ = 0;
  // A body found too large as it came (no length declared) is read on for a while, so the client gets to read the
  // 413 rather than a reset; a declared one was decided, and takes no more than any decided call.
  uint64_t drain_limit_ = 64ull << 20;
};
}  // namespace

http::Response get_manifest(Context& context, const http::Request& request, const Route& route) {
  const oci::Reference reference = parse_reference_or_unknown(route.object);
  const storage::ManifestRecord record = resolve(context, route.repository, reference);
  check_accept(request, record.media_type);
  http::Response response;
  response.headers.set("Content-Type", record.media_type);
  response.headers.set("Docker-Content-Digest", record.digest.str());
  response.headers.set("ETag", "\"" + record.digest.str() + "\"");
  response.headers.set("Content-Length", std::to_string(record.size));
  if (request.method != http::Method::Head) {
    auto reader = context.storage.blobs->open(record.digest);
    if (!reader) throw storage::StorageError("manifest " + record.digest.str() + " is recorded but its bytes are missing");
    response.body = read_all(*reader);
    // Manifests are small (4 MiB at most) and a client trusts them to name the rest: the bytes are checked against
    // their digest on every read, so a manifest damaged on disk is never served as if whole.
    if (oci::digest_of(response.body, record.digest.algorithm()) != record.digest)
      throw damaged_content("manifest", record.digest.str(), record.size, response.body.size());
  }
  return response;
}

std::unique_ptr<http::Call> put_manifest(Context& context, const http::Request& request, const Route& route) {
  return std::make_unique<ManifestPutCall>(context, request, route);
}

http::Response delete_manifest(Context& context, const Route& route) {
  const oci::Reference reference = parse_reference_or_unknown(route.object);
  auto& metadata = *context.storage.metadata;
  // Removed and told (journalled, on a connected registry) as one step under the manifest lock, as a PUT is: the sync
  // agent, pointing a parent's tag under that lock unless a client's change of it waits to go up, then sees this
  // untag and leaves the tag alone (it pointed the parent's value over it, and the client read back a tag it had
  // removed until its untag went up and the echo came down).
  std::shared_lock stored(context.storage.manifest_lock);
  const std::lock_guard in_order(context.change_order);  // removed and told in one order (context.h)
  // What an untag removed, for the change report (children and the parent learn the tag went, and from what).
  const std::optional<oci::Digest> untagged =
      reference.digest ? std::nullopt : metadata.resolve_tag(route.repository, reference.tag);
  const bool deleted = storage::freeing_space(context.storage, [&] {
    return reference.digest ? metadata.delete_manifest(route.repository, *reference.digest)
                            : metadata.delete_tag(route.repository, reference.tag);
  });
  if (!deleted) throw manifest_unknown(reference.str());
  if (context.options.on_change) {
    if (reference.digest) {
      context.options.on_change({oci::ContentChange::Kind::ManifestDeleted, route.repository, *reference.digest, {}});
    } else {
      context.options.on_change(
          {oci::ContentChange::Kind::TagDeleted, route.repository, untagged.value_or(oci::Digest{}), reference.tag});
    }
  }
  http::Response response;
  response.status = 202;
  response.headers.set("Content-Length", "0");
  return response;
}

}  // namespace outpost::registry
