// File: capture_engine.h
//
// CaptureEngine: what samples allocations while jleak collects and writes
// each snapshot's heap profile, behind one interface so that the
// snapshotter, the snapshot loop and the control server do not know which
// one runs. Two implement it:
//
//   jemalloc  (jemalloc_capture.h) jleak's profiling jemalloc, preloaded at
//             start (`jleak run`, `jleak env`): prof.reset, prof.active,
//             prof.dump through mallctl.
//   sampling  (sampling_capture.h) the agent's own engine (agent/sampling),
//             for a JVM started without that jemalloc (`jleak attach` on
//             any JVM): the malloc family interposed while active.
//
//   engine->Reset(19);     // an empty profile, a sample per 2^19 bytes
//   engine->Activate();    // sampling on
//   engine->Dump(dir + "/snapshot-3.heap");  // jemalloc's heap_v2
//   engine->Deactivate();  // sampling off; Reset + Activate start again
//
// Both write the same heap_v2 files, so everything downstream (analyze,
// compare, reports) reads them alike.

#ifndef JLEAK_AGENT_CAPTURE_ENGINE_H_
#define JLEAK_AGENT_CAPTURE_ENGINE_H_

#include <string>

#include "absl/status/status.h"
#include "agent/malloc_control.h"
#include "nlohmann/json.hpp"

namespace jleak::agent {

class CaptureEngine {
 public:
  virtual ~CaptureEngine() = default;
  // name: "jemalloc" or "sampling" (control_protocol.h's kEngine*).
  virtual const char* name() const = 0;
  // Reset forgets every sample taken so far; sampling (now, or from the
  // next Activate) takes one allocation per 2^lg_sample bytes on average.
  virtual absl::Status Reset(int lg_sample) = 0;
  // Activate turns sampling on. Each engine also keeps one allocation of
  // 16 sampling periods until Deactivate (sampled but for a chance of
  // e^-16): the profiles of a JVM that keeps nothing it allocates during
  // the session still hold a sample, and read as "nothing grew" rather
  // than as "sampling was off". Its pages are never touched.
  virtual absl::Status Activate() = 0;
  // Deactivate turns sampling off; OK when it was off.
  virtual absl::Status Deactivate() = 0;
  // Dump writes the live samples as a heap_v2 profile to `path`.
  virtual absl::Status Dump(const std::string& path) = 0;
  // AllocatorStats: the allocator's totals for the timeline (-1: unknown).
  virtual JemallocStats AllocatorStats() = 0;
  // Report: agent.json's "engine", its name and counters.
  virtual nlohmann::ordered_json Report() = 0;
};

}  // namespace jleak::agent

#endif  // JLEAK_AGENT_CAPTURE_ENGINE_H_
