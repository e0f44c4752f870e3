// File: agent.cc
//
// libjleak_agent.so: the in-process half of `jleak run`.
//
//   JVM:     java -agentpath:libjleak_agent.so=out=DIR,interval=5 ...
//            (with the profiling libjemalloc.so.2 in LD_PRELOAD)
//   native:  JLEAK_AGENT_OPTIONS=out=DIR,interval=5
//            LD_PRELOAD=libjemalloc.so.2:libjleak_agent.so ./program
//
// One thread takes a snapshot (snapshotter.h) at start, every `interval`
// seconds, when `DIR/final.request` appears (the launcher's graceful stop),
// and at VM death / exit. In a JVM each snapshot follows a forced full GC
// and a bounded wait for reference processing, and JIT code is written to
// DIR/perf-<pid>.map. With java_stacks=1 (the default) the heap profiles'
// stacks also carry the Java frames of each sampled allocation, named in
// DIR/java-frames.map (java_stacks.h). DIR/agent.json says what the agent
// found (JVM and jemalloc versions, whether profiling works, how many
// sampled allocations got Java frames).
//
// Standby (JVM only; what `jleak env` sets up in production):
//
//   JAVA_TOOL_OPTIONS=-agentpath:libjleak_agent.so=standby
//   MALLOC_CONF=prof:true,prof_active:false  LD_PRELOAD=libjemalloc.so.2
//
// the agent takes no snapshots and writes nothing. It installs the Java-stack
// hook (only sampled allocations call it, and none are sampled while
// jemalloc's prof.active is off) and looks every kStandbyPollMs for a
// request of `jleak attach` / `jleak snapshot` in its control directory
// (control_protocol.h): a session (sampling on, a snapshot every interval
// until jleak says stop or goes away, sampling off), one snapshot, or the
// end of a collection. Loaded into a running JVM through HotSpot's attach
// mechanism (Agent_OnAttach, `jleak attach` on a JVM started with jemalloc
// but without the agent), it does the same from then on; it cannot turn on
// jemalloc or its profiling, so it refuses to load without them.
//
// The agent must never take the JVM down: every failure is reported once on
// stderr and in agent.json ("status": "inconclusive"), and the run goes on.

#include <dlfcn.h>
#include <fcntl.h>
#include <jvmti.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "agent/agent_options.h"
#include "agent/control_protocol.h"
#include "agent/java_stacks.h"
#include "agent/jvmti_registration.h"
#include "agent/malloc_control.h"
#include "agent/nmt_summary.h"
#include "agent/perf_map_writer.h"
#include "agent/snapshotter.h"
#include "nlohmann/json.hpp"

namespace jleak::agent {
namespace {

constexpr char kFinalRequest[] = "final.request";
// The loop checks for the stop flag and the final request this often, so a
// graceful stop costs at most this much latency.
constexpr int kPollMs = 200;
// During a standby session, how often the agent checks that the jleak that
// asked for it still holds the control lock.
constexpr int kLeaseCheckMs = 1000;
// Agent_OnAttach's return codes (HotSpot prints them as "return code: N"
// to the attaching tool, and unloads the library when N is not 0).
constexpr int kAttachBadOptions = 5;
constexpr int kAttachNoJemalloc = 2;
constexpr int kAttachJemallocWithoutProf = 3;
constexpr int kAttachProfilingOff = 4;
constexpr int kAttachNoJvmti = 6;

struct AgentState {
  AgentOptions options;
  std::string mode;  // "jvm" or "native"
  std::unique_ptr<MallocControl> jemalloc;
  JemallocInfo jemalloc_info;
  std::string inconclusive;  // why the run cannot give a verdict, or empty
  PerfMapWriter perf_map;
  // The snapshotter of the run (run mode) or of the current standby
  // request; shared with the VMDeath callback, which may run meanwhile.
  std::shared_ptr<Snapshotter> snapshotter;
  nlohmann::ordered_json vm_info = nlohmann::ordered_json::object();

  std::mutex mu;
  std::condition_variable cv;
  bool stop = false;
  std::thread native_thread;

