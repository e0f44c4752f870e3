// File: java_stacks.h
//
// Java frames in jemalloc heap profiles. Without this, the stacks jemalloc
// records at sampled allocations are native only: libunwind walks through
// interpreter and JIT frames, but they have no Java names (the perf map
// names only JIT-compiled methods, and only by method). Here the agent
// replaces jemalloc's backtrace hook (`experimental.hooks.prof_backtrace`)
// with one that calls the previous hook (libunwind) for the native frames,
// then HotSpot's AsyncGetCallTrace for the Java frames of the allocating
// thread, and appends those as synthetic addresses that a map file beside
// the snapshots names.
//
// ---------------------------------------------------------------- layout
// One `@ a0 a1 ... a(n-1)` stack line of a .heap file is
//
//   [native frames][Java frames]
//
// - Native frames: exactly what jemalloc's previous hook (unw_backtrace)
//   returned, innermost first (prof_backtrace_impl, je_prof_backtrace, ...,
//   malloc, the allocating native function, ..., interpreter/JIT/libjvm
//   frames, ..., start_thread), minus the one frame of the agent's own hook,
//   which is removed so native stacks read as before. When the two parts
//   together would exceed jemalloc's 128 (PROF_BT_MAX) entries, the native
//   part loses its outermost frames (those below the first Java frame are
//   the ones the Java part describes better); it keeps at least
//   kMinNativeFrames.
// - Java frames: every address a with IsJavaFrameAddress(a), innermost
//   (the method that called into native code) first, outermost (e.g.
//   `main` or `Thread.run`) last; at most kMaxJavaFrames, the outermost
//   dropped beyond that. They are always a suffix: no native frame follows
//   a Java frame. A stack has none when the allocating thread is not a Java
//   thread (GC, plain pthreads), is a JIT compiler thread, has no Java
//   frames (0, or a refusal on a thread whose native stack passed through
//   no interpreter or JIT code: the main thread inside JNI_CreateJavaVM,
//   the agent's own thread), and after VM death. When AsyncGetCallTrace
//   refuses to walk a thread that runs Java code (its codes < 0: during a
//   GC; a call into the VM whose frame anchor HotSpot left unwalkable, e.g.
//   the interpreter's runtime calls that resolve and load classes; a
//   thread exiting), the Java part is one placeholder frame,
//   UnavailableJavaFrameId(code), named "[Java frames unavailable:
//   <reason>]": the stack says that its Java callers are unknown, rather
//   than end in anonymous interpreter or JIT frames. Likewise a thread
//   running Java code before VMInit, when AsyncGetCallTrace cannot be used
//   yet, gets the start-up placeholder (InstallEarly). agent.json's
//   "java_stacks" counts each case and each code.
//
// A reader therefore splits each stack at its first synthetic address and
// shows "native frames down to the first JVM/interpreter/JIT frame, then
// the Java frames innermost first".
//
// Synthetic address of frame id `i` (0 <= i <= kJavaFrameMaxId; the ids
// above the table's are the placeholders):
//
//   JavaFrameAddress(i) = 0xffffa00000000000 + 2*i + 1
//
// Kernel-half addresses never occur as user-space code, so no real frame
// can collide. The address is odd and 2 apart from its neighbours so that a
// reader that looks up `pc - 1` for caller frames (as return addresses
// need; named_profile.cc does) and one that looks up `pc` both land on the
// same id. Id 0 (kUnknownJavaFrameId) is "a Java frame that could not be
// recorded" (no jmethodID yet, or the id table was full).
//
// ---------------------------------------------------------------- map file
// kJavaFramesMapName ("java-frames.map") beside the snapshots, in the perf
// map format (profile/perf_map.h reads it), one line per id:
//
//   <hex JavaFrameAddress(i) - 1> 2 <name>
//   e.g. ffffa00000000052 2 jleak.leakers.JniMalloc.leak(JniMalloc.java:42)
//
// so each entry covers exactly [address - 1, address + 1). Names are
// `package.Class.method(File.java:LINE)` like Java stack traces;
// `(File.java)` when the class has no line table, `(Unknown Source)`
// without a source file name, `(Native Method)` for native methods. Several
// ids may share a name (one id per bytecode index, several per line). The
// file is rewritten whole and atomically (tmp + rename) after every
// snapshot and at VM death, and names never change once written: a method
// whose class is unloaded keeps the name it was given at the first
// snapshot after it was first seen; one unloaded before that is named
// kUnloadedMethodName. Id 0 always has a line. Known limit: HotSpot reuses
// the jmethodID slots of unloaded classes, so after class unloading a new
// method may share an id (and the old name) with an unloaded one.

