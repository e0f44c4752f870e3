// File: jvmti_agent.cc
//
// The agent's JVMTI entry points: Agent_OnLoad (`java
// -agentpath:libjleak_agent.so=OPTIONS`), Agent_OnAttach (`jleak attach`
// on a running JVM), and the JVMTI callbacks (VMInit, VMDeath, JIT code
// for the perf map, class loading for Java stacks). They set the agent up
// (agent_state.h), register with JVMTI, and in the live phase start the
// agent thread: the snapshot loop (snapshot_loop.h) or, in standby, the
// control server (control_server.h). The agent as a whole: README.md.
//
// Agent_OnLoad always returns JNI_OK, even when not profiling: a broken
// harness must not stop the workload; the launcher sees the missing or
// inconclusive agent.json. Agent_OnAttach loads into any JVM: without
// jleak's profiling jemalloc (which cannot be turned on after start) the
// standby agent's sessions use the sampling engine (sampling_capture.h);
// it refuses (HotSpot then unloads the library) only bad options or a
// JVM without JVMTI.

#include <jvmti.h>
#include <unistd.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "agent/agent_options.h"
#include "agent/agent_report.h"
#include "agent/agent_state.h"
#include "agent/class_source_recorder.h"
#include "agent/control_server.h"
#include "agent/java_stacks.h"
#include "agent/jvm_origins.h"
#include "agent/jvm_probe.h"
#include "agent/jvmti_registration.h"
#include "agent/live_jvm_hooks.h"
#include "agent/perf_map_writer.h"
#include "agent/sampling_capture.h"
#include "agent/snapshot_loop.h"
#include "agent/snapshotter.h"

