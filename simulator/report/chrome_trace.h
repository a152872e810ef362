#pragma once
// A trace in the Chrome trace event format ({"traceEvents": [...]}), which Perfetto (ui.perfetto.dev) and
// chrome://tracing open. Each node is a process with one track named after it, numbered in the order nodes first
// appear (the world's own events, node "", come first as "world"), its naming metadata written where it first
// appears; events are instant marks on that track with their peer and detail as arguments, and spans (sync rounds)
// are async slices ("b"/"e" paired by id), which may overlap; a span whose begin is missing (cut off by
// Trace::Keep::Last) shows its end as an instant. Times are virtual microseconds with nanosecond decimals, so the
// timeline shows virtual time.
#include <cstdint>
#include <map>
#include <ostream>
#include <span>
#include <string>
#include <unordered_set>

#include "simulator/engine/trace.h"

namespace outpost::sim::report {

// Writes records one by one as a run makes them (Trace::stream_to), so a trace of any length needs no more memory
// than its nodes' names and its open spans. finish() closes the document; until then the file is not valid JSON.
class ChromeTraceWriter {
 public:
  explicit ChromeTraceWriter(std::ostream& out);
  ChromeTraceWriter(const ChromeTraceWriter&) = delete;
  ChromeTraceWriter& operator=(const ChromeTraceWriter&) = delete;

  void write(const TraceRecord& record);
  void finish();

 private:
  int pid_of(const std::string& node);
  void next();

  std::ostream& out_;
  std::map<std::string, int, std::less<>> pids_;  // numbered from 1: some viewers treat pid 0 as the idle process
  std::unordered_set<uint64_t> open_spans_;       // begun and not yet ended: an end without one is an instant
  bool first_ = true;
  bool finished_ = false;
};

void write_chrome_trace(std::ostream& out, std::span<const TraceRecord> records);
std::string chrome_trace_json(std::span<const TraceRecord> records);

}  // namespace outpost::sim::report