#ifndef JLEAK_AGENT_JAVA_STACKS_H_
#define JLEAK_AGENT_JAVA_STACKS_H_

#include <jvmti.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "profile/java_frame.h"

namespace jleak::agent {

// ------------------------------------------------------------ encoding

// The address encoding itself (kJavaFrameBase, JavaFrameAddress,
// IsJavaFrameAddress, JavaFrameId, kJavaFrameMaxId, kJavaFramesMapName) is
// defined once, in profile/java_frame.h, which the readers include too.
using ::jleak::IsJavaFrameAddress;
using ::jleak::JavaFrameAddress;
using ::jleak::JavaFrameId;
using ::jleak::kFirstUnavailableJavaFrameId;
using ::jleak::kJavaFrameBase;
using ::jleak::kJavaFrameMaxId;
using ::jleak::kJavaFramesMapName;
using ::jleak::kUnavailableJavaFrameIds;
using ::jleak::kUnavailableJavaFramesPrefix;

// Ids 1..kJavaFrameTableCapacity are table slots; 0 is the unknown frame.
inline constexpr uint32_t kJavaFrameTableCapacity = 1 << 16;
static_assert(kJavaFrameTableCapacity < kFirstUnavailableJavaFrameId,
              "every table id must have an address of its own");

// AsyncGetCallTrace's failure codes are -1 .. -kAsgctFailureCodes; any
// other negative code is counted as "other".
inline constexpr int kAsgctFailureCodes = 10;
static_assert(kAsgctFailureCodes + 1 < kUnavailableJavaFrameIds,
              "one placeholder per code, and one for the others");

// UnavailableJavaFrameId: the placeholder frame of AsyncGetCallTrace's
// failure `code` (< 0).
uint32_t UnavailableJavaFrameId(int code);
// UnavailableJavaFrameName: "[Java frames unavailable: GC active]" for the
// placeholder of `code`.
std::string UnavailableJavaFrameName(int code);
// AsgctCodeName: "-2 GC_active", as agent.json counts them ("other" for a
// code outside -1 .. -kAsgctFailureCodes).
std::string AsgctCodeName(int code);
// The placeholder of JVM start-up: a Java thread running Java code before
// VMInit, when AsyncGetCallTrace cannot be used yet (InstallEarly).
inline constexpr uint32_t kStartupUnavailableJavaFrameId =
    kFirstUnavailableJavaFrameId + kAsgctFailureCodes + 1;
static_assert(kStartupUnavailableJavaFrameId <= kJavaFrameMaxId,
              "the start-up placeholder has an address");
inline constexpr char kStartupUnavailableJavaFrameName[] =
    "[Java frames unavailable: JVM start-up, before VMInit]";
inline constexpr uint32_t kUnknownJavaFrameId = 0;
// jemalloc's PROF_BT_MAX is 128 = kMaxJavaFrames + kMinNativeFrames.
inline constexpr unsigned kMaxJavaFrames = 96;
inline constexpr unsigned kMinNativeFrames = 32;
inline constexpr char kUnknownJavaFrameName[] = "[unknown Java frame]";
inline constexpr char kUnloadedMethodName[] =
    "[Java method unloaded before it was named]";

// AppendJavaFrames lays out one stack as described above: `vec` holds
// `native_len` native frames; the Java frames (`java_ids`, innermost
// first) are written after as many of them as fit in `max_len`, with the
// outermost native frames overwritten first. Returns the new length.
unsigned AppendJavaFrames(void** vec, unsigned native_len, unsigned max_len,
                          const uint32_t* java_ids, unsigned java_len);

// ------------------------------------------------------------ id table

// JavaFrameTable gives each distinct (jmethodID, bci) a stable id. Intern
// is lock-free and allocation-free (it runs inside malloc, on any thread,
// with any locks held): open addressing over a fixed array of atomic keys,
// a slot claimed by compare-and-swap, never released. When the probe
// sequence finds no slot, Intern returns kUnknownJavaFrameId.
class JavaFrameTable {
 public:
  // A bci outside [0, 65534] (ASGCT gives -3 for native methods) is kept
  // as kNoBci.
  static constexpr int kNoBci = -1;

