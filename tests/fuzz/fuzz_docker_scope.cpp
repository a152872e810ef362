// libFuzzer target: Docker token-scope values (SPEC 3.4, 3.5), several space-separated scopes per value.
#include <cstdint>
#include <string>

#include "reference/auth/docker_scope.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const auto scopes = outpost::auth::parse_scope_list(input);
  (void)scopes;
  return 0;
}
