// File: agent_state.h
//
// AgentState: what the agent knows about its run, shared by the thread
// that loaded it (Agent_OnLoad, Agent_OnAttach or the library
// constructor), its own thread (the snapshot loop or the control server)
// and the JVM's callbacks (VMDeath, JIT events). Setup makes it; the
// process has one, g_state, never freed: JVMTI callbacks may run until the
// process is gone.
//
// Also Say, the agent's one way of telling the user something. The agent
// must never take the JVM down: every failure is one line on stderr and,
// where it costs the verdict, a reason in agent.json; the run goes on.

#ifndef JLEAK_AGENT_AGENT_STATE_H_
#define JLEAK_AGENT_AGENT_STATE_H_

#include <jvmti.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "agent/agent_options.h"
#include "agent/capture_engine.h"
#include "agent/class_source_recorder.h"
#include "agent/control_protocol.h"
#include "agent/java_stacks.h"
#include "agent/jvmti_registration.h"
#include "agent/loop_clock.h"
#include "agent/malloc_control.h"
#include "agent/perf_map_writer.h"
#include "agent/sampling_capture.h"
#include "agent/snapshotter.h"
#include "nlohmann/json.hpp"

namespace jleak::agent {

struct AgentState {
  AgentOptions options;
  std::string mode;  // "jvm" or "native"
  // What samples allocations and writes heap profiles (capture_engine.h):
  // jleak's profiling jemalloc when the process has it; in a standby JVM
  // without it, the agent's sampling engine (`sampling` then points at it);
  // null when neither can run (`inconclusive` says why).
  std::unique_ptr<CaptureEngine> engine;
  SamplingCapture* sampling = nullptr;
  JemallocInfo jemalloc_info;
  std::string inconclusive;  // why the run cannot give a verdict, or empty
  PerfMapWriter perf_map;
  // The snapshotter of the run (run mode) or of the current standby
  // request; shared with the VMDeath callback, which may run meanwhile.
  std::shared_ptr<Snapshotter> snapshotter;
  nlohmann::ordered_json vm_info = nlohmann::ordered_json::object();

  // What the agent's loops read the time from and wait on; tests put a
  // fake here.
  LoopClock* clock = RealLoopClock();
  std::mutex mu;
  std::condition_variable cv;
  bool stop = false;  // guarded by mu; set at VM death or exit
  std::thread native_thread;

  // JVM mode.
  JavaVM* vm = nullptr;
  jvmtiEnv* jvmti = nullptr;
  // Java frames in heap profiles: the installed hook, or null with the
  // reason in java_stacks_off (empty while not yet decided).
  JavaStacks* java_stacks = nullptr;
  std::string java_stacks_off;
  // Where each class was loaded from (java-classes.map): set once in the
  // live phase and never freed (the ClassPrepare callback reads it on any
  // thread); null with the reason in java_classes_off.
  std::atomic<ClassSourceRecorder*> class_sources{nullptr};
  std::string java_classes_off;
  // What JvmProbe calls (LookUpJavaHooks); null when this JDK lacks it.
  jclass reference_class = nullptr;  // java.lang.ref.Reference (global)
  jmethodID wait_for_references = nullptr;
  jclass runtime_class = nullptr;  // java.lang.Runtime (global)
  jmethodID get_runtime = nullptr, total_memory = nullptr,
            free_memory = nullptr;
  jclass bits_class = nullptr;  // java.nio.Bits (global)
  jfieldID bits_count = nullptr, bits_capacity = nullptr;
  jmethodID atomic_long_get = nullptr;
  // Native Memory Tracking (nmt=1): whether the summary was read once, how
  // many reads failed in a row, and whether to stop asking.
  bool nmt_answered = false;
  int nmt_failures = 0;
  bool nmt_off = false;

  // Standby mode (options.standby), all guarded by mu.
  std::string control_dir;
  bool session_active = false;  // an attach session runs
  bool collecting = false;      // sampling left on by `jleak snapshot`
  int64_t collecting_since_ns = 0;
  ControlRequest request;         // the request being served
  bool loaded_at_attach = false;  // Agent_OnAttach, not Agent_OnLoad
  bool jit_events_on = false;
  // Everything set in jvmti, for taking it back if start-up fails.
  std::unique_ptr<JvmtiRegistration> registration;
};

// g_state: the process's agent, set once it has started; never freed.
extern AgentState* g_state;

// Say prints "jleak agent: <message>" on stderr.
void Say(const std::string& message);

// Setup parses `options` (the -agentpath string or JLEAK_AGENT_OPTIONS),
// claims the output directory (run mode: one profiled process per run) and
// chooses the capture engine: jemalloc if it can profile, else, for a
// standby agent (a JVM `jleak attach` may meet), the sampling engine;
// `mode` is "jvm" or "native". Returns null when the agent should stay out
// of the way entirely (bad options, directory taken or unusable), having
// said why; a state without an engine (engine null, `inconclusive` saying
// why) when it can only report.
std::unique_ptr<AgentState> Setup(const char* options, const std::string& mode);

}  // namespace jleak::agent

#endif  // JLEAK_AGENT_AGENT_STATE_H_
