#include "simulator/report/chrome_trace.h"

#include <cstdio>
#include <map>
#include <set>
#include <sstream>
#include <vector>

#include <nlohmann/json.hpp>

namespace outpost::sim::report {

namespace {

constexpr int kTrackId = 1;  // every node's events and spans are on one track (thread) of its process

// A JSON string literal; bytes that are not UTF-8 become U+FFFD rather than invalid JSON.
std::string quoted(const std::string& text) {
  return nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
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

void write_chrome_trace(std::ostream& out, std::span<const TraceRecord> records) {
  // Processes numbered in order of first appearance, the world first: the same trace always exports the same bytes.
  // Numbered from 1: some viewers treat pid 0 as the kernel's idle process.
  std::map<std::string, int> pids{{"", 1}};
  std::vector<const std::string*> order{&pids.begin()->first};
  for (const TraceRecord& record : records) {
    const auto [it, inserted] = pids.emplace(record.node, static_cast<int>(pids.size()) + 1);
    if (inserted) order.push_back(&it->first);
  }

  out << "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n";
  bool first = true;
  const auto next = [&] {
    if (!first) out << ",\n";
    first = false;
  };
  for (const std::string* node : order) {
    next();
    write_metadata(out, pids.at(*node), *node);
  }
  // A span's end whose begin is not among the records (a ring of the last N dropped it) is shown as an instant: an
  // unmatched "e" would confuse a viewer.
  std::set<uint64_t> begun;
  for (const TraceRecord& record : records)
    if (record.phase == TraceRecord::Phase::Begin) begun.insert(record.span);
  for (const TraceRecord& record : records) {
    next();
    const TraceRecord::Phase phase =
        record.phase == TraceRecord::Phase::End && !begun.contains(record.span) ? TraceRecord::Phase::Instant
                                                                               : record.phase;
    out << "{\"name\":" << quoted(record.kind) << ",\"ph\":\"" << phase_letter(phase) << '"';
    if (phase == TraceRecord::Phase::Instant)
      out << R"(,"cat":"event","s":"t")";
    else
      out << R"(,"cat":"span","id":)" << record.span;
    out << ",\"ts\":" << microseconds(record.time) << ",\"pid\":" << pids.at(record.node) << ",\"tid\":" << kTrackId
        << ",\"args\":{";
    bool first_arg = true;
    for (const auto& [key, value] : {std::pair{"peer", &record.peer}, std::pair{"detail", &record.detail}}) {
      if (value->empty()) continue;
      out << (first_arg ? "" : ",") << '"' << key << "\":" << quoted(*value);
      first_arg = false;
    }
    out << "}}";
  }
  out << "\n]}\n";
}

std::string chrome_trace_json(std::span<const TraceRecord> records) {
  std::ostringstream out;
  write_chrome_trace(out, records);
  return out.str();
}

}  // namespace outpost::sim::report
