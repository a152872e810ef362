// libFuzzer target: manifest validation (SPEC 6.2) on arbitrary bodies and content types.
#include <cstdint>
#include <string>

#include "reference/oci/manifest.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  for (const char* type : {"application/vnd.oci.image.manifest.v1+json", "application/vnd.oci.image.index.v1+json", ""}) {
    try {
      (void)outpost::oci::parse_manifest(input, type);
    } catch (const outpost::oci::ManifestError&) {
    }
  }
  return 0;
}
