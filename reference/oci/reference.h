#pragma once
// The <reference> of a manifest URL (/v2/<name>/manifests/<reference>): a tag or a digest. Tags cannot contain ':',
// so a ':' makes it a digest and only a digest.
#include <optional>
#include <string>
#include <string_view>

#include "reference/oci/digest.h"

namespace outpost::oci {

struct Reference {
  std::string tag;               // set when the reference is a tag
  std::optional<Digest> digest;  // set when the reference is a digest

  bool is_digest() const { return digest.has_value(); }
  // The reference as written in a URL: the tag, or the digest's text.
  const std::string& str() const { return digest ? digest->str() : tag; }

  // A supported digest (sha256/sha512) or a valid tag; nullopt otherwise. diagnose_reference() says why.
  static std::optional<Reference> parse(std::string_view text);
  static Reference of_tag(std::string tag);
  static Reference of_digest(Digest digest);

  bool operator==(const Reference& other) const = default;
};

// Why a reference was refused, so a handler can answer with the right error code (an unparsable digest is
// DIGEST_INVALID, an unsupported algorithm may deserve UNSUPPORTED, a bad tag is MANIFEST_INVALID or NAME_INVALID...).
enum class ReferenceProblem { None, InvalidTag, InvalidDigest, UnsupportedDigestAlgorithm };
ReferenceProblem diagnose_reference(std::string_view text);

// True when `text` is a well-formed digest (algorithm ":" encoded) whose algorithm this registry does not support,
// e.g. "sha384:..." or "blake3:...". A malformed sha256/sha512 digest (wrong length, uppercase hex) is not this: it is
// simply invalid.
bool is_unsupported_digest(std::string_view text);

}  // namespace outpost::oci
