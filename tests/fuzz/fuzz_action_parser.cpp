// libFuzzer target: scope-map action strings (SPEC 3.1). Any input either parses to a rule whose canonical form parses
// back to the same rule, or is refused with a message; nothing crashes.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "reference/auth/actions.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const auto parsed = outpost::auth::parse_action(input);
  if (parsed.rule) {
    const std::string canonical = parsed.rule->to_string();
    const auto again = outpost::auth::parse_action(canonical);
    if (!again.rule || again.rule->to_string() != canonical) std::abort();
  } else if (parsed.error.empty()) {
    std::abort();  // a refusal must say why
  }
  return 0;
}