  // JVM mode.
  JavaVM* vm = nullptr;
  jvmtiEnv* jvmti = nullptr;
  // Java frames in heap profiles: the installed hook, or null with the
  // reason in java_stacks_off (empty while not yet decided).
  JavaStacks* java_stacks = nullptr;
  std::string java_stacks_off;
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
  ControlRequest request;           // the request being served
  bool loaded_at_attach = false;    // Agent_OnAttach, not Agent_OnLoad
  void* sampling_marker = nullptr;  // see StartSampling
  bool jit_events_on = false;
  // Everything set in jvmti, for taking it back if start-up fails.
  std::unique_ptr<JvmtiRegistration> registration;
};

AgentState* g_state = nullptr;

void Say(const std::string& message) {
  std::fprintf(stderr, "jleak agent: %s\n", message.c_str());
}

// JavaStacksReport is agent.json's "java_stacks": whether heap-profile
// stacks carry Java frames, and the hook's counts (see JavaStackStats).
nlohmann::ordered_json JavaStacksReport(const AgentState& s) {
  nlohmann::ordered_json j;
  j["enabled"] = s.java_stacks != nullptr;
  if (s.java_stacks == nullptr) {
    if (!s.options.java_stacks) {
      j["reason"] = "off (java_stacks=0)";
    } else if (s.mode != "jvm") {
      j["reason"] = "not a JVM";
    } else if (s.java_stacks_off.empty()) {
      j["reason"] = "not started yet (before VMInit)";
    } else {
      j["reason"] = s.java_stacks_off;
    }
    return j;
  }
  const JavaStackStats st = s.java_stacks->Stats();
  j["map"] = kJavaFramesMapName;
  j["sampled_allocations"] = st.calls;
  j["not_java_thread"] = st.not_java_thread;
  j["no_java_frames"] = st.no_java_frames;
  j["compiler_thread"] = st.compiler_thread;
  j["with_java_frames"] = st.with_java_frames;
  j["failed"] = st.failed;
  j["failures"] = st.failures;
  j["frames"] = st.frames;
  j["unknown_frames"] = st.unknown_frames;
  j["truncated"] = st.truncated;
  j["ids"] = st.ids;
  j["named"] = st.named;
  return j;
}

// WriteAgentReport (re)writes agent.json atomically into the output
// directory of `snap` (the run's, or the standby request's). A standby
// agent adds what it was asked ("request") and whether sampling is on;
// `refusal`, when not empty, is the answer to a request it will not serve.
void WriteAgentReport(AgentState& s, const Snapshotter& snap, bool finished,
                      const std::string& refusal = "") {
  nlohmann::ordered_json j;
  j["pid"] = getpid();
  j["mode"] = s.mode;
  if (!refusal.empty()) {
    j["status"] = "refused";
    j["reason"] = refusal;
  } else {
    j["status"] = s.inconclusive.empty() ? "ok" : "inconclusive";
    if (!s.inconclusive.empty()) j["reason"] = s.inconclusive;
  }
  j["options"] = FormatAgentOptions(snap.options());
  if (s.options.standby) {
    std::lock_guard<std::mutex> lock(s.mu);
    j["standby"] = {{"control", s.control_dir},
                    {"loaded", s.loaded_at_attach ? "attach" : "start"},
                    {"request",
                     {{"id", s.request.id},
                      {"action", ControlActionName(s.request.action)}}},
                    {"sampling", s.session_active || s.collecting},
                    {"collecting", s.collecting},
                    {"collecting_since_ns", s.collecting_since_ns}};
  }
  j["jemalloc"] = {{"version", s.jemalloc_info.version},
                   {"config_prof", s.jemalloc_info.config_prof},
                   {"opt_prof", s.jemalloc_info.opt_prof},
                   {"prof_active", s.jemalloc_info.prof_active},
                   {"lg_prof_sample", s.jemalloc_info.lg_prof_sample}};
  if (!s.vm_info.empty()) j["vm"] = s.vm_info;
  j["perf_map"] = s.options.perf_map && s.mode == "jvm"
                      ? absl::StrCat("perf-", getpid(), ".map")
                      : "";
  j["java_stacks"] = JavaStacksReport(s);
  j["snapshots_written"] = snap.snapshots_written();
  j["finished"] = finished;
  const std::string path = snap.options().out_dir + "/" + kAgentReportName;
  const std::string tmp = path + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "we");
  if (f == nullptr) {
    Say(absl::StrCat("cannot write ", tmp, ": ", std::strerror(errno)));
    return;
  }
  std::string text =
      j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  std::fwrite(text.data(), 1, text.size(), f);
  std::fclose(f);
  std::rename(tmp.c_str(), path.c_str());
}

// Claim makes this process the one profiled process of the run: LD_PRELOAD
// and JDK_JAVA_OPTIONS are inherited by children (a JVM starting a JVM, a
// script starting a program), and two agents writing snapshot-<seq>.heap
// into one directory would corrupt the run.
bool Claim(const std::string& dir) {
  const std::string path = dir + "/agent.pid";
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) {
      Say(absl::StrCat("pid ", getpid(),
                       " not profiled: another process of this run has the "
                       "agent (",
                       path, ")"));
    } else {
      Say(absl::StrCat("cannot use output directory ", dir, ": ",
                       std::strerror(errno),
                       "; not profiling (check the directory exists and is "
                       "writable)"));
    }
    return false;
  }
  std::string pid = absl::StrCat(getpid(), "\n");
  ssize_t ignored = write(fd, pid.data(), pid.size());
  (void)ignored;
  close(fd);
  return true;
}

