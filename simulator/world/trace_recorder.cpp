#include "simulator/world/trace_recorder.h"

#include <charconv>

#include "simulator/world/scenario_fault_details.h"

namespace outpost::sim::world {

void TraceRecorder::on_request(const RequestEvent& event) {
  // The detail "GET /v2/... 200" (or the transport failure), hashed from its pieces rather than built.
  char digits[16];
  const char* const end = std::to_chars(digits, digits + sizeof digits, event.status).ptr;
  const std::string_view outcome = event.status > 0 ? std::string_view(digits, static_cast<size_t>(end - digits))
                                                    : std::string_view(event.transport_error);
  trace_.record_parts(event.done, "exchange", event.from, event.to,
                      {http::method_name(event.method), " ", event.target, " ", outcome});
}

void TraceRecorder::on_fault(const FaultEvent& event) {
  std::string targets;
  for (const std::string& target : event.step.targets) targets += (targets.empty() ? "" : ",") + target;
  trace_.record(event.time, "fault", "", targets, describe_fault(event.step));
}

void TraceRecorder::on_push_acknowledged(const PushEvent& event) {
  trace_.record(event.time, "push ack", event.node, "", event.repository + ":" + event.tag + "@" + event.digest);
}

void TraceRecorder::on_pull(const PullEvent& event) {
  trace_.record(event.time, "pull", event.node, "",
                event.repository + ":" + event.tag + " " + std::to_string(event.status));
}

void TraceRecorder::on_delete(const DeleteEvent& event) {
  trace_.record(event.time, event.acknowledged ? "delete ack" : "delete unanswered", event.node, "",
                event.repository + ":" + event.reference + " (" + event.digest + ")");
}

void TraceRecorder::on_round_done(const RoundEvent& event) { record_round(event, "sync round"); }

void TraceRecorder::on_round_failed(const RoundEvent& event) { record_round(event, "sync round failed"); }

void TraceRecorder::record_round(const RoundEvent& event, const char* name) {
  // A span, recorded when the round ended (the world hears of it then): a bar on the node's track from its start.
  const uint64_t span = trace_.begin_span(event.began, event.node, name, {});
  trace_.end_span(event.time, span, std::to_string(event.rounds));
}

std::string hash_text(uint64_t hash) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string text(16, '0');
  for (int i = 15; i >= 0; --i, hash >>= 4) text[static_cast<size_t>(i)] = kHex[hash & 15];
  return text;
}

}  // namespace outpost::sim::world
