#include "reference/storage/memory_metadata_store.h"

#include <algorithm>

namespace outpost::storage {

namespace {
// The keys of `map` strictly after `after`, at most `limit` of them, in the map's order (bytewise for repositories,
// tag_order.h for tags).
template <typename Map>
std::vector<std::string> page(const Map& map, std::string_view after, size_t limit) {
  std::vector<std::string> names;
  for (auto it = map.upper_bound(after); it != map.end() && names.size() < limit; ++it) names.push_back(it->first);
  return names;
}
}  // namespace

MemoryMetadataStore::Repository& MemoryMetadataStore::repository_for_write(std::string_view name) {
  auto it = repositories_.find(name);
  if (it == repositories_.end()) it = repositories_.emplace(std::string(name), Repository{}).first;
  return it->second;
}

MemoryMetadataStore::Repository* MemoryMetadataStore::find(std::string_view name) {
  auto it = repositories_.find(name);
  return it == repositories_.end() ? nullptr : &it->second;
}

std::vector<std::string> MemoryMetadataStore::repositories(std::string_view after, size_t limit) {
  std::lock_guard lock(mutex_);
  return page(repositories_, after, limit);
}

bool MemoryMetadataStore::repository_exists(std::string_view repository) {
  std::lock_guard lock(mutex_);
  return find(repository) != nullptr;
}

void MemoryMetadataStore::link_blob(std::string_view repository, const BlobInfo& blob) {
  std::lock_guard lock(mutex_);
  repository_for_write(repository).links.insert_or_assign(blob.digest, Link{blob.size, clock_.now()});
}

bool MemoryMetadataStore::blob_linked(std::string_view repository, const Digest& digest) {
  std::lock_guard lock(mutex_);
  const Repository* repo = find(repository);
  return repo && repo->links.contains(digest);
}

std::optional<uint64_t> MemoryMetadataStore::linked_size(std::string_view repository, const Digest& digest) {
  std::lock_guard lock(mutex_);
  const Repository* repo = find(repository);
  if (!repo) return std::nullopt;
  const auto link = repo->links.find(digest);
  if (link == repo->links.end()) return std::nullopt;
  return link->second.size;
}

bool MemoryMetadataStore::unlink_blob(std::string_view repository, const Digest& digest) {
  std::lock_guard lock(mutex_);
  Repository* repo = find(repository);
  return repo && repo->links.erase(digest) > 0;
}

std::vector<std::string> MemoryMetadataStore::repositories_linking(const Digest& digest) {
  std::lock_guard lock(mutex_);
  std::vector<std::string> names;
  for (const auto& [name, repo] : repositories_)
    if (repo.links.contains(digest)) names.push_back(name);
  return names;
}

void MemoryMetadataStore::put_manifest(std::string_view repository, const ManifestRecord& manifest,
                                       const std::optional<std::string>& tag) {
  std::lock_guard lock(mutex_);
  Repository& repo = repository_for_write(repository);
  repo.manifests.insert_or_assign(manifest.digest, manifest);
  repo.links.insert_or_assign(manifest.digest, Link{manifest.size, clock_.now()});
  if (tag) repo.tags.insert_or_assign(*tag, manifest.digest);
}

std::optional<ManifestRecord> MemoryMetadataStore::manifest(std::string_view repository, const Digest& digest) {
  std::lock_guard lock(mutex_);
  const Repository* repo = find(repository);
  if (!repo) return std::nullopt;
  auto it = repo->manifests.find(digest);
  if (it == repo->manifests.end()) return std::nullopt;
  return it->second;
}

bool MemoryMetadataStore::has_manifest(std::string_view repository, const Digest& digest) {
  std::lock_guard lock(mutex_);
  const Repository* repo = find(repository);
  return repo != nullptr && repo->manifests.contains(digest);
}

bool MemoryMetadataStore::delete_manifest(std::string_view repository, const Digest& digest) {
  std::lock_guard lock(mutex_);
  Repository* repo = find(repository);
  if (!repo) return false;
  std::erase_if(repo->tags, [&](const auto& entry) { return entry.second == digest; });
  if (repo->manifests.erase(digest) == 0) return false;
  // Its own link goes, unless another manifest here names its digest (as a layer, a config, a child).
  const bool named_here = std::any_of(repo->manifests.begin(), repo->manifests.end(), [&](const auto& entry) {
    const auto& references = entry.second.references;
    return std::find(references.begin(), references.end(), digest) != references.end();
  });
  if (!named_here) repo->links.erase(digest);
  return true;
}

std::optional<Digest> MemoryMetadataStore::resolve_tag(std::string_view repository, std::string_view tag) {
  std::lock_guard lock(mutex_);
  const Repository* repo = find(repository);
  if (!repo) return std::nullopt;
  auto it = repo->tags.find(tag);
  if (it == repo->tags.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> MemoryMetadataStore::tags(std::string_view repository, std::string_view after, size_t limit) {
  std::lock_guard lock(mutex_);
  const Repository* repo = find(repository);
  if (!repo) return {};
  return page(repo->tags, after, limit);
}

bool MemoryMetadataStore::delete_tag(std::string_view repository, std::string_view tag) {
  std::lock_guard lock(mutex_);
  Repository* repo = find(repository);
  if (!repo) return false;
  auto it = repo->tags.find(tag);
  if (it == repo->tags.end()) return false;
  repo->tags.erase(it);
  return true;
}

std::vector<ManifestRecord> MemoryMetadataStore::referrers(std::string_view repository, const Digest& subject) {
  std::lock_guard lock(mutex_);
  std::vector<ManifestRecord> records;
  const Repository* repo = find(repository);
  if (!repo) return records;
  for (const auto& [digest, record] : repo->manifests)
    if (record.subject == subject) records.push_back(record);
  return records;
}

std::vector<Digest> MemoryMetadataStore::referenced_digests() {
  std::lock_guard lock(mutex_);
  std::set<Digest> digests;
  for (const auto& [name, repo] : repositories_) {
    for (const auto& [digest, record] : repo.manifests) {
      digests.insert(digest);
      digests.insert(record.references.begin(), record.references.end());
    }
  }
  return {digests.begin(), digests.end()};
}

std::vector<Digest> MemoryMetadataStore::manifest_digests(std::string_view repository) {
  std::lock_guard lock(mutex_);
  std::vector<Digest> digests;
  const auto repo = repositories_.find(repository);
  if (repo == repositories_.end()) return digests;
  for (const auto& [digest, record] : repo->second.manifests) digests.push_back(digest);  // a std::map: sorted
  return digests;
}

std::vector<Digest> MemoryMetadataStore::linked_since(WallTime since) {
  std::lock_guard lock(mutex_);
  std::set<Digest> digests;
  for (const auto& [name, repo] : repositories_)
    for (const auto& [digest, link] : repo.links)
      if (link.linked_at >= since) digests.insert(digest);
  return {digests.begin(), digests.end()};
}

void MemoryMetadataStore::forget_blob(const Digest& digest) {
  std::lock_guard lock(mutex_);
  for (auto& [name, repo] : repositories_) repo.links.erase(digest);
}

}  // namespace outpost::storage