// Setup parses options, claims the directory and finds jemalloc. Returns
// null when the agent should stay out of the way entirely.
std::unique_ptr<AgentState> Setup(const char* text, const std::string& mode) {
  absl::StatusOr<AgentOptions> options = ParseAgentOptions(text ? text : "");
  if (!options.ok()) {
    Say(absl::StrCat(options.status().message(), "; not profiling"));
    return nullptr;
  }
  if (options->standby && mode != "jvm") {
    Say("standby needs a JVM (-agentpath); not profiling");
    return nullptr;
  }
  // A standby agent has no run directory to claim: each JVM has its own
  // control directory, named by its pid.
  if (!options->standby && !Claim(options->out_dir)) return nullptr;
  auto s = std::make_unique<AgentState>();
  s->options = *options;
  s->mode = mode;
  s->control_dir = options->control_dir.empty() ? DefaultControlDir(getpid())
                                                : options->control_dir;
  absl::StatusOr<std::unique_ptr<MallocControl>> je =
      FindJemalloc(&s->jemalloc_info);
  if (je.ok()) {
    s->jemalloc = std::move(*je);
  } else {
    s->inconclusive = std::string(je.status().message());
    Say(absl::StrCat(s->inconclusive,
                     s->options.standby
                         ? "; `jleak attach` cannot profile this JVM"
                         : "; no heap profiles will be taken, the run is "
                           "inconclusive"));
  }
  return s;
}

// LeaseLost: in a standby session, whether the jleak that asked for it is
// gone (its flock on the control lock was dropped with it).
bool LeaseLost(const std::string& control_dir) {
  const std::string path = control_dir + "/" + kControlLockName;
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return true;
  bool lost = false;
  if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
    lost = true;
    flock(fd, LOCK_UN);
  }
  close(fd);
  return lost;
}

bool FinalRequested(const Snapshotter& snap) {
  struct stat st;
  return stat((snap.options().out_dir + "/" + kFinalRequest).c_str(), &st) == 0;
}

// WaitForNextSnapshot sleeps up to one interval. Returns what ended the
// wait: the interval, the launcher's (or jleak attach's) final request, the
// VM's end, or (standby) the attaching jleak's disappearance.
enum class Wake { kInterval, kFinal, kStop, kAbandoned };
Wake WaitForNextSnapshot(AgentState& s, const Snapshotter& snap) {
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + std::chrono::microseconds(static_cast<int64_t>(
                                    snap.options().interval_seconds * 1e6));
  auto next_lease_check = start + std::chrono::milliseconds(kLeaseCheckMs);
  std::unique_lock<std::mutex> lock(s.mu);
  while (!s.stop) {
    if (FinalRequested(snap)) return Wake::kFinal;
    auto now = std::chrono::steady_clock::now();
    if (s.options.standby && now >= next_lease_check) {
      if (LeaseLost(s.control_dir)) return Wake::kAbandoned;
      next_lease_check = now + std::chrono::milliseconds(kLeaseCheckMs);
    }
    if (now >= deadline) return Wake::kInterval;
    s.cv.wait_until(
        lock, std::min(deadline, now + std::chrono::milliseconds(kPollMs)));
  }
  return Wake::kStop;
}

// SnapshotLoop is the body of the agent thread in both modes, and of a
// standby session: snapshots into `snap`'s directory until the final one.
// `after_snapshot`, when set, runs after each snapshot (JVM mode: names the
// Java frames the snapshot's stacks use). Returns how it ended.
Wake SnapshotLoop(AgentState& s, Snapshotter& snap, VmProbe* vm,
                  const std::function<void()>& after_snapshot = nullptr) {
  if (snap.options().baseline) {
    snap.Take("baseline", vm);
    if (after_snapshot) after_snapshot();
  }
  WriteAgentReport(s, snap, false);
  for (;;) {
    const Wake wake = WaitForNextSnapshot(s, snap);
    switch (wake) {
      case Wake::kInterval:
        snap.Take("interval", vm);
        if (after_snapshot) {
          after_snapshot();
          WriteAgentReport(s, snap, false);  // fresh counts if the JVM dies
        }
        break;
      case Wake::kFinal:
        snap.Take("final", vm);
        if (after_snapshot) after_snapshot();
        WriteAgentReport(s, snap, true);
        return wake;
      case Wake::kStop:
      case Wake::kAbandoned:
        return wake;
    }
  }
}

// ---------------------------------------------------------------- JVM mode

// JvmProbe runs on a thread attached to the JVM (the agent thread or the
// VMDeath callback's thread).
class JvmProbe : public VmProbe {
 public:
  JvmProbe(AgentState& s, JNIEnv* env, bool at_vm_death = false)
      : s_(s), env_(env), at_vm_death_(at_vm_death) {}

