#pragma once
// What a node holds, as the convergence and push checks compare it: repositories -> tags -> manifest digests, the
// manifests those tags reach (with what each names), and the blobs they name that the repository holds. Read through
// the storage seam's listing functions (or built by hand from OCI API answers), never from a node's internals.
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "reference/storage/storage.h"
#include "simulator/check/world.h"

namespace outpost::check {

struct RepositoryContent {
  std::map<std::string, std::string> tags;                    // tag -> manifest digest
  std::map<std::string, std::vector<std::string>> manifests;  // digest -> the digests it names
  std::set<std::string> blobs;    // named by those manifests, linked to the repository and stored
  std::set<std::string> missing;  // named by those manifests but not held (never right at a node that serves them)
  friend bool operator==(const RepositoryContent&, const RepositoryContent&) = default;
};

struct NodeContent {
  std::map<std::string, RepositoryContent> repositories;  // only repositories with at least one tag
};

// Through MetadataStore::repositories/tags/resolve_tag/manifest/blob_linked and BlobStore::size_of.
NodeContent read_content(storage::Storage& storage);

// What `node` should hold once it has caught up: the cloud's repositories that it syncs, that is those matching its
// own `repositories` and every ancestor CR's (SPEC 2.5: a CR syncs only what its parent can read). The cloud: all.
NodeContent expected_content(const NodeContent& cloud, const World& world, const NodeRef& node);

// Whether `node` syncs `repository`: it matches the node's `repositories` and every ancestor CR's. The cloud: all.
bool syncs(const World& world, const NodeRef& node, std::string_view repository);

// How `actual` differs from `expected`, one line each (empty: it has converged). Tags must be equal in every expected
// repository and every blob the expected manifests name must be held. A repository with tags that `expected` lacks is
// a difference unless `extra_allowed(repository)`.
std::vector<std::string> content_differences(const NodeContent& expected, const NodeContent& actual,
                                             const std::function<bool(std::string_view)>& extra_allowed);

// The whole comparison for one node: expected_content() against `actual`, where a ReadWrite CR may also hold
// repositories outside its scope (it keeps them, SPEC 2.8) and a ReadOnly CR may not (it deletes them).
std::vector<std::string> node_differences(const NodeContent& cloud, const World& world, const NodeRef& node,
                                          const NodeContent& actual);

// Lookups on one node's storage, for the push check (push_invariant.h): a manifest's named digests by digest
// (tagged or not), and whether a repository holds a blob.
std::optional<std::vector<std::string>> stored_manifest(storage::Storage& storage, std::string_view repository,
                                                        std::string_view digest);
bool stored_blob(storage::Storage& storage, std::string_view repository, std::string_view digest);
// The same with digests parsed once, for a caller asking again and again (the run metrics' arrivals).
std::optional<std::vector<oci::Digest>> stored_manifest(storage::Storage& storage, std::string_view repository,
                                                        const oci::Digest& digest);
bool stored_blob(storage::Storage& storage, std::string_view repository, const oci::Digest& digest);

}  // namespace outpost::check
