// jemalloc's settings for the `outpost` executable (compiled in only when it links jemalloc: app/CMakeLists.txt).
//
// Transparent huge pages for the heap and for jemalloc's own metadata: a simulated fleet keeps about a gigabyte of
// small objects per node (hash tables, timers, queues) and each node is touched once per exchange, minutes apart, so
// nearly every touch missed the TLB as well as the cache. With 2 MB pages the quiet wide-fleet day takes 0.86 of the
// CPU (docs/performance.md, "Allocator"). Debian's kernels leave THP to madvise, which is what this asks jemalloc to
// do; where THP is off it changes nothing. jemalloc reads this before MALLOC_CONF, so the environment still overrides
// it (MALLOC_CONF=thp:default turns it off).
extern "C" {
// NOLINTNEXTLINE: the name and type are jemalloc's interface.
const char* malloc_conf = "thp:always,metadata_thp:always";
}
