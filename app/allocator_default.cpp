// Without jemalloc (sanitizer and fuzz builds, or OUTPOST_JEMALLOC=OFF) there is nothing to tune.
#include "app/allocator_options.h"

namespace outpost::app {

void keep_freed_memory() {}

}  // namespace outpost::app