  JavaStats CollectAfterGc(bool force_gc, int gc_wait_ms) override {
    JavaStats js;
    // Local references made here are freed when the frame pops; the agent
    // thread never returns to Java, so without this they would pile up.
    if (env_->PushLocalFrame(64) != 0) {
      env_->ExceptionClear();
      return js;
    }
    const int64_t start = MonotonicNanos();
    if (force_gc) {
      const int64_t deadline = start + int64_t{gc_wait_ms} * 1000000;
      // The first GC finds unreachable DirectByteBuffers; the Reference
      // Handler then runs their Cleaners (freeing the native memory).
      // Waiting for it, then a second GC, also catches objects freed by
      // finalizers and java.lang.ref.Cleaner actions of the first round.
      js.gc_forced = s_.jvmti->ForceGarbageCollection() == JVMTI_ERROR_NONE;
      WaitForReferenceProcessing(deadline);
      if (MonotonicNanos() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      if (MonotonicNanos() < deadline) {
        s_.jvmti->ForceGarbageCollection();
        WaitForReferenceProcessing(deadline);
      }
      js.gc_ms = (MonotonicNanos() - start) / 1e6;
    }
    js.heap_used_bytes = HeapUsed();
    DirectBuffers(&js);
    NativeMemory(&js);
    jint count = 0;
    jthread* threads = nullptr;
    if (s_.jvmti->GetAllThreads(&count, &threads) == JVMTI_ERROR_NONE) {
      js.java_threads = count;
      s_.jvmti->Deallocate(reinterpret_cast<unsigned char*>(threads));
    }
    env_->PopLocalFrame(nullptr);
    return js;
  }

 private:
  void Clear() {
    if (env_->ExceptionCheck()) env_->ExceptionClear();
  }

  // Reference.waitForReferenceProcessing() is what Bits.reserveMemory uses
  // to wait for Cleaners; JNI may call it although it is private. It
  // returns true while the Reference Handler still has work.
  void WaitForReferenceProcessing(int64_t deadline) {
    if (s_.wait_for_references == nullptr) return;
    while (MonotonicNanos() < deadline) {
      jboolean more = env_->CallStaticBooleanMethod(s_.reference_class,
                                                    s_.wait_for_references);
      if (env_->ExceptionCheck()) {
        env_->ExceptionClear();
        return;
      }
      if (!more) return;
    }
  }

  int64_t HeapUsed() {
    if (s_.get_runtime == nullptr) return -1;
    jobject rt = env_->CallStaticObjectMethod(s_.runtime_class, s_.get_runtime);
    if (rt == nullptr) {
      Clear();
      return -1;
    }
    jlong total = env_->CallLongMethod(rt, s_.total_memory);
    jlong free = env_->CallLongMethod(rt, s_.free_memory);
    Clear();
    return total - free;
  }

  // java.nio.Bits counts direct buffers (the same figures as the
  // BufferPoolMXBean "direct"), read without loading the management API.
  void DirectBuffers(JavaStats* js) {
    if (s_.bits_count == nullptr) return;
    jobject count = env_->GetStaticObjectField(s_.bits_class, s_.bits_count);
    jobject capacity =
        env_->GetStaticObjectField(s_.bits_class, s_.bits_capacity);
    Clear();
    if (count == nullptr || capacity == nullptr) return;
    js->direct_buffer_count = env_->CallLongMethod(count, s_.atomic_long_get);
    js->direct_buffer_bytes =
        env_->CallLongMethod(capacity, s_.atomic_long_get);
    Clear();
  }

  // The NMT summary, through the DiagnosticCommand MBean (what `jcmd PID
  // VM.native_memory summary` prints). Only with nmt=1: the first call
  // loads JMX, a few MB of heap and classes the workload did not ask for.
  // At VM death it is asked only if it answered before: loading JMX on the
  // exiting thread is not worth the risk.
  void NativeMemory(JavaStats* js) {
    if (!s_.options.nmt || s_.nmt_off) return;
    if (at_vm_death_ && !s_.nmt_answered) return;
    const std::string text = NativeMemorySummaryText();
    absl::StatusOr<std::map<std::string, int64_t>> nmt = ParseNmtSummary(text);
    if (nmt.ok()) {
      s_.nmt_answered = true;
      s_.nmt_failures = 0;
      js->nmt_committed = *std::move(nmt);
      return;
    }
    // Tracking off is final; anything else (an OutOfMemoryError while the
    // workload leaks) may pass, so give up after a few in a row.
    if (absl::IsFailedPrecondition(nmt.status()) || ++s_.nmt_failures >= 3) {
      s_.nmt_off = true;
      Say(absl::StrCat("no Native Memory Tracking figures: ",
                       text.empty() ? "the DiagnosticCommand MBean did not "
                                      "answer"
                                    : nmt.status().message()));
    }
  }

  // Every JNI call below is checked: with an exception pending, further
  // calls are undefined, and an OutOfMemoryError is likely in a leak test.
  std::string NativeMemorySummaryText() {
    JNIEnv* e = env_;
    auto failed = [e](const void* result) {
      if (e->ExceptionCheck()) {
        e->ExceptionClear();
        return true;
      }
      return result == nullptr;
    };
    jclass factory = e->FindClass("java/lang/management/ManagementFactory");
    if (failed(factory)) return "";
    jclass object_name = e->FindClass("javax/management/ObjectName");
    if (failed(object_name)) return "";
    jclass server_class = e->FindClass("javax/management/MBeanServer");
    if (failed(server_class)) return "";
    jclass string_class = e->FindClass("java/lang/String");
    if (failed(string_class)) return "";
    jclass object_class = e->FindClass("java/lang/Object");
    if (failed(object_class)) return "";
    jmethodID get_server = e->GetStaticMethodID(
        factory, "getPlatformMBeanServer", "()Ljavax/management/MBeanServer;");
    if (failed(get_server)) return "";
    jmethodID name_init =
        e->GetMethodID(object_name, "<init>", "(Ljava/lang/String;)V");
    if (failed(name_init)) return "";
    jmethodID invoke = e->GetMethodID(
        server_class, "invoke",
        "(Ljavax/management/ObjectName;Ljava/lang/String;[Ljava/lang/Object;"
        "[Ljava/lang/String;)Ljava/lang/Object;");
    if (failed(invoke)) return "";
    jobject server = e->CallStaticObjectMethod(factory, get_server);
    if (failed(server)) return "";
    jstring name_text =
        e->NewStringUTF("com.sun.management:type=DiagnosticCommand");
    if (failed(name_text)) return "";
    jobject name = e->NewObject(object_name, name_init, name_text);
    if (failed(name)) return "";
    jobjectArray args = e->NewObjectArray(2, string_class, nullptr);
    if (failed(args)) return "";
    for (jsize i = 0; i < 2; ++i) {
      jstring arg = e->NewStringUTF(i == 0 ? "summary" : "scale=KB");
      if (failed(arg)) return "";
      e->SetObjectArrayElement(args, i, arg);
      if (failed(args)) return "";
    }
    jobjectArray params = e->NewObjectArray(1, object_class, args);
    if (failed(params)) return "";
    jstring type = e->NewStringUTF("[Ljava.lang.String;");
    if (failed(type)) return "";
    jobjectArray signature = e->NewObjectArray(1, string_class, type);
    if (failed(signature)) return "";
    jstring operation = e->NewStringUTF("vmNativeMemory");
    if (failed(operation)) return "";
    jobject result =
        e->CallObjectMethod(server, invoke, name, operation, params, signature);
    if (failed(result) || !e->IsInstanceOf(result, string_class)) return "";
    const char* chars =
        e->GetStringUTFChars(static_cast<jstring>(result), nullptr);
    if (failed(chars)) return "";
    std::string text = chars;
    e->ReleaseStringUTFChars(static_cast<jstring>(result), chars);
    return text;
  }

  AgentState& s_;
  JNIEnv* env_;
  bool at_vm_death_;
};

jclass GlobalClass(JNIEnv* env, const char* name) {
  jclass local = env->FindClass(name);
  if (local == nullptr) {
    env->ExceptionClear();
    return nullptr;
  }
  auto global = static_cast<jclass>(env->NewGlobalRef(local));
  env->DeleteLocalRef(local);
  return global;
}

// LookUpJavaHooks finds the methods and fields JvmProbe calls; any that is
// missing (another JDK) only loses its figure.
void LookUpJavaHooks(AgentState& s, JNIEnv* env) {
  if ((s.reference_class = GlobalClass(env, "java/lang/ref/Reference"))) {
    s.wait_for_references = env->GetStaticMethodID(
        s.reference_class, "waitForReferenceProcessing", "()Z");
    env->ExceptionClear();
  }
  if ((s.runtime_class = GlobalClass(env, "java/lang/Runtime"))) {
    s.get_runtime = env->GetStaticMethodID(s.runtime_class, "getRuntime",
                                           "()Ljava/lang/Runtime;");
    s.total_memory = env->GetMethodID(s.runtime_class, "totalMemory", "()J");
    s.free_memory = env->GetMethodID(s.runtime_class, "freeMemory", "()J");
    env->ExceptionClear();
    if (!s.total_memory || !s.free_memory) s.get_runtime = nullptr;
  }
  jclass atomic = env->FindClass("java/util/concurrent/atomic/AtomicLong");
  if (atomic != nullptr) {
    s.atomic_long_get = env->GetMethodID(atomic, "get", "()J");
  }
  env->ExceptionClear();
  if (s.atomic_long_get && (s.bits_class = GlobalClass(env, "java/nio/Bits"))) {
    const char* sig = "Ljava/util/concurrent/atomic/AtomicLong;";
    s.bits_count = env->GetStaticFieldID(s.bits_class, "COUNT", sig);
    s.bits_capacity =
        env->GetStaticFieldID(s.bits_class, "TOTAL_CAPACITY", sig);
    env->ExceptionClear();
    if (!s.bits_capacity) s.bits_count = nullptr;
  }
}

std::string SystemProperty(jvmtiEnv* jvmti, const char* name) {
  char* value = nullptr;
  std::string out;
  if (jvmti->GetSystemProperty(name, &value) == JVMTI_ERROR_NONE && value) {
    out = value;
    jvmti->Deallocate(reinterpret_cast<unsigned char*>(value));
  }
  return out;
}

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

// WriteJavaFramesMap names the Java frames seen so far into
// DIR/java-frames.map. After each snapshot, so the map covers every id in
// the snapshot just written.
void WriteJavaFramesMap(AgentState& s, Snapshotter& snap, JNIEnv* env) {
  if (s.java_stacks == nullptr) return;
  absl::Status st = s.java_stacks->WriteMap(
      env, absl::StrCat(snap.options().out_dir, "/", kJavaFramesMapName));
  if (!st.ok()) {
    snap.Warn(absl::StrCat("Java frame names: ", st.message()));
  }
}

// StartJavaStacks installs the Java-stack hook at VMInit: AsyncGetCallTrace
// needs the live phase, and the jmethodIDs of the classes loaded so far.
void StartJavaStacks(AgentState& s, jvmtiEnv* jvmti, JNIEnv* env) {
  if (!s.java_stacks_off.empty() || !s.options.java_stacks) return;
  JavaStacks::LoadAllMethodIds(jvmti, env);
  absl::StatusOr<JavaStacks*> stacks = JavaStacks::Install(s.vm, jvmti);
  if (!stacks.ok()) {
    s.java_stacks_off = std::string(stacks.status().message());
    Say(absl::StrCat("no Java frames in heap profiles: ", s.java_stacks_off));
    return;
  }
  s.java_stacks = *stacks;
}

// ------------------------------------------------------------ standby mode

// SetJitEvents turns the perf map's JIT events on (writing `perf-<pid>.map`
// into `dir`, with every method compiled so far) or off. A standby agent
// has them on only while jleak collects: between sessions nothing is
// written anywhere.
void SetJitEvents(AgentState& s, bool on, const std::string& dir = "") {
  if (!s.options.perf_map || s.jit_events_on == on) return;
  if (on) {
    absl::Status st =
        s.perf_map.Open(absl::StrCat(dir, "/perf-", getpid(), ".map"));
    if (!st.ok()) {
      Say(std::string(st.message()));
      return;
    }
  }
  const jvmtiEventMode mode = on ? JVMTI_ENABLE : JVMTI_DISABLE;
  s.jvmti->SetEventNotificationMode(mode, JVMTI_EVENT_COMPILED_METHOD_LOAD,
                                    nullptr);
  s.jvmti->SetEventNotificationMode(mode, JVMTI_EVENT_DYNAMIC_CODE_GENERATED,
                                    nullptr);
  if (on) {
    // Code compiled before the events were enabled.
    s.jvmti->GenerateEvents(JVMTI_EVENT_DYNAMIC_CODE_GENERATED);
    s.jvmti->GenerateEvents(JVMTI_EVENT_COMPILED_METHOD_LOAD);
  } else {
    s.perf_map.Close();
  }
  s.jit_events_on = on;
}

// ControlDirTrusted: a request is obeyed only from a directory that is not
// a symlink, is owned by this process's user (or root) and that nobody
// else may write to, in a parent that is no symlink either, owned by this
// user or root, and not writable by others unless sticky (/tmp): /tmp is
// shared, and a request names where to write (CheckControlDirTrusted).
bool ControlDirTrusted(const std::string& dir) {
  absl::Status st = CheckControlDirTrusted(dir, geteuid());
  if (st.ok()) return true;
  static bool warned = false;
  if (!absl::IsNotFound(st) && !warned) {  // not found: no jleak yet
    warned = true;
    Say(absl::StrCat("ignoring control directory ", dir, ": ", st.message()));
  }
  return false;
}

// TakeRequest returns the pending request, if any, and removes its file.
std::optional<ControlRequest> TakeRequest(AgentState& s) {
  const std::string path = s.control_dir + "/" + kControlRequestName;
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return std::nullopt;  // the usual case
  if (!ControlDirTrusted(s.control_dir)) return std::nullopt;
  std::string text;
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd >= 0) {
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0) text.assign(buf, n);
    close(fd);
  }
  unlink(path.c_str());
  absl::StatusOr<ControlRequest> request = ParseControlRequest(text);
  if (!request.ok()) {
    Say(absl::StrCat("ignoring a bad request in ", path, ": ",
                     request.status().message()));
    return std::nullopt;
  }
  return *request;
}

