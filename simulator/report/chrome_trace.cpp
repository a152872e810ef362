#include "simulator/report/chrome_trace.h"

#include <cstdio>
#include <sstream>
#include <utility>

#include <nlohmann/json.hpp>

#include "reference/common/json_text.h"

namespace outpost::sim::report {

namespace {

constexpr int kTrackId = 1;  // every node's events and spans are on one track (thread) of its process

// A JSON string literal; bytes that are not UTF-8 become U+FFFD rather than invalid JSON.
std::string quoted(const std::string& text) {
  return json_text(nlohmann::json(text));
}

// Virtual nanoseconds as microseconds with three exact decimals (the format's unit is the microsecond).
std::string microseconds(Nanoseconds time) {
  const int64_t ns = time.count();
  // The magnitude in unsigned arithmetic: negating INT64_MIN would overflow.
  const uint64_t magnitude = ns < 0 ? 0 - static_cast<uint64_t>(ns) : static_cast<uint64_t>(ns);
  char text[32];
  std::snprintf(text, sizeof text, "%s%llu.%03llu", ns < 0 ? "-" : "",
                static_cast<unsigned long long>(magnitude / 1000), static_cast<unsigned long long>(magnitude % 1000));
  return text;
}

const char* phase_letter(TraceRecord::Phase phase) {
  switch (phase) {
    case TraceRecord::Phase::Begin: return "b";
    case TraceRecord::Phase::End: return "e";
    case TraceRecord::Phase::Instant: break;
  }
  return "i";
}

// Names the node's process and its track, and keeps processes in the order nodes first appeared.
void write_metadata(std::ostream& out, int pid, const std::string& node) {
  const std::string name = quoted(node.empty() ? "world" : node);
  out << R"({"ph":"M","name":"process_name","pid":)" << pid << R"(,"tid":0,"args":{"name":)" << name << "}},\n";
  out << R"({"ph":"M","name":"process_sort_index","pid":)" << pid << R"(,"tid":0,"args":{"sort_index":)" << pid
      << "}},\n";
  out << R"({"ph":"M","name":"thread_name","pid":)" << pid << R"(,"tid":)" << kTrackId << R"(,"args":{"name":)"
      << name << "}}";
}

}  // namespace

ChromeTraceWriter::ChromeTraceWriter(std::ostream& out) : out_(out) {
  out_ << "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n";
  pid_of("");  // the world's own track comes first, whatever the records
}

void ChromeTraceWriter::next() {
  if (!first_) out_ << ",\n";
  first_ = false;
}

int ChromeTraceWriter::pid_of(const std::string& node) {
  if (const auto known = pids_.find(node); known != pids_.end()) return known->second;
  const int pid = static_cast<int>(pids_.size()) + 1;
  pids_.emplace(node, pid);
  next();
  write_metadata(out_, pid, node);
  return pid;
}

void ChromeTraceWriter::write(const TraceRecord& record) {
  const int pid = pid_of(record.node);
  TraceRecord::Phase phase = record.phase;
  if (phase == TraceRecord::Phase::Begin) {
    open_spans_.insert(record.span);
  } else if (phase == TraceRecord::Phase::End && open_spans_.erase(record.span) == 0) {
    // A span's end whose begin was not written (a ring of the last N dropped it) is shown as an instant: an
    // unmatched "e" would confuse a viewer.
    phase = TraceRecord::Phase::Instant;
  }
  next();
  out_ << "{\"name\":" << quoted(record.kind) << ",\"ph\":\"" << phase_letter(phase) << '"';
  if (phase == TraceRecord::Phase::Instant)
    out_ << R"(,"cat":"event","s":"t")";
  else
    out_ << R"(,"cat":"span","id":)" << record.span;
  out_ << ",\"ts\":" << microseconds(record.time) << ",\"pid\":" << pid << ",\"tid\":" << kTrackId
       << ",\"args\":{";
  bool first_arg = true;
  for (const auto& [key, value] : {std::pair{"peer", &record.peer}, std::pair{"detail", &record.detail}}) {
    if (value->empty()) continue;
    out_ << (first_arg ? "" : ",") << '"' << key << "\":" << quoted(*value);
    first_arg = false;
  }
  out_ << "}}";
}

void ChromeTraceWriter::finish() {
  if (finished_) return;
  finished_ = true;
  out_ << "\n]}\n";
}

void write_chrome_trace(std::ostream& out, std::span<const TraceRecord> records) {
  ChromeTraceWriter writer(out);
  for (const TraceRecord& record : records) writer.write(record);
  writer.finish();
}

std::string chrome_trace_json(std::span<const TraceRecord> records) {
  std::ostringstream out;
  write_chrome_trace(out, records);
  return out.str();
}

}  // namespace outpost::sim::report
