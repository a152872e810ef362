#include "reference/oci/reference.h"

#include "reference/oci/name.h"

namespace outpost::oci {

std::optional<Reference> Reference::parse(std::string_view text) {
  if (text.find(':') != std::string_view::npos) {
    auto digest = Digest::parse(text);
    if (!digest) return std::nullopt;
    return of_digest(std::move(*digest));
  }
  if (!valid_tag(text)) return std::nullopt;
  return of_tag(std::string(text));
}

Reference Reference::of_tag(std::string tag) {
  Reference reference;
  reference.tag = std::move(tag);
  return reference;
}

Reference Reference::of_digest(Digest digest) {
  Reference reference;
  reference.digest = std::move(digest);
  return reference;
}

bool is_unsupported_digest(std::string_view text) {
  if (!Digest::well_formed(text)) return false;
  const std::string_view algorithm = text.substr(0, text.find(':'));
  return algorithm != "sha256" && algorithm != "sha512";
}

ReferenceProblem diagnose_reference(std::string_view text) {
  if (text.find(':') == std::string_view::npos)
    return valid_tag(text) ? ReferenceProblem::None : ReferenceProblem::InvalidTag;
  if (Digest::parse(text)) return ReferenceProblem::None;
  return is_unsupported_digest(text) ? ReferenceProblem::UnsupportedDigestAlgorithm : ReferenceProblem::InvalidDigest;
}

}  // namespace outpost::oci