// NewSnapshotter makes the snapshotter of one request: the agent's options
// with the request's directory, interval and GC setting.
std::shared_ptr<Snapshotter> NewSnapshotter(AgentState& s,
                                            const ControlRequest& r,
                                            bool baseline) {
  AgentOptions o = s.options;
  o.standby = false;
  o.control_dir.clear();
  o.out_dir = r.out_dir;
  o.interval_seconds = r.interval_seconds;
  o.force_gc = r.force_gc;
  o.baseline = baseline;
  AgentState* raw = &s;
  return std::make_shared<Snapshotter>(o, s.jemalloc.get(),
                                       [raw] { raw->perf_map.Flush(); });
}

// StopSampling: sampling off, the marker below freed.
void StopSampling(AgentState& s) {
  if (absl::Status st = s.jemalloc->SetActive(false); !st.ok()) {
    Say(absl::StrCat("could not turn sampling off: ", st.message()));
  }
  std::free(s.sampling_marker);
  s.sampling_marker = nullptr;
}

// StartSampling: an empty profile sampled every 2^lg_sample bytes from now.
// One allocation of 16 sampling periods is made and held until
// StopSampling: it is sampled but for a chance of e^-16, so the profiles of
// a JVM that keeps nothing it allocates during the session (a healthy
// service) still hold a sample, and read as "nothing grew" rather than as
// "profiling was off". Its pages are never touched: address space only.
// On failure sampling is left off, and the error says so.
absl::Status StartSampling(AgentState& s, int lg_sample) {
  absl::Status st = s.jemalloc->ResetProfile(lg_sample);
  if (st.ok()) st = s.jemalloc->SetActive(true);
  if (!st.ok()) {
    StopSampling(s);
    return absl::Status(st.code(),
                        absl::StrCat("cannot start sampling: ", st.message()));
  }
  if (s.sampling_marker == nullptr) {
    s.sampling_marker = std::malloc(size_t{1} << std::min(lg_sample + 4, 26));
  }
  return absl::OkStatus();
}

