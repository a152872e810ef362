#pragma once
// A change to a repository's manifests or tags, once it is durable. The registry reports the ones its clients make;
// the gateway turns them into messages for the node's children, and a ReadWrite connected registry journals them for
// its parent (SPEC 5.1). Plain data, so every layer can pass it on.
#include <optional>
#include <string>

#include "reference/oci/digest.h"

namespace outpost::oci {

struct ContentChange {
  enum class Kind {
    ManifestPut,      // `digest` stored in `repository`, and `tag` pointed at it when given
    ManifestDeleted,  // `digest` removed from `repository` with every tag on it
    TagDeleted,       // `tag` removed (untag); `digest` is what it pointed at
  };
  Kind kind = Kind::ManifestPut;
  std::string repository;
  Digest digest;
  std::optional<std::string> tag;
};

}  // namespace outpost::oci
