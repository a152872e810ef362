#pragma once
// What a world's clients do with the OCI API (SPEC 6), as coroutines over an HttpClient: push an image, pull one
// (verifying every blob against its digest), and read a node's whole content (catalog -> tags -> digests), which the
// convergence check compares. Black-box: nothing here looks inside a node.
#include <map>
#include <memory>
#include <string>

#include "reference/common/http_client.h"
#include "reference/common/task.h"
#include "simulator/world/http_calls.h"
#include "simulator/world/synthetic_image.h"

namespace outpost::sim::world {

// Where a client talks to, and as whom.
struct OciEndpoint {
  http::HttpClient* client = nullptr;
  StopSignal* stop = nullptr;
  std::string authority;
  Credentials who;
};

struct PushOutcome {
  bool acknowledged = false;  // the manifest PUT answered 201
  int status = 0;             // the last status seen (0: a transport failure)
  std::string error;
};

struct PullOutcome {
  int status = 0;  // 200 when the manifest and every blob came, else the first other status (0: transport failure)
  bool verified = false;  // the manifest and every blob matched their digests
  std::string error;
};

// repository -> tag -> manifest digest
using NodeContent = std::map<std::string, std::map<std::string, std::string>>;

struct ContentRead {
  bool ok = false;
  std::string error;
  NodeContent content;
};

// The manifest `digest` read and PUT again under `tag` (its bytes and media type as read): acknowledged on 201; a
// manifest that is not there gives the GET's 404.
Task<PushOutcome> tag_manifest(OciEndpoint endpoint, std::string repository, std::string digest, std::string tag);
// Blobs first (monolithic uploads), manifest last, tagged `tag`.
Task<PushOutcome> push_image(OciEndpoint endpoint, std::string repository, std::string tag,
                             std::shared_ptr<const SyntheticImage> image);
// The manifest by tag or digest, then its config and layers.
Task<PullOutcome> pull_image(OciEndpoint endpoint, std::string repository, std::string reference);
// Every repository the credentials can list, every tag, and each tag's digest.
Task<ContentRead> read_content(OciEndpoint endpoint);
// DELETE of a manifest by digest, or of a tag (an untag): the status (202 when done), 0 for a transport failure.
Task<int> delete_manifest(OciEndpoint endpoint, std::string repository, std::string reference);
// HEAD of a manifest: its digest, or "" when not there (any status but 200), or nullopt for a transport failure.
Task<std::optional<std::string>> manifest_digest(OciEndpoint endpoint, std::string repository, std::string reference);

}  // namespace outpost::sim::world
