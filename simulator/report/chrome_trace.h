#pragma once
// A trace in the Chrome trace event format ({"traceEvents": [...]}), which Perfetto (ui.perfetto.dev) and
// chrome://tracing open. Each node is a process with one track named after it, in the order nodes first appear (the
// world's own events, node "", come first as "world"); events are instant marks on that track with their peer and
// detail as arguments, and spans (sync rounds) are async slices ("b"/"e" paired by id), which may overlap; a span
// whose begin is missing (cut off by Trace::Keep::Last) shows its end as an instant. Times are virtual microseconds
// with nanosecond decimals, so the timeline shows virtual time.
#include <ostream>
#include <span>
#include <string>

#include "simulator/engine/trace.h"

namespace outpost::sim::report {

void write_chrome_trace(std::ostream& out, std::span<const TraceRecord> records);
std::string chrome_trace_json(std::span<const TraceRecord> records);

}  // namespace outpost::sim::report