// ServeSession: `jleak attach`. Sampling is on only inside this function.
void ServeSession(AgentState& s, JNIEnv* env, const ControlRequest& r) {
  std::shared_ptr<Snapshotter> snap = NewSnapshotter(s, r, /*baseline=*/true);
  if (s.jemalloc == nullptr) {
    WriteAgentReport(s, *snap, true);  // status inconclusive, with the reason
    return;
  }
  bool collecting;
  {
    std::lock_guard<std::mutex> lock(s.mu);
    collecting = s.collecting;
  }
  if (collecting) {
    WriteAgentReport(
        s, *snap, true,
        "sampling was left on by `jleak snapshot` (a collection is under "
        "way); end it first with `jleak snapshot --stop`");
    return;
  }
  if (absl::Status st = StartSampling(s, r.lg_sample); !st.ok()) {
    WriteAgentReport(s, *snap, true, std::string(st.message()));
    return;
  }
  {
    std::lock_guard<std::mutex> lock(s.mu);
    s.session_active = true;
    s.snapshotter = snap;
  }
  SetJitEvents(s, true, r.out_dir);
  JvmProbe probe(s, env);
  const Wake wake = SnapshotLoop(
      s, *snap, &probe, [&s, snap, env] { WriteJavaFramesMap(s, *snap, env); });
  StopSampling(s);
  SetJitEvents(s, false);
  {
    std::lock_guard<std::mutex> lock(s.mu);
    s.session_active = false;
  }
  if (wake == Wake::kAbandoned) {
    Say("the jleak that attached went away; sampling is off again");
  }
  WriteAgentReport(s, *snap, true);
}