  explicit JavaFrameTable(uint32_t capacity = kJavaFrameTableCapacity);
  JavaFrameTable(const JavaFrameTable&) = delete;
  JavaFrameTable& operator=(const JavaFrameTable&) = delete;

  uint32_t Intern(jmethodID method, int bci);

  struct Entry {
    uint32_t id;
    jmethodID method;
    int bci;  // or kNoBci
  };
  // Entries returns the ids in use (in id order), read without locks; an
  // id being claimed concurrently may or may not be included.
  std::vector<Entry> Entries() const;
  uint32_t capacity() const { return capacity_; }

 private:
  const uint32_t capacity_;                        // a power of two
  std::unique_ptr<std::atomic<uint64_t>[]> keys_;  // 0: free
};

// ------------------------------------------------------------ naming

// FormatJavaFrameName: "pkg.Cls.method(Cls.java:42)". `class_signature`
// is the JVM form ("Lpkg/Cls;"); `source_file` may be empty; `line` <= 0
// means unknown; `native_method` wins over both.
std::string FormatJavaFrameName(absl::string_view class_signature,
                                absl::string_view method_name,
                                absl::string_view source_file, int line,
                                bool native_method);

// LineForBci: the source line of `bci` from a JVMTI line number table (the
// entry with the greatest start_location <= bci), or 0 when none applies.
int LineForBci(const jvmtiLineNumberEntry* table, int count, int bci);

// FormatJavaFramesMap renders the whole map file from id -> name.
std::string FormatJavaFramesMap(const std::map<uint32_t, std::string>& names);

// ------------------------------------------------------------ the hook

// Counters of the hook, for agent.json. A "call" is one sampled
// allocation seen by the hook.
struct JavaStackStats {
  int64_t calls = 0;
  int64_t not_java_thread = 0;  // GetEnv failed: no Java frames to look for
  int64_t no_java_frames = 0;   // a Java thread with no Java frames (0)
  int64_t compiler_thread = 0;  // a JIT compiler thread (-3, no frames)
  // AsyncGetCallTrace refused a thread whose native stack passed through
  // no interpreter or JIT code: it had no Java frames (no placeholder).
  int64_t no_java_code = 0;
  bool code_cache_known = false;  // whether that could be told (VMStructs)
  // Samples before VMInit on a thread running Java code: the start-up
  // placeholder.
  int64_t before_vminit = 0;
  int64_t with_java_frames = 0;
  int64_t failed = 0;          // AsyncGetCallTrace returned an error,
                               // marked with its placeholder frame
  int64_t frames = 0;          // Java frames written into stacks
  int64_t unknown_frames = 0;  // of those, kUnknownJavaFrameId
  int64_t truncated = 0;       // stacks that lost frames to the 128 cap
  // failed, by AsyncGetCallTrace's code ("-2 gc_active": count); only
  // codes seen.
  std::map<std::string, int64_t> failures;
  int64_t ids = 0;    // distinct (method, bci) ids in the table
  int64_t named = 0;  // ids in the map file
};

// JavaStacks is the process's one Java-stack hook (jemalloc has one hook
// slot, so there is at most one instance; it is never destroyed, since the
// hook may run until the process exits).
// DescribeJavaMethod: the java-frames.map name of `method` at `bci`
// ("pkg.Cls.method(Cls.java:42)"; no line for bci < 0 or a native
// method), through JVMTI; kUnloadedMethodName for a method whose class was
// unloaded (its jmethodID cleared), nullopt when JVMTI cannot answer now
// (the VM going down: ask again later).
std::optional<std::string> DescribeJavaMethod(jvmtiEnv* jvmti, JNIEnv* env,
                                              jmethodID method, int bci);

class JavaStacks {
 public:
  // Capabilities to add in Agent_OnLoad (line numbers, source files).
  static jvmtiCapabilities Capabilities();