namespace jleak::agent {
namespace {

// Agent_OnAttach's return codes (HotSpot prints them as "return code: N"
// to the attaching tool, and unloads the library when N is not 0).
// (2, 3 and 4 were "no profiling jemalloc", before the sampling engine.)
constexpr int kAttachBadOptions = 5;
constexpr int kAttachNoJvmti = 6;

// SystemProperty: a property the VM itself sets, through JVMTI (agent.json
// "vm"); empty when it has none.
std::string SystemProperty(jvmtiEnv* jvmti, const char* name) {
  char* value = nullptr;
  std::string out;
  if (jvmti->GetSystemProperty(name, &value) == JVMTI_ERROR_NONE && value) {
    out = value;
    jvmti->Deallocate(reinterpret_cast<unsigned char*>(value));
  }
  return out;
}

// JavaSystemProperty: System.getProperty(name), for properties the class
// library sets; empty when unset or on any JNI failure.
std::string JavaSystemProperty(JNIEnv* env, const char* name) {
  std::string out;
  jclass system = env->FindClass("java/lang/System");
  jmethodID get =
      system ? env->GetStaticMethodID(system, "getProperty",
                                      "(Ljava/lang/String;)Ljava/lang/String;")
             : nullptr;
  jstring key = get ? env->NewStringUTF(name) : nullptr;
  auto value =
      key ? static_cast<jstring>(env->CallStaticObjectMethod(system, get, key))
          : nullptr;
  if (value != nullptr) {
    const char* chars = env->GetStringUTFChars(value, nullptr);
    if (chars != nullptr) {
      out = chars;
      env->ReleaseStringUTFChars(value, chars);
    }
  }
  env->ExceptionClear();
  return out;
}

// StartJavaStacks installs the Java-stack hook at VMInit: AsyncGetCallTrace
// needs the live phase, and the jmethodIDs of the classes loaded so far.
void StartJavaStacks(AgentState& s, jvmtiEnv* jvmti, JNIEnv* env) {
  if (!s.java_stacks_off.empty() || !s.options.java_stacks) return;
  JavaStacks::LoadAllMethodIds(jvmti, env);
  // jemalloc's backtrace hook, or the sampling engine's walker (the same
  // hook over its native walker, handed to the engine).
  absl::StatusOr<JavaStacks*> stacks =
      s.sampling != nullptr ? JavaStacks::InstallOver(
                                  s.vm, jvmti, SamplingCapture::NativeWalker())
                            : JavaStacks::Install(s.vm, jvmti);
  if (!stacks.ok()) {
    s.java_stacks_off = std::string(stacks.status().message());
    Say(absl::StrCat("no Java frames in heap profiles: ", s.java_stacks_off));
    return;
  }
  s.java_stacks = *stacks;
  if (s.sampling != nullptr) s.sampling->set_backtrace(JavaStacks::Hook());
}

// StartJavaClasses records, from now on, where each class is loaded from
// (java-classes.map), starting with the classes loaded so far. Only with
// the class events that Java stacks enable (`class_events`).
void StartJavaClasses(AgentState& s, jvmtiEnv* jvmti, JNIEnv* env,
                      bool class_events) {
  if (!s.options.java_classes) {
    s.java_classes_off = "off (java_classes=0)";
    return;
  }
  if (!class_events) {
    s.java_classes_off = "no class events (java_stacks off or refused)";
    return;
  }
  absl::StatusOr<std::unique_ptr<ClassSourceRecorder>> recorder =
      ClassSourceRecorder::Create(jvmti, env);
  if (!recorder.ok()) {
    s.java_classes_off = std::string(recorder.status().message());
    Say(absl::StrCat("no class map: ", s.java_classes_off));
    return;
  }
  // Never freed: the ClassPrepare callback may run until the process ends.
  ClassSourceRecorder* r = recorder->release();
  // Published first: a class prepared during the sweep is recorded by its
  // event or by the sweep (or both; the second changes nothing).
  s.class_sources.store(r, std::memory_order_release);
  r->RecordLoadedClasses(env);
}

// AgentThread: the agent's own thread, a Java thread ("jleak-agent") that
// never returns to Java: the control server (standby) or the snapshot loop.
void JNICALL AgentThread(jvmtiEnv*, JNIEnv* env, void*) {
  AgentState& s = *g_state;
  LiveJvmHooks jvm(s, env);
  if (s.options.standby) {
    ControlLoop(s, jvm);
    return;
  }
  std::shared_ptr<Snapshotter> snap = s.snapshotter;
  SnapshotLoop(s, *snap, jvm.Probe(),
               [&jvm, snap] { jvm.AfterSnapshot(*snap); });
}

// StartLive does what needs the live phase: at VMInit, or at once when the
// agent is loaded into a running JVM.
void StartLive(AgentState& s, jvmtiEnv* jvmti, JNIEnv* env) {
  // java.version is set by the class library, not the VM, so JVMTI's
  // GetSystemProperty does not have it; System.getProperty does.
  s.vm_info["java.version"] = JavaSystemProperty(env, "java.version");
  for (const char* p : {"java.vm.name", "java.vm.version", "java.home"}) {
    s.vm_info[p] = SystemProperty(jvmti, p);
  }
  LookUpJavaHooks(s, env);
  // The class events are on when Java stacks were wanted and JVMTI took
  // them (SetUpJvmti), whether or not the hook installs below.
  const bool class_events = s.options.java_stacks && s.java_stacks_off.empty();
  StartJavaClasses(s, jvmti, env, class_events);
  StartJavaStacks(s, jvmti, env);
  StartJvmOrigins(s.options, s.vm, jvmti, s.java_stacks);
  if (s.snapshotter != nullptr) {
    s.snapshotter->SetMemoryOrigins(JvmMemoryOrigins());
  }
  if (s.options.perf_map && !s.options.standby) {
    // Code compiled before the events were enabled.
    jvmti->GenerateEvents(JVMTI_EVENT_DYNAMIC_CODE_GENERATED);
    jvmti->GenerateEvents(JVMTI_EVENT_COMPILED_METHOD_LOAD);
  }
  jclass thread_class = env->FindClass("java/lang/Thread");
  jmethodID init = thread_class ? env->GetMethodID(thread_class, "<init>",
                                                   "(Ljava/lang/String;)V")
                                : nullptr;
  jstring name = env->NewStringUTF("jleak-agent");
  jobject thread =
      init && name ? env->NewObject(thread_class, init, name) : nullptr;
  if (thread == nullptr ||
      jvmti->RunAgentThread(thread, AgentThread, nullptr,
                            JVMTI_THREAD_NORM_PRIORITY) != JVMTI_ERROR_NONE) {
    env->ExceptionClear();
    s.inconclusive = "could not start the agent thread";
    if (s.options.standby) {
      Say("could not start the agent thread; `jleak attach` will not be "
          "answered");
      return;
    }
    Say("could not start the agent thread; only a final snapshot will be "
        "taken");
    WriteAgentReport(s, *s.snapshotter, false);
  }
}

void JNICALL OnVmInit(jvmtiEnv* jvmti, JNIEnv* env, jthread) {
  StartLive(*g_state, jvmti, env);
}

void JNICALL OnVmDeath(jvmtiEnv*, JNIEnv* env) {
  AgentState& s = *g_state;
  std::shared_ptr<Snapshotter> snap;
  {
    std::lock_guard<std::mutex> lock(s.mu);
    s.stop = true;
    // A standby agent has something to finish only inside a session.
    if (!s.options.standby || s.session_active) snap = s.snapshotter;
  }
  s.cv.notify_all();
  if (snap != nullptr) {
    LiveJvmHooks jvm(s, env, /*at_vm_death=*/true);
    snap->Take("final", jvm.Probe());
    s.perf_map.Flush();
    jvm.AfterSnapshot(*snap);
  }
  if (absl::Status st = FinishJvmOrigins(s.options.out_dir); !st.ok()) {
    Say(absl::StrCat("origins: ", st.message()));
  }
  // The JVM's threads go away from here on; stacks stay native-only.
  if (s.java_stacks != nullptr) s.java_stacks->Stop();
  if (snap != nullptr) WriteAgentReport(s, *snap, true);
}

// AsyncGetCallTrace requires ClassLoad events to be on (it reports "no
// class load" otherwise); nothing needs doing in them.
void JNICALL OnClassLoad(jvmtiEnv*, JNIEnv*, jthread, jclass) {}

// Creates the jmethodIDs that AsyncGetCallTrace reports frames by, and
// records where the class came from (once StartJavaClasses has run).
void JNICALL OnClassPrepare(jvmtiEnv* jvmti, JNIEnv* env, jthread,
                            jclass klass) {
  JavaStacks::LoadMethodIds(jvmti, klass);
  AgentState* s = g_state;
  if (ClassSourceRecorder* r =
          s ? s->class_sources.load(std::memory_order_acquire) : nullptr) {
    r->RecordClass(env, klass);
  }
}

void JNICALL OnCompiledMethodLoad(jvmtiEnv* jvmti, jmethodID method,
                                  jint code_size, const void* code_addr, jint,
                                  const jvmtiAddrLocationMap*, const void*) {
  char* name = nullptr;
  char* signature = nullptr;
  char* class_signature = nullptr;
  jclass klass = nullptr;
  if (jvmti->GetMethodName(method, &name, &signature, nullptr) !=
      JVMTI_ERROR_NONE) {
    return;
  }
  std::string full;
  if (jvmti->GetMethodDeclaringClass(method, &klass) == JVMTI_ERROR_NONE &&
      jvmti->GetClassSignature(klass, &class_signature, nullptr) ==
          JVMTI_ERROR_NONE) {
    full = JavaClassName(class_signature) + ".";
  }
  full += absl::StrCat(name, signature ? signature : "");
  g_state->perf_map.Add(reinterpret_cast<uintptr_t>(code_addr), code_size,
                        full);
  for (char* p : {name, signature, class_signature}) {
    if (p) jvmti->Deallocate(reinterpret_cast<unsigned char*>(p));
  }
}

void JNICALL OnDynamicCodeGenerated(jvmtiEnv*, const char* name,
                                    const void* address, jint length) {
  g_state->perf_map.Add(reinterpret_cast<uintptr_t>(address), length,
                        name ? name : "stub");
}

// SetUpJvmti adds the capabilities and callbacks and enables the events
// the agent needs, in the OnLoad phase or (loaded at attach) the live one,
// all through s.registration so that a failure can take them back. Returns
// false, with nothing left registered, when JVMTI is not there or refuses
// the callbacks or events.
bool SetUpJvmti(AgentState& s, JavaVM* vm) {
  jvmtiEnv* jvmti = nullptr;
  if (vm->GetEnv(reinterpret_cast<void**>(&jvmti), JVMTI_VERSION_1_2) !=
      JNI_OK) {
    return false;
  }
  s.vm = vm;
  s.jvmti = jvmti;
  s.registration = std::make_unique<JvmtiRegistration>(jvmti);
  JvmtiRegistration& reg = *s.registration;
  if (s.options.java_stacks) {
    jvmtiCapabilities java_caps = JavaStacks::Capabilities();
    if (s.engine == nullptr) {
      s.java_stacks_off = "no capture engine";
    } else if (!reg.AddCapabilities(java_caps)) {
      s.java_stacks_off = "JVMTI refused line numbers and source file names";
      Say(absl::StrCat("no Java frames in heap profiles: ", s.java_stacks_off));
    }
  }
  // Run mode writes its perf map from the start; standby opens one per
  // session (SetJitEvents).
  if (s.options.perf_map && !s.options.standby) {
    std::string path =
        absl::StrCat(s.options.out_dir, "/perf-", getpid(), ".map");
    if (absl::Status st = s.perf_map.Open(path); !st.ok()) {
      Say(std::string(st.message()));
      s.options.perf_map = false;
    }
  }
  jvmtiCapabilities caps = {};
  caps.can_generate_compiled_method_load_events = 1;
  if (s.options.perf_map && !reg.AddCapabilities(caps)) {
    Say("cannot observe JIT code; JIT frames will stay unnamed");
    s.options.perf_map = false;
  }
  jvmtiEventCallbacks callbacks = {};
  callbacks.VMInit = OnVmInit;
  callbacks.VMDeath = OnVmDeath;
  callbacks.CompiledMethodLoad = OnCompiledMethodLoad;
  callbacks.DynamicCodeGenerated = OnDynamicCodeGenerated;
  callbacks.ClassLoad = OnClassLoad;
  callbacks.ClassPrepare = OnClassPrepare;
  std::vector<jvmtiEvent> events;
  if (!s.loaded_at_attach) events.push_back(JVMTI_EVENT_VM_INIT);
  events.push_back(JVMTI_EVENT_VM_DEATH);
  if (s.options.perf_map && !s.options.standby) {
    events.push_back(JVMTI_EVENT_COMPILED_METHOD_LOAD);
    events.push_back(JVMTI_EVENT_DYNAMIC_CODE_GENERATED);
  }
  if (s.options.java_stacks && s.java_stacks_off.empty()) {
    events.push_back(JVMTI_EVENT_CLASS_LOAD);
    events.push_back(JVMTI_EVENT_CLASS_PREPARE);
  }
  if (!RegisterEvents(reg, callbacks, events)) {
    // Undone: the callbacks would otherwise run with no agent state (and,
    // after a failed attach, in an unloaded library).
    s.jvmti = nullptr;
    s.perf_map.Close();
    return false;
  }
  // At start-up, before the JVM runs Java code: its samples until VMInit
  // are marked (java_stacks.h). Install at VMInit says what went wrong, if
  // anything.
  if (!s.loaded_at_attach && s.sampling == nullptr && s.options.java_stacks &&
      s.java_stacks_off.empty()) {
    JavaStacks::InstallEarly(vm, jvmti).IgnoreError();
  }
  return true;
}

// ActivateRunSampling: `jleak run --engine sampling` installs the sampling
// engine at Agent_OnLoad, native frames only until VMInit hands it the
// Java-stack walker (StartJavaStacks). A failure makes the run
// inconclusive (no profiles), as a missing jemalloc does.
void ActivateRunSampling(AgentState& s) {
  absl::Status st = s.engine->Reset(s.options.lg_sample);
  if (st.ok()) st = s.engine->Activate();
  if (!st.ok()) {
    s.inconclusive =
        absl::StrCat("the sampling engine did not install: ", st.message());
    Say(absl::StrCat(s.inconclusive, "; the run is inconclusive"));
    s.engine.reset();
    s.sampling = nullptr;
  }
}

jint StartJvmAgent(JavaVM* vm, char* options) {
  std::unique_ptr<AgentState> s = Setup(options, "jvm");
  // JNI_OK even when not profiling: a broken harness must not stop the
  // workload; the launcher sees the missing or inconclusive agent.json.
  if (s == nullptr) return JNI_OK;
  if (s->options.sampling_engine) ActivateRunSampling(*s);
  if (!SetUpJvmti(*s, vm)) {
    Say("JVMTI 1.2 is not available or refused the agent's events; not "
        "profiling");
    return JNI_OK;
  }
  AgentState* raw = s.get();
  if (!raw->options.standby) {
    raw->snapshotter = std::make_shared<Snapshotter>(
        raw->options, raw->engine.get(), [raw] { raw->perf_map.Flush(); });
  }
  // Never freed: JVMTI callbacks may run until the process is gone.
  g_state = s.release();
  if (raw->snapshotter != nullptr)
    WriteAgentReport(*raw, *raw->snapshotter, false);
  return JNI_OK;
}

// StartAttachedAgent: a standby agent loaded into a running JVM, with
// jemalloc's engine if the JVM has jleak's profiling jemalloc, else with
// the sampling engine (installed by each session only). It refuses (and
// HotSpot unloads it) bad options and a JVM without JVMTI.
jint StartAttachedAgent(JavaVM* vm, char* options) {
  absl::StatusOr<AgentOptions> parsed =
      ParseAgentOptions(options ? options : "");
  if (!parsed.ok() || !parsed->standby) {
    Say("loaded into a running JVM, the agent needs the option standby");
    return kAttachBadOptions;
  }
  std::unique_ptr<AgentState> s = Setup(options, "jvm");
  if (s == nullptr || s->engine == nullptr) return kAttachBadOptions;
  s->loaded_at_attach = true;
  if (!SetUpJvmti(*s, vm)) {
    Say("not loaded: JVMTI 1.2 is not available or refused the agent's "
        "events");
    return kAttachNoJvmti;
  }
  JNIEnv* env = nullptr;
  if (vm->GetEnv(reinterpret_cast<void**>(&env), JNI_VERSION_1_6) != JNI_OK) {
    // HotSpot unloads the library on a non-zero return: nothing of it may
    // stay registered.
    s->registration->Undo();
    Say("not loaded: no JNI environment");
    return kAttachNoJvmti;
  }
  // Never freed, as above; from here on the library stays loaded.
  g_state = s.release();
  StartLive(*g_state, g_state->jvmti, env);
  return JNI_OK;
}

}  // namespace
}  // namespace jleak::agent

extern "C" {

JNIEXPORT jint JNICALL Agent_OnLoad(JavaVM* vm, char* options, void*) {
  if (jleak::agent::g_state != nullptr) {
    jleak::agent::Say("loaded twice; the second copy does nothing");
    return JNI_OK;
  }
  return jleak::agent::StartJvmAgent(vm, options);
}

// Agent_OnAttach: `jleak attach` (or `jcmd PID JVMTI.agent_load
// libjleak_agent.so standby`) on a JVM started without the agent: with
// jleak's profiling jemalloc (prof:true) or, the usual case, without.
JNIEXPORT jint JNICALL Agent_OnAttach(JavaVM* vm, char* options, void*) {
  if (jleak::agent::g_state != nullptr) {
    // Already here (loaded at start, or by an earlier attach): it is the
    // one that answers the control directory.
    return JNI_OK;
  }
  return jleak::agent::StartAttachedAgent(vm, options);
}

}  // extern "C"
