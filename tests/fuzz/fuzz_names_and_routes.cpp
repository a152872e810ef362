// libFuzzer target: repository names, tags and manifest references (reference/oci/name.h, reference.h) and the
// routes that carry them (reference/registry/route.h). Differential, on any input: the hand-written matchers agree
// with the distribution-spec v1.1 grammars run by std::regex, and a path /v2/<input>/manifests/v1 routes to the
// repository <input> exactly when the input is a valid name (else NAME_INVALID). Found before it existed: an empty
// name ("/v2//manifests/v1") was routed to a repository "".
#include <cstdint>
#include <cstdlib>
#include <regex>
#include <string>
#include <string_view>

#include "reference/common/error.h"
#include "reference/oci/name.h"
#include "reference/oci/reference.h"
#include "reference/registry/route.h"

namespace {

const std::regex& name_grammar() {
  static const std::regex grammar(
      "[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*)*");
  return grammar;
}
const std::regex& tag_grammar() {
  static const std::regex grammar("[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}");
  return grammar;
}
const std::regex& digest_grammar() {  // the algorithms this registry supports, lowercase hex (SPEC 6.2)
  static const std::regex grammar("sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128}");
  return grammar;
}

bool spec_name(const std::string& text) {
  return text.size() <= outpost::oci::kMaxRepositoryNameLength && std::regex_match(text, name_grammar());
}

// A segment that is one of the route's words would make the path name another route (or another repository).
bool has_route_word(std::string_view text) {
  size_t start = 0;
  while (start <= text.size()) {
    const size_t slash = text.find('/', start);
    const std::string_view segment = text.substr(start, (slash == std::string_view::npos ? text.size() : slash) - start);
    if (segment == "tags" || segment == "list" || segment == "manifests" || segment == "blobs" ||
        segment == "uploads" || segment == "referrers")
      return true;
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 600) return 0;  // std::regex recurses per character; the grammars' limits are 255 and 128 anyway
  const std::string text(reinterpret_cast<const char*>(data), size);

  if (outpost::oci::valid_repository_name(text) != spec_name(text)) std::abort();
  if (outpost::oci::valid_tag(text) != std::regex_match(text, tag_grammar())) std::abort();

  const auto reference = outpost::oci::Reference::parse(text);
  const bool tag = std::regex_match(text, tag_grammar());
  const bool digest = std::regex_match(text, digest_grammar());
  if (reference.has_value() != (tag || digest)) std::abort();
  if (reference && reference->is_digest() != digest) std::abort();
  if (reference && reference->str() != text) std::abort();

  if (text.find('?') != std::string::npos || has_route_word(text)) return 0;
  outpost::http::Request request;
  request.method = outpost::http::Method::Get;
  request.path = "/v2/" + text + "/manifests/v1";
  try {
    const outpost::registry::Route route = outpost::registry::match_route(request);
    if (route.kind != outpost::registry::RouteKind::Manifest || route.repository != text || !spec_name(text))
      std::abort();
  } catch (const outpost::ApiError& error) {
    if (error.code() != "NAME_INVALID" || spec_name(text)) std::abort();
  }
  return 0;
}
