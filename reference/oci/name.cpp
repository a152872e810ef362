#include "reference/oci/name.h"

namespace outpost::oci {

namespace {
bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

bool is_alnum(char c) { return is_lower_alnum(c) || (c >= 'A' && c <= 'Z'); }

// One path component: [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*
// Alternates runs of alphanumerics with separators; a separator is ".", "_", "__" or any number of "-", so mixed runs
// such as "._" or "___" are refused.
bool valid_path_component(std::string_view component) {
  const size_t n = component.size();
  size_t i = 0;
  while (true) {
    const size_t run_start = i;
    while (i < n && is_lower_alnum(component[i])) ++i;
    if (i == run_start) return false;  // empty component, or a separator not followed by an alphanumeric
    if (i == n) return true;
    switch (component[i]) {
      case '.':
        ++i;
        break;
      case '_':
        ++i;
        if (i < n && component[i] == '_') ++i;
        break;
      case '-':
        while (i < n && component[i] == '-') ++i;
        break;
      default:
        return false;
    }
  }
}
}  // namespace

bool valid_repository_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxRepositoryNameLength) return false;
  while (true) {
    const size_t slash = name.find('/');
    if (!valid_path_component(name.substr(0, slash))) return false;
    if (slash == std::string_view::npos) return true;
    name.remove_prefix(slash + 1);
  }
}

bool valid_tag(std::string_view tag) {
  if (tag.empty() || tag.size() > kMaxTagLength) return false;
  if (!(is_alnum(tag[0]) || tag[0] == '_')) return false;
  for (char c : tag.substr(1))
    if (!(is_alnum(c) || c == '_' || c == '.' || c == '-')) return false;
  return true;
}

}  // namespace outpost::oci
