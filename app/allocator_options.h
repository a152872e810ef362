#pragma once
// Allocator settings that depend on what the process is about to do (allocator_options.cpp with jemalloc,
// allocator_default.cpp without it, where they change nothing).

namespace outpost::app {

// For a simulation: freed memory is kept for reuse instead of being handed back to the kernel after a few seconds.
// A simulated fleet frees and allocates the same amounts over and over; handing pages back made the kernel fault and
// zero them again (with huge pages, 2 MB at a time), about a tenth of the quiet wide-fleet day. A server keeps the
// default, so memory freed after a burst goes back to the system.
void keep_freed_memory();

}  // namespace outpost::app