// ServeSnapshot: `jleak snapshot` (one snapshot, sampling left on) and
// `jleak snapshot --stop` (a final one, sampling off).
void ServeSnapshot(AgentState& s, JNIEnv* env, const ControlRequest& r) {
  std::shared_ptr<Snapshotter> snap = NewSnapshotter(s, r, /*baseline=*/false);
  if (s.jemalloc == nullptr) {
    WriteAgentReport(s, *snap, true);
    return;
  }
  bool collecting;
  {
    std::lock_guard<std::mutex> lock(s.mu);
    collecting = s.collecting;
  }
  std::string kind = "interval";
  if (r.action == ControlAction::kStop) {
    if (!collecting) {
      WriteAgentReport(s, *snap, true,
                       "sampling is not on: there is no collection to stop");
      return;
    }
    kind = "final";
  } else if (!collecting) {
    if (absl::Status st = StartSampling(s, r.lg_sample); !st.ok()) {
      WriteAgentReport(s, *snap, true, std::string(st.message()));
      return;
    }
    std::lock_guard<std::mutex> lock(s.mu);
    s.collecting = true;
    s.collecting_since_ns = WallNanos();
    kind = "baseline";
  }
  SetJitEvents(s, true, r.out_dir);
  JvmProbe probe(s, env);
  snap->Take(kind, &probe);
  WriteJavaFramesMap(s, *snap, env);
  SetJitEvents(s, false);
  if (r.action == ControlAction::kStop) {
    StopSampling(s);
    std::lock_guard<std::mutex> lock(s.mu);
    s.collecting = false;
  }
  WriteAgentReport(s, *snap, true);
}

// ControlLoop is the standby agent thread: wait for requests, serve them.
void ControlLoop(AgentState& s, JNIEnv* env) {
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(s.mu);
      s.cv.wait_for(lock, std::chrono::milliseconds(kStandbyPollMs),
                    [&s] { return s.stop; });
      if (s.stop) return;
    }
    std::optional<ControlRequest> r = TakeRequest(s);
    if (!r) continue;
    {
      std::lock_guard<std::mutex> lock(s.mu);
      s.request = *r;
    }
    if (r->action == ControlAction::kSession) {
      ServeSession(s, env, *r);
    } else {
      ServeSnapshot(s, env, *r);
    }
  }
}

// ------------------------------------------------------------ JVM glue

void JNICALL AgentThread(jvmtiEnv*, JNIEnv* env, void*) {
  AgentState& s = *g_state;
  if (s.options.standby) {
    ControlLoop(s, env);
    return;
  }
  std::shared_ptr<Snapshotter> snap = s.snapshotter;
  JvmProbe probe(s, env);
  SnapshotLoop(s, *snap, &probe,
               [&s, snap, env] { WriteJavaFramesMap(s, *snap, env); });
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
  StartJavaStacks(s, jvmti, env);
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
    JvmProbe probe(s, env, /*at_vm_death=*/true);
    snap->Take("final", &probe);
    s.perf_map.Flush();
    WriteJavaFramesMap(s, *snap, env);
  }
  // The JVM's threads go away from here on; stacks stay native-only.
  if (s.java_stacks != nullptr) s.java_stacks->Stop();
  if (snap != nullptr) WriteAgentReport(s, *snap, true);
}

