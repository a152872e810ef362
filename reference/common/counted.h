#pragma once
// A count with its noun for messages people read: "1 connected registry", "3 steps". English plurals are not a
// suffix rule (registry/registries), so the caller gives both forms.
#include <cstddef>
#include <string>
#include <string_view>

namespace outpost {

inline std::string counted(size_t count, std::string_view one, std::string_view many) {
  return std::to_string(count) + " " + std::string(count == 1 ? one : many);
}

}  // namespace outpost
