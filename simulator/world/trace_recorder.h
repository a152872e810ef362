#pragma once
// Writes a world's events into the engine's trace (simulator/engine/trace.h), whose running hash identifies the run:
// two runs of one seed must agree on it (--check-determinism), and its records export to Perfetto. What goes in:
//   exchange        node = the client host, peer = the authority, detail = "GET /v2/... 200" (or the transport
//                   failure): every exchange that ended, at the time its client heard;
//   fault           node = "" (the world), peer = the targets, detail = the action (and skew);
//   push ack        node = where it was pushed, detail = "repo:tag@digest";
//   pull            node = where it was pulled, detail = "repo:tag status";
//   sync round      a span: node = the connected registry, detail = its round count;
//   sync round failed  a span: node = the connected registry, detail = its count of failed rounds.
// Nothing non-deterministic goes into a detail: no bodies, no tokens, no signatures.
#include <string>

#include "simulator/engine/trace.h"
#include "simulator/world/observer.h"

namespace outpost::sim::world {

class TraceRecorder final : public WorldObserver {
 public:
  explicit TraceRecorder(Trace& trace) : trace_(trace) {}
  void on_request(const RequestEvent& event) override;
  void on_fault(const FaultEvent& event) override;
  void on_push_acknowledged(const PushEvent& event) override;
  void on_pull(const PullEvent& event) override;
  void on_delete(const DeleteEvent& event) override;
  void on_round_done(const RoundEvent& event) override;
  void on_round_failed(const RoundEvent& event) override;

 private:
  void record_round(const RoundEvent& event, const char* name);  // a completed or failed round, as a span

  Trace& trace_;
};

// The trace's hash as 16 hex digits: the run hash reports print.
std::string hash_text(uint64_t hash);

}  // namespace outpost::sim::world