// AsyncGetCallTrace requires ClassLoad events to be on (it reports "no
// class load" otherwise); nothing needs doing in them.
void JNICALL OnClassLoad(jvmtiEnv*, JNIEnv*, jthread, jclass) {}

// Creates the jmethodIDs that AsyncGetCallTrace reports frames by.
void JNICALL OnClassPrepare(jvmtiEnv* jvmti, JNIEnv*, jthread, jclass klass) {
  JavaStacks::LoadMethodIds(jvmti, klass);
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
    if (s.jemalloc == nullptr) {
      s.java_stacks_off = "no profiling jemalloc";
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
  return true;
}

jint StartJvmAgent(JavaVM* vm, char* options) {
  std::unique_ptr<AgentState> s = Setup(options, "jvm");
  // JNI_OK even when not profiling: a broken harness must not stop the
  // workload; the launcher sees the missing or inconclusive agent.json.
  if (s == nullptr) return JNI_OK;
  if (!SetUpJvmti(*s, vm)) {
    Say("JVMTI 1.2 is not available or refused the agent's events; not "
        "profiling");
    return JNI_OK;
  }
  AgentState* raw = s.get();
  if (!raw->options.standby) {
    raw->snapshotter = std::make_shared<Snapshotter>(
        raw->options, raw->jemalloc.get(), [raw] { raw->perf_map.Flush(); });
  }
  // Never freed: JVMTI callbacks may run until the process is gone.
  g_state = s.release();
  if (raw->snapshotter != nullptr)
    WriteAgentReport(*raw, *raw->snapshotter, false);
  return JNI_OK;
}

// AttachCode: why a JVM's jemalloc cannot be profiled, as Agent_OnAttach's
// return code (the attaching `jleak attach` turns it into a sentence).
int AttachCode(const JemallocInfo& info) {
  if (info.version.empty() && !info.config_prof) return kAttachNoJemalloc;
  if (!info.config_prof) return kAttachJemallocWithoutProf;
  return kAttachProfilingOff;
}

// StartAttachedAgent: a standby agent loaded into a running JVM. It refuses
// (and HotSpot unloads it) when there is nothing to activate.
jint StartAttachedAgent(JavaVM* vm, char* options) {
  absl::StatusOr<AgentOptions> parsed =
      ParseAgentOptions(options ? options : "");
  if (!parsed.ok() || !parsed->standby) {
    Say("loaded into a running JVM, the agent needs the option standby");
    return kAttachBadOptions;
  }
  JemallocInfo info;
  if (absl::StatusOr<std::unique_ptr<MallocControl>> je = FindJemalloc(&info);
      !je.ok()) {
    Say(absl::StrCat("not loaded: ", je.status().message()));
    return AttachCode(info);
  }
  std::unique_ptr<AgentState> s = Setup(options, "jvm");
  if (s == nullptr || s->jemalloc == nullptr) return kAttachBadOptions;
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

// ------------------------------------------------------------- native mode

void NativeAtExit() {
  AgentState& s = *g_state;
  {
    std::lock_guard<std::mutex> lock(s.mu);
    s.stop = true;
  }
  s.cv.notify_all();
  if (s.native_thread.joinable()) s.native_thread.join();
  s.snapshotter->Take("final", nullptr);
  WriteAgentReport(s, *s.snapshotter, true);
}

// Runs when the library is loaded. Only acts in native mode: the launcher
// sets JLEAK_AGENT_OPTIONS for non-JVM commands, while JVMs get their
// options through -agentpath and Agent_OnLoad.
__attribute__((constructor)) void StartNativeAgent() {
  const char* options = std::getenv("JLEAK_AGENT_OPTIONS");
  if (options == nullptr || *options == '\0' || g_state != nullptr) return;
  std::unique_ptr<AgentState> s = Setup(options, "native");
  if (s == nullptr) return;
  AgentState* raw = s.get();
  raw->snapshotter =
      std::make_shared<Snapshotter>(raw->options, raw->jemalloc.get(), nullptr);
  g_state = s.release();
  WriteAgentReport(*raw, *raw->snapshotter, false);
  raw->native_thread =
      std::thread([raw] { SnapshotLoop(*raw, *raw->snapshotter, nullptr); });
  std::atexit(NativeAtExit);
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
// libjleak_agent.so standby`) on a JVM started with the profiling jemalloc
// (prof:true) but without the agent.
JNIEXPORT jint JNICALL Agent_OnAttach(JavaVM* vm, char* options, void*) {
  if (jleak::agent::g_state != nullptr) {
    // Already here (loaded at start, or by an earlier attach): it is the
    // one that answers the control directory.
    return JNI_OK;
  }
  return jleak::agent::StartAttachedAgent(vm, options);
}

}  // extern "C"
