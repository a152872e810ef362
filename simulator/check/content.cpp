#include "simulator/check/content.h"

#include "simulator/check/scope_rules.h"

namespace outpost::check {

namespace {
constexpr size_t kPage = 1000;

void add_manifest(storage::MetadataStore& metadata, storage::BlobStore& blobs, const std::string& repository,
                  const oci::Digest& digest, RepositoryContent& content, int depth) {
  if (content.manifests.contains(digest.str()) || depth > 8) return;  // an index of indexes, bounded
  const auto record = metadata.manifest(repository, digest);
  if (!record) {
    content.missing.insert(digest.str());
    return;
  }
  auto& named = content.manifests[digest.str()];
  for (const oci::Digest& reference : record->references) {
    named.push_back(reference.str());
    if (metadata.manifest(repository, reference)) {
      add_manifest(metadata, blobs, repository, reference, content, depth + 1);
    } else if (metadata.blob_linked(repository, reference) && blobs.size_of(reference)) {
      content.blobs.insert(reference.str());
    } else {
      content.missing.insert(reference.str());
    }
  }
}

}  // namespace

bool syncs(const World& world, const NodeRef& node, std::string_view repository) {
  if (node.cloud()) return true;
  std::vector<std::string> chain = world.ancestors(node.connected_registry);
  chain.insert(chain.begin(), node.connected_registry);
  for (const std::string& name : chain) {
    const ConnectedRegistry* cr = world.connected_registry(name);
    if (!cr) return false;
    bool matched = false;
    for (const std::string& pattern : cr->repositories)
      matched = matched || repository_pattern_matches(pattern, repository);
    if (!matched) return false;
  }
  return true;
}

NodeContent read_content(storage::Storage& storage) {
  NodeContent content;
  storage::MetadataStore& metadata = *storage.metadata;
  std::vector<std::string> repositories;
  for (std::string after;;) {
    auto page = metadata.repositories(after, kPage);
    repositories.insert(repositories.end(), page.begin(), page.end());
    if (page.size() < kPage) break;
    after = page.back();
  }
  for (const std::string& repository : repositories) {
    RepositoryContent repo;
    for (std::string after;;) {
      auto page = metadata.tags(repository, after, kPage);
      for (const std::string& tag : page)
        if (auto digest = metadata.resolve_tag(repository, tag)) {
          repo.tags[tag] = digest->str();
          add_manifest(metadata, *storage.blobs, repository, *digest, repo, 0);
        }
      if (page.size() < kPage) break;
      after = page.back();
    }
    if (!repo.tags.empty()) content.repositories.emplace(repository, std::move(repo));
  }
  return content;
}

NodeContent expected_content(const NodeContent& cloud, const World& world, const NodeRef& node) {
  NodeContent expected;
  for (const auto& [repository, content] : cloud.repositories)
    if (syncs(world, node, repository)) expected.repositories.emplace(repository, content);
  return expected;
}

std::vector<std::string> content_differences(const NodeContent& expected, const NodeContent& actual,
                                             const std::function<bool(std::string_view)>& extra_allowed) {
  std::vector<std::string> out;
  for (const auto& [repository, want] : expected.repositories) {
    const auto found = actual.repositories.find(repository);
    if (found == actual.repositories.end()) {
      out.push_back(repository + ": missing (" + std::to_string(want.tags.size()) + " tags expected)");
      continue;
    }
    const RepositoryContent& have = found->second;
    for (const auto& [tag, digest] : want.tags) {
      const auto tag_found = have.tags.find(tag);
      if (tag_found == have.tags.end())
        out.push_back(repository + ":" + tag + ": missing, expected " + digest);
      else if (tag_found->second != digest)
        out.push_back(repository + ":" + tag + ": " + tag_found->second + ", expected " + digest);
    }
    for (const auto& [tag, digest] : have.tags)
      if (!want.tags.contains(tag)) out.push_back(repository + ":" + tag + ": " + digest + " should not be there");
    for (const std::string& blob : want.blobs)
      if (!have.blobs.contains(blob)) out.push_back(repository + "@" + blob + ": blob not held");
  }
  for (const auto& [repository, have] : actual.repositories)
    if (!expected.repositories.contains(repository) && !(extra_allowed && extra_allowed(repository)))
      out.push_back(repository + ": should not be there (" + std::to_string(have.tags.size()) + " tags)");
  return out;
}

std::vector<std::string> node_differences(const NodeContent& cloud, const World& world, const NodeRef& node,
                                          const NodeContent& actual) {
  const ConnectedRegistry* cr = node.cloud() ? nullptr : world.connected_registry(node.connected_registry);
  const bool read_write = cr && cr->mode == Mode::ReadWrite;
  return content_differences(expected_content(cloud, world, node), actual, [&](std::string_view repository) {
    return read_write && !syncs(world, node, repository);
  });
}

std::optional<std::vector<std::string>> stored_manifest(storage::Storage& storage, std::string_view repository,
                                                        std::string_view digest) {
  const auto parsed = oci::Digest::parse(digest);
  if (!parsed) return std::nullopt;
  const auto references = stored_manifest(storage, repository, *parsed);
  if (!references) return std::nullopt;
  std::vector<std::string> named;
  for (const oci::Digest& reference : *references) named.push_back(reference.str());
  return named;
}

bool stored_blob(storage::Storage& storage, std::string_view repository, std::string_view digest) {
  const auto parsed = oci::Digest::parse(digest);
  return parsed && stored_blob(storage, repository, *parsed);
}

std::optional<std::vector<oci::Digest>> stored_manifest(storage::Storage& storage, std::string_view repository,
                                                        const oci::Digest& digest) {
  auto record = storage.metadata->manifest(repository, digest);
  if (!record) return std::nullopt;
  return std::move(record->references);
}

bool stored_blob(storage::Storage& storage, std::string_view repository, const oci::Digest& digest) {
  return storage.metadata->blob_linked(repository, digest) && storage.blobs->size_of(digest).has_value();
}

}  // namespace outpost::check