  // LoadMethodIds creates the jmethodIDs of `klass`'s methods:
  // AsyncGetCallTrace reports only methods whose jmethodID exists. Call it
  // from the ClassPrepare event, and through LoadAllMethodIds at VMInit
  // for the classes prepared before.
  static void LoadMethodIds(jvmtiEnv* jvmti, jclass klass);
  static void LoadAllMethodIds(jvmtiEnv* jvmti, JNIEnv* env);

  // InstallEarly replaces jemalloc's backtrace hook at Agent_OnLoad, before
  // the JVM runs any Java code: until Install, the hook only marks samples
  // of threads running Java code with the start-up placeholder (the JVM's
  // own initialization runs Java code before VMInit, and the metadata it
  // allocates then lives as long as the JVM). Optional; a failure changes
  // nothing.
  static absl::Status InstallEarly(JavaVM* vm, jvmtiEnv* jvmti);

  // Install finds AsyncGetCallTrace and (unless InstallEarly did) replaces
  // jemalloc's backtrace hook (at VMInit, with ClassLoad events enabled,
  // which AsyncGetCallTrace requires). FailedPrecondition/Unavailable say
  // why not; the caller goes on without Java frames (an early hook then
  // gives native frames only).
  static absl::StatusOr<JavaStacks*> Install(JavaVM* vm, jvmtiEnv* jvmti);

  // InstallOver: the same hook over `native` (the sampling engine's stack
  // walker, agent/sampling) instead of jemalloc's; jemalloc is not asked.
  // The engine then walks stacks with Hook(). Same layout, same counts.
  using BacktraceHook = void (*)(void** vec, unsigned* len, unsigned max_len);
  static absl::StatusOr<JavaStacks*> InstallOver(JavaVM* vm, jvmtiEnv* jvmti,
                                                 BacktraceHook native);
  static BacktraceHook Hook();
  // JavaFramesHook: the hook without its native walk: appends the calling
  // thread's Java frames to the *len native frames the caller walked
  // itself (same layout and counts as Hook()). native_origins walks frame
  // pointers at every mmap: jemalloc's libunwind walk cost 40-85 us a call
  // there, through JIT frames with no unwind tables.
  static BacktraceHook JavaFramesHook();

  // Stop makes the hook give native frames only (at VM death: the JVM's
  // threads are about to go away under it). Cannot be undone.
  void Stop();

  // WriteMap names the ids not named yet and rewrites `path` atomically.
  // Must run on a thread attached to the JVM, in the live phase. Never
  // holds a lock that the hook takes (the hook takes none).
  absl::Status WriteMap(JNIEnv* env, const std::string& path);

  JavaStackStats Stats() const;

  // NameFrames: the names of frame ids (of addresses the hook wrote), in
  // the map file's text ("pkg.Cls.method(Cls.java:42)", the placeholders'
  // names), "" for an id JVMTI cannot name now. Same rules and cache as
  // WriteMap, so a name never changes. Must run on a thread attached to the
  // JVM, in the live phase.
  std::vector<std::string> NameFrames(JNIEnv* env,
                                      const std::vector<uint32_t>& ids);

 private:
  JavaStacks() = default;
  // The name of an id, kUnloadedMethodName for a cleared jmethodID, or
  // nullopt when JVMTI cannot answer now.
  std::optional<std::string> NameOf(JNIEnv* env, jmethodID method, int bci);

  jvmtiEnv* jvmti_ = nullptr;
  mutable std::mutex names_mu_;  // serializes WriteMap; the hook never takes it
  std::map<uint32_t, std::string> names_;
};

// WriteFileAtomically writes `text` to `path` through `path.tmp` + rename.
absl::Status WriteFileAtomically(const std::string& path,
                                 absl::string_view text);

}  // namespace jleak::agent

#endif  // JLEAK_AGENT_JAVA_STACKS_H_
