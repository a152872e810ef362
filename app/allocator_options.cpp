// jemalloc's settings for the `outpost` executable (compiled in only when it links jemalloc: app/CMakeLists.txt).
#include "app/allocator_options.h"

#include <jemalloc/jemalloc.h>

#include <cstdio>
#include <string>
#include <sys/types.h>

// Transparent huge pages for the heap and for jemalloc's own metadata: a simulated fleet keeps about a gigabyte of
// small objects (hash tables, timers, queues per node) and each node is touched once per exchange, minutes apart, so
// nearly every touch missed the TLB as well as the cache. With 2 MB pages the quiet wide-fleet day takes 0.86 of the
// CPU (docs/performance.md, "Allocator"). Debian's kernels leave THP to madvise, which is what this asks jemalloc to
// do; where THP is off it changes nothing. jemalloc reads this before MALLOC_CONF, so the environment still overrides
// it (MALLOC_CONF=thp:default turns it off).
extern "C" {
const char* malloc_conf = "thp:always,metadata_thp:always";
}

namespace outpost::app {

void keep_freed_memory() {
  // -1: never decay. Set as the default of arenas made from now on, then on each arena made so far (those not made
  // yet refuse, and will take the default).
  ssize_t never = -1;
  const auto set = [&never](const std::string& name) {
    return mallctl(name.c_str(), nullptr, nullptr, &never, sizeof never) == 0;
  };
  bool kept = set("arenas.dirty_decay_ms") && set("arenas.muzzy_decay_ms");
  unsigned arenas = 0;
  size_t size = sizeof arenas;
  if (mallctl("arenas.narenas", &arenas, &size, nullptr, 0) != 0) kept = false;
  for (unsigned arena = 0; arena < arenas; ++arena) {
    const std::string prefix = "arena." + std::to_string(arena);
    const bool done = set(prefix + ".dirty_decay_ms") && set(prefix + ".muzzy_decay_ms");
    if (arena == 0 && !done) kept = false;  // the main thread's arena exists by now
  }
  // A refusal only costs speed: say so and go on.
  if (!kept) std::fprintf(stderr, "outpost: the allocator would not keep freed memory (runs are slower, not different)\n");
}

}  // namespace outpost::app
