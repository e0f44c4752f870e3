// File: sampling_capture.h
//
// SamplingCapture: the capture engine (capture_engine.h) of a JVM started
// without jleak's profiling jemalloc, the usual JVM that `jleak attach`
// meets in production. It drives the agent's sampling engine
// (agent/sampling/engine.h): Activate installs it (the malloc family of
// every loaded object interposed through its GOT, Poisson sampling by
// bytes with jemalloc's maths), Dump writes its live samples as heap_v2,
// Deactivate uninstalls it (every GOT slot restored). The agent stays
// loaded and idle between sessions; the next Activate reuses it.
//
//   SamplingCapture engine;
//   engine.set_backtrace(JavaStacks::Hook());  // Java frames, as jemalloc's
//   engine.Reset(19);
//   engine.Activate();                          // attach
//   engine.Dump(dir + "/snapshot-0.heap");
//   engine.Deactivate();                        // detach
//
// - Before the first install the agent's own object is pinned
//   (dlopen(self, RTLD_NOLOAD | RTLD_NODELETE)): hooks, and GLOB_DAT slots
//   other objects copied, may point into it until the process exits.
// - Dump first repatches (objects loaded since, slots that lost their
//   hook), then writes the profile to `path`.tmp and renames it: a reader
//   never sees half a snapshot.
// - Stacks: the backtrace given (java_stacks' hook over NativeWalker()),
//   or NativeWalker() alone; the engine cuts the frames of this object, so
//   a stack starts at the allocating function. NativeWalker() is
//   libunwind's unw_backtrace when libunwind.so.8 loads (next to the agent,
//   where `jleak install` puts it, or the system's), the walker of the
//   jemalloc engine, so both engines name the same frames; otherwise the
//   frame-pointer walk (sampling/libunwind_backtrace.h says why and what
//   that loses). agent.json's engine.unwinder says which.
// - Limit (kSamplingEngineLimit): memory allocated before the attach is
//   not seen; the verdict is about growth after it.

#ifndef JLEAK_AGENT_SAMPLING_CAPTURE_H_
#define JLEAK_AGENT_SAMPLING_CAPTURE_H_

#include <atomic>
#include <string>

#include "agent/capture_engine.h"
#include "agent/sampling/frame_pointer_backtrace.h"

namespace jleak::agent {

class SamplingCapture : public CaptureEngine {
 public:
  SamplingCapture() = default;
  ~SamplingCapture() override = default;

  const char* name() const override;
  absl::Status Reset(int lg_sample) override;
  absl::Status Activate() override;
  absl::Status Deactivate() override;
  absl::Status Dump(const std::string& path) override;
  // Unknown (-1): glibc's malloc has no such totals.
  JemallocStats AllocatorStats() override;
  nlohmann::ordered_json Report() override;

  // NativeWalker: the engine's native stack walker (above), loaded and
  // chosen at the first call, the same for the life of the process.
  // NativeWalkerName: "libunwind (/path/libunwind.so.8)" or "frame
  // pointers (why not libunwind)".
  static sampling::BacktraceFn NativeWalker();
  static const std::string& NativeWalkerName();

  // set_backtrace: the stack walker of the sessions that start from now,
  // and of the one running (an engine activated at Agent_OnLoad gets Java
  // frames from VMInit on); null: NativeWalker().
  void set_backtrace(sampling::BacktraceFn backtrace);

 private:
  absl::Status Install();

  int lg_sample_ = 19;
  std::atomic<sampling::BacktraceFn> backtrace_{nullptr};
  bool pinned_ = false;
  void* marker_ = nullptr;  // see CaptureEngine::Activate
};

// PinOwnObject makes the object holding this code unloadable (nothing to
// do when it is the main program). Errors say why not.
absl::Status PinOwnObject();

}  // namespace jleak::agent

#endif  // JLEAK_AGENT_SAMPLING_CAPTURE_H_
