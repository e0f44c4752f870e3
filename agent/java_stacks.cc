// File: java_stacks.cc
//
// Java frames in jemalloc heap profiles: the backtrace hook, the lock-free
// id table it fills, and the naming of ids into java-frames.map (see
// java_stacks.h for the stack layout and the map format).

#include "agent/java_stacks.h"

#include <dlfcn.h>
#include <sys/prctl.h>
#include <ucontext.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "agent/hotspot_vmstructs.h"
#include "agent/perf_map_writer.h"

// The linker defines these for a section whose name is a C identifier: the
// bounds of the hook's code, so the hook can find (and drop) its own frame
// among those the previous hook unwound.
extern "C" {
extern const char __start_jleak_java_stack_hook[]
    __attribute__((visibility("hidden")));
extern const char __stop_jleak_java_stack_hook[]
    __attribute__((visibility("hidden")));
}

namespace jleak::agent {
namespace {

// jemalloc 5.3's hook type (its internal prof_hook.h, not installed).
using ProfBacktraceHook = void (*)(void** vec, unsigned* len, unsigned max_len);
using MallctlFn = int (*)(const char*, void*, size_t*, void*, size_t);
constexpr char kHookName[] = "experimental.hooks.prof_backtrace";

// AsyncGetCallTrace's interface (HotSpot's forte.cpp; not in any header).
struct AsgctCallFrame {
  jint lineno;  // bci, or < 0 for a native method
  jmethodID method_id;
};
struct AsgctCallTrace {
  JNIEnv* env_id;
  jint num_frames;  // frames written, or a code <= 0
  AsgctCallFrame* frames;
};
using AsgctFn = void (*)(AsgctCallTrace* trace, jint depth, void* ucontext);

// AsyncGetCallTrace's failure codes, by -code.
constexpr const char* kAsgctCodes[] = {"no_Java_frame",
                                       "no_class_load",
                                       "GC_active",
                                       "unknown_not_Java",
                                       "not_walkable_not_Java",
                                       "unknown_Java",
                                       "not_walkable_Java",
                                       "unknown_state",
                                       "thread_exit",
                                       "deopt",
                                       "safepoint"};
constexpr int kAsgctCodeCount = sizeof(kAsgctCodes) / sizeof(kAsgctCodes[0]);
static_assert(kAsgctCodeCount == kAsgctFailureCodes + 1, "codes 0 .. -10");

// What each failure means, for the placeholder frame's name (HotSpot's
// forte.cpp; the hook runs inside malloc, so the thread is in native or VM
// code unless it is exiting or at a safepoint).
constexpr const char* kAsgctReasons[] = {"",
                                         "class load events off",
                                         "GC active",
                                         "in a VM call, no walkable Java frame",
                                         "in a VM call, frames not walkable",
                                         "in Java code, top frame unknown",
                                         "in Java code, frames not walkable",
                                         "unknown thread state",
                                         "thread exiting",
                                         "deoptimizing",
                                         "at a safepoint",
                                         "AsyncGetCallTrace error"};
static_assert(sizeof(kAsgctReasons) / sizeof(kAsgctReasons[0]) ==
                  kAsgctCodeCount + 1,
              "a reason per code, and one for the others");

// Index of a failure code in kAsgctCodes / kAsgctReasons: 1 .. 10, or
// kAsgctCodeCount for any other code.
int FailureIndex(int code) {
  return code < 0 && -code < kAsgctCodeCount ? -code : kAsgctCodeCount;
}

// Everything the hook reads. Allocated once, never freed: the hook may run
// on any thread until the process exits.
struct HookState {
  JavaVM* vm = nullptr;
  // Null from InstallEarly (JVM start-up) until Install (VMInit).
  std::atomic<AsgctFn> asgct{nullptr};
  std::atomic<ProfBacktraceHook> previous{nullptr};
  JavaFrameTable table;
  std::atomic<bool> active{true};
  // Relaxed counters: one increment per sampled allocation is noise next
  // to the unwinding.
  std::atomic<int64_t> calls{0}, not_java_thread{0}, no_java_frames{0},
      compiler_thread{0}, no_java_code{0}, with_java_frames{0}, failed{0},
      before_vminit{0}, frames{0}, unknown_frames{0}, truncated{0};
  // Where HotSpot keeps the bounds of its code cache (the interpreter,
  // stubs and JIT code): CodeCache::_low_bound and _high_bound, set when
  // the code cache is made (after Agent_OnLoad), read at each refusal.
  // Null when the VM's structure table did not say.
  const uintptr_t* code_low_at = nullptr;
  const uintptr_t* code_high_at = nullptr;
  // Failures by -code; the last slot takes codes out of range.
  std::atomic<int64_t> failures[kAsgctCodeCount + 1] = {};
};

std::atomic<HookState*> g_hook{nullptr};

void Bump(std::atomic<int64_t>& counter, int64_t by = 1) {
  counter.fetch_add(by, std::memory_order_relaxed);
}

// HotSpot's JIT compiler threads ("C2 CompilerThread0", truncated to 15
// characters by the kernel) are Java threads that never run Java code, so
// AsyncGetCallTrace finds no frame to start from (-3) on them: measured, that
// is nearly every -3 (801 of 813 under -Xcomp), which would otherwise read
// as failures. Only asked on that path; PR_GET_NAME is one system call and
// does not allocate.
bool OnCompilerThread() {
  char name[16 + 1] = {};
  if (prctl(PR_GET_NAME, name) != 0) return false;
  return (name[0] == 'C' && (name[1] == '1' || name[1] == '2') &&
          std::strncmp(name + 2, " CompilerThre", 13) == 0) ||
         std::strncmp(name, "JVMCI CompilerT", 15) == 0;
}

// PassedThroughJavaCode: whether the native frames (`n` of them, the
// unwinder given room for `max_len`) include one in the code cache, where
// the interpreter and JIT code run: a thread that runs Java code has such
// a frame below its Java frames. When AsyncGetCallTrace refuses a thread
// without one (-3 "unknown_not_Java": HotSpot says that also of a thread
// with no Java frame at all, e.g. the main thread inside
// JNI_CreateJavaVM, the agent's own thread, a JVMTI callback), there were
// no Java frames to lose. A walk that may have been cut short counts as
// Java code; unknown bounds count as `unknown` says.
bool PassedThroughJavaCode(const HookState* s, void* const* vec, unsigned n,
                           unsigned max_len, bool unknown) {
  const uintptr_t low = s->code_low_at ? *s->code_low_at : 0;
  const uintptr_t high = s->code_high_at ? *s->code_high_at : 0;
  if (high <= low) return unknown;
  if (n + 1 >= max_len) return true;
  for (unsigned i = 0; i < n; ++i) {
    const uintptr_t pc = reinterpret_cast<uintptr_t>(vec[i]);
    if (pc >= low && pc < high) return true;
  }
  return false;
}

bool InHook(const void* pc) {
  const char* p = static_cast<const char*>(pc);
  return p >= __start_jleak_java_stack_hook && p < __stop_jleak_java_stack_hook;
}

// A zeroed context for AsyncGetCallTrace. The hook runs inside malloc,
// where the thread is in native or VM code, never in Java code: for those
// states HotSpot walks from the thread's last Java frame anchor and reads
// nothing from the context (JavaThread::pd_get_top_frame: "If we have a
// last_Java_frame, then we should use it"), and without a walkable anchor
// it gives up with "unknown_not_Java" without reading it either. Only a
// thread in Java code would read the registers; zeros make HotSpot give
// up there too (pc 0). A real getcontext() costs a sigprocmask system call
// per sampled allocation (about 270 ns, a fifth of the Java walk).
const ucontext_t kNoRegisters = {};

// CallAsyncGetCallTrace returns the number of Java frames written to
// `frames`, or AsyncGetCallTrace's code (<= 0).
jint CallAsyncGetCallTrace(AsgctFn asgct, JNIEnv* env, AsgctCallFrame* frames,
                           unsigned depth) {
  AsgctCallTrace trace = {env, 0, frames};
  asgct(&trace, static_cast<jint>(depth),
        const_cast<ucontext_t*>(&kNoRegisters));
  return trace.num_frames;
}

// AddJavaFrames appends the current thread's Java frames to the `*len`
// native frames in `vec` (the layout of java_stacks.h) and counts what
// happened.
void AddJavaFrames(HookState* s, void** vec, unsigned* len, unsigned max_len) {
  Bump(s->calls);
  JNIEnv* env = nullptr;
  // Never attaches: a thread the JVM does not know has no Java frames.
  if (s->vm->GetEnv(reinterpret_cast<void**>(&env), JNI_VERSION_1_6) !=
          JNI_OK ||
      env == nullptr) {
    Bump(s->not_java_thread);
    return;
  }
  const AsgctFn asgct = s->asgct.load(std::memory_order_acquire);
  if (asgct == nullptr) {
    // JVM start-up, before VMInit: the JVM already runs Java code (its
    // class library's initialization), which the agent cannot walk yet.
    // Before the code cache exists no Java code has run at all.
    if (PassedThroughJavaCode(s, vec, *len, max_len, /*unknown=*/false)) {
      Bump(s->before_vminit);
      const uint32_t id = kStartupUnavailableJavaFrameId;
      *len = AppendJavaFrames(vec, *len, max_len, &id, 1);
    } else {
      Bump(s->no_java_code);
    }
    return;
  }
  const unsigned depth = std::min<unsigned>(
      kMaxJavaFrames,
      max_len > kMinNativeFrames ? max_len - kMinNativeFrames : 0);
  if (depth == 0) return;
  AsgctCallFrame frames[kMaxJavaFrames];
  const jint got = CallAsyncGetCallTrace(asgct, env, frames, depth);
  if (got <= 0) {
    if (got == 0) {
      Bump(s->no_java_frames);
    } else if (got == -3 && OnCompilerThread()) {
      Bump(s->compiler_thread);
    } else if (!PassedThroughJavaCode(s, vec, *len, max_len,
                                      /*unknown=*/true)) {
      Bump(s->no_java_code);
    } else {
      // A Java thread whose Java frames exist but could not be walked: say
      // so with the placeholder of its code, rather than leave the stack
      // ending in anonymous interpreter or JIT frames.
      Bump(s->failed);
      Bump(s->failures[FailureIndex(got)]);
      const uint32_t id = UnavailableJavaFrameId(got);
      *len = AppendJavaFrames(vec, *len, max_len, &id, 1);
    }
    return;
  }
  const unsigned m = std::min(static_cast<unsigned>(got), depth);
  uint32_t ids[kMaxJavaFrames];
  int64_t unknown = 0;
  for (unsigned i = 0; i < m; ++i) {
    ids[i] = s->table.Intern(frames[i].method_id, frames[i].lineno);
    if (ids[i] == kUnknownJavaFrameId) ++unknown;
  }
  const unsigned n = *len;
  *len = AppendJavaFrames(vec, n, max_len, ids, m);
  if (*len < n + m || m == depth) Bump(s->truncated);
  Bump(s->with_java_frames);
  Bump(s->frames, m);
  if (unknown > 0) Bump(s->unknown_frames, unknown);
}

// The hook proper. It runs inside malloc (jemalloc's sampled path, with
// reentrancy guarded: a malloc made here is served but not sampled), on
// any thread, with whatever locks that thread holds. So it takes no lock,
// allocates nothing itself, and calls into the JVM only through GetEnv (a
// thread-local read) and AsyncGetCallTrace (built to run in a signal
// handler). Its own section lets it recognise its own frame.
__attribute__((section("jleak_java_stack_hook"), noinline)) void JavaStackHook(
    void** vec, unsigned* len, unsigned max_len) {
  HookState* s = g_hook.load(std::memory_order_acquire);
  ProfBacktraceHook previous =
      s ? s->previous.load(std::memory_order_acquire) : nullptr;
  if (previous == nullptr) {
    *len = 0;
    return;
  }
  previous(vec, len, max_len);
  unsigned n = *len;
  // Our own frame is the caller of the previous hook: among the first few.
  for (unsigned i = 0; i < n && i < 8; ++i) {
    if (InHook(vec[i])) {
      std::memmove(&vec[i], &vec[i + 1], (n - i - 1) * sizeof(vec[0]));
      --n;
      break;
    }
  }
  *len = n;
  if (s->active.load(std::memory_order_relaxed)) {
    AddJavaFrames(s, vec, len, max_len);
  }
}

// A 64-bit mixer (splitmix64's finalizer): jmethodIDs are 8-byte-aligned
// pointers from a few blocks, poor hash keys as they are.
uint64_t Mix(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9;
  x ^= x >> 27;
  x *= 0x94d049bb133111eb;
  x ^= x >> 31;
  return x;
}

// The key packs a user-space pointer (below 2^47 on x86-64 with 4-level
// paging) and a 16-bit bci into one word, so one CAS claims a slot.
constexpr uint64_t kBciMask = 0xffff;
constexpr uint64_t kNoBciBits = 0xffff;  // bcis stop at 65534
constexpr int kMaxProbes = 128;

uint32_t RoundUpToPowerOfTwo(uint32_t n) {
  uint32_t p = 1;
  while (p < n) p <<= 1;
  return p;
}

AsgctFn FindAsyncGetCallTrace(jvmtiEnv* jvmti) {
  return reinterpret_cast<AsgctFn>(FindJvmSymbol(jvmti, "AsyncGetCallTrace"));
}

// FindCodeCache finds where CodeCache::_low_bound and _high_bound are, in
// HotSpot's structure table (hotspot_vmstructs.h). False when this VM has
// no such table or fields.
bool FindCodeCache(jvmtiEnv* jvmti, const uintptr_t** low,
                   const uintptr_t** high) {
  const uintptr_t* found_low = nullptr;
  const uintptr_t* found_high = nullptr;
  ForEachVmStructEntry(jvmti, [&](const VmStructEntry& e) {
    if (e.type != "CodeCache" || !e.is_static || e.address == nullptr) return;
    const auto* address = static_cast<const uintptr_t*>(e.address);
    if (e.field == "_low_bound") found_low = address;
    if (e.field == "_high_bound") found_high = address;
  });
  if (found_low == nullptr || found_high == nullptr) return false;
  *low = found_low;
  *high = found_high;
  return true;
}

void Deallocate(jvmtiEnv* jvmti, void* p) {
  if (p != nullptr) jvmti->Deallocate(static_cast<unsigned char*>(p));
}

}  // namespace

// ------------------------------------------------------------ table

JavaFrameTable::JavaFrameTable(uint32_t capacity)
    : capacity_(RoundUpToPowerOfTwo(capacity < 2 ? 2 : capacity)),
      keys_(new std::atomic<uint64_t>[capacity_]) {
  for (uint32_t i = 0; i < capacity_; ++i) {
    keys_[i].store(0, std::memory_order_relaxed);
  }
}

uint32_t JavaFrameTable::Intern(jmethodID method, int bci) {
  const uint64_t m = reinterpret_cast<uintptr_t>(method);
  if (m == 0 || m >= (uint64_t{1} << 47)) return kUnknownJavaFrameId;
  const uint64_t bci_bits = bci >= 0 && static_cast<uint64_t>(bci) < kNoBciBits
                                ? static_cast<uint64_t>(bci)
                                : kNoBciBits;
  const uint64_t key = (m << 16) | bci_bits;
  const uint32_t mask = capacity_ - 1;
  uint32_t slot = static_cast<uint32_t>(Mix(key)) & mask;
  const int probes = std::min<uint32_t>(kMaxProbes, capacity_);
  for (int i = 0; i < probes; ++i, slot = (slot + 1) & mask) {
    uint64_t seen = keys_[slot].load(std::memory_order_acquire);
    if (seen == 0 && keys_[slot].compare_exchange_strong(
                         seen, key, std::memory_order_acq_rel)) {
      return slot + 1;
    }
    // Either already there, or another thread claimed the slot first
    // (compare_exchange left its key in `seen`).
    if (seen == key) return slot + 1;
  }
  return kUnknownJavaFrameId;
}

std::vector<JavaFrameTable::Entry> JavaFrameTable::Entries() const {
  std::vector<Entry> out;
  for (uint32_t i = 0; i < capacity_; ++i) {
    const uint64_t key = keys_[i].load(std::memory_order_acquire);
    if (key == 0) continue;
    const uint64_t bci_bits = key & kBciMask;
    out.push_back(
        {i + 1, reinterpret_cast<jmethodID>(static_cast<uintptr_t>(key >> 16)),
         bci_bits == kNoBciBits ? kNoBci : static_cast<int>(bci_bits)});
  }
  return out;
}

unsigned AppendJavaFrames(void** vec, unsigned native_len, unsigned max_len,
                          const uint32_t* java_ids, unsigned java_len) {
  java_len = std::min(java_len, max_len);
  const unsigned keep = std::min(native_len, max_len - java_len);
  for (unsigned i = 0; i < java_len; ++i) {
    vec[keep + i] = reinterpret_cast<void*>(JavaFrameAddress(java_ids[i]));
  }
  return keep + java_len;
}

// ------------------------------------------------------------ placeholders

uint32_t UnavailableJavaFrameId(int code) {
  return kFirstUnavailableJavaFrameId +
         static_cast<uint32_t>(FailureIndex(code)) - 1;
}

std::string UnavailableJavaFrameName(int code) {
  return absl::StrCat(kUnavailableJavaFramesPrefix,
                      kAsgctReasons[FailureIndex(code)], "]");
}

std::string AsgctCodeName(int code) {
  const int i = FailureIndex(code);
  return i < kAsgctCodeCount ? absl::StrCat(-i, " ", kAsgctCodes[i])
                             : std::string("other");
}

// ------------------------------------------------------------ naming

std::string FormatJavaFrameName(absl::string_view class_signature,
                                absl::string_view method_name,
                                absl::string_view source_file, int line,
                                bool native_method) {
  std::string where;
  if (native_method) {
    where = "Native Method";
  } else if (source_file.empty()) {
    where = "Unknown Source";
  } else if (line > 0) {
    where = absl::StrCat(source_file, ":", line);
  } else {
    where = std::string(source_file);
  }
  return absl::StrCat(JavaClassName(class_signature), ".", method_name, "(",
                      where, ")");
}

int LineForBci(const jvmtiLineNumberEntry* table, int count, int bci) {
  int line = 0;
  jlocation best = -1;
  for (int i = 0; i < count; ++i) {
    if (table[i].start_location <= bci && table[i].start_location > best) {
      best = table[i].start_location;
      line = table[i].line_number;
    }
  }
  return line;
}

std::string FormatJavaFramesMap(const std::map<uint32_t, std::string>& names) {
  std::string text;
  for (const auto& [id, name] : names) {
    text += FormatPerfMapLine(JavaFrameAddress(id) - 1, 2, name);
  }
  return text;
}

absl::Status WriteFileAtomically(const std::string& path,
                                 absl::string_view text) {
  const std::string tmp = path + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "we");
  if (f == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("cannot create ", tmp, ": ", std::strerror(errno)));
  }
  const size_t written = std::fwrite(text.data(), 1, text.size(), f);
  const bool closed = std::fclose(f) == 0;
  if (written != text.size() || !closed) {
    std::remove(tmp.c_str());
    return absl::UnavailableError(
        absl::StrCat("cannot write ", tmp, " (disk full?)"));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    std::remove(tmp.c_str());
    return absl::UnavailableError(absl::StrCat("cannot rename ", tmp, " to ",
                                               path, ": ", std::strerror(err)));
  }
  return absl::OkStatus();
}

// ------------------------------------------------------------ JavaStacks

jvmtiCapabilities JavaStacks::Capabilities() {
  jvmtiCapabilities caps = {};
  caps.can_get_line_numbers = 1;
  caps.can_get_source_file_name = 1;
  return caps;
}

void JavaStacks::LoadMethodIds(jvmtiEnv* jvmti, jclass klass) {
  jint count = 0;
  jmethodID* methods = nullptr;
  // The call itself creates the ids; a class not prepared yet fails and is
  // caught by its own ClassPrepare event.
  if (jvmti->GetClassMethods(klass, &count, &methods) == JVMTI_ERROR_NONE) {
    Deallocate(jvmti, methods);
  }
}

void JavaStacks::LoadAllMethodIds(jvmtiEnv* jvmti, JNIEnv* env) {
  jint count = 0;
  jclass* classes = nullptr;
  if (jvmti->GetLoadedClasses(&count, &classes) != JVMTI_ERROR_NONE) return;
  for (jint i = 0; i < count; ++i) {
    LoadMethodIds(jvmti, classes[i]);
    env->DeleteLocalRef(classes[i]);
  }
  Deallocate(jvmti, classes);
}

namespace {

// InstallHook puts JavaStackHook in jemalloc's backtrace hook slot, with a
// state whose AsyncGetCallTrace is still unset.
absl::Status InstallHook(JavaVM* vm, jvmtiEnv* jvmti) {
  auto mallctl = reinterpret_cast<MallctlFn>(dlsym(RTLD_DEFAULT, "mallctl"));
  if (mallctl == nullptr) {
    return absl::FailedPreconditionError("jemalloc is not loaded (no mallctl)");
  }
  ProfBacktraceHook previous = nullptr;
  size_t len = sizeof(previous);
  if (int err = mallctl(kHookName, &previous, &len, nullptr, 0); err != 0) {
    return absl::UnavailableError(
        absl::StrCat("mallctl ", kHookName, ": ", std::strerror(err),
                     err == ENOENT ? " (jemalloc older than 5.3?)" : ""));
  }
  if (previous == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("mallctl ", kHookName, " has no unwinder to wrap"));
  }
  auto state = std::make_unique<HookState>();
  state->vm = vm;
  // Without it every refused walk gets the placeholder (see
  // PassedThroughJavaCode).
  FindCodeCache(jvmti, &state->code_low_at, &state->code_high_at);
  state->previous.store(previous);
  // Published before the hook can run, so the hook always finds it.
  g_hook.store(state.get(), std::memory_order_release);
  ProfBacktraceHook mine = &JavaStackHook;
  ProfBacktraceHook replaced = nullptr;
  len = sizeof(replaced);
  if (int err = mallctl(kHookName, &replaced, &len, &mine, sizeof(mine));
      err != 0) {
    g_hook.store(nullptr);
    return absl::UnavailableError(absl::StrCat(
        "mallctl ", kHookName, " refused the hook: ", std::strerror(err),
        err == ENOENT ? " (profiling off?)" : ""));
  }
  // Nobody else should be swapping hooks, but if they did in between, wrap
  // what was really there.
  if (replaced != nullptr && replaced != previous) {
    state->previous.store(replaced, std::memory_order_release);
  }
  state.release();  // now reachable from jemalloc, for good
  return absl::OkStatus();
}

}  // namespace

absl::Status JavaStacks::InstallEarly(JavaVM* vm, jvmtiEnv* jvmti) {
  if (g_hook.load() != nullptr) {
    return absl::FailedPreconditionError("the Java stack hook is installed");
  }
  return InstallHook(vm, jvmti);
}

absl::StatusOr<JavaStacks*> JavaStacks::InstallOver(JavaVM* vm, jvmtiEnv* jvmti,
                                                    BacktraceHook native) {
  if (g_hook.load() != nullptr) {
    return absl::FailedPreconditionError("the Java stack hook is installed");
  }
  AsgctFn asgct = FindAsyncGetCallTrace(jvmti);
  if (asgct == nullptr) {
    return absl::FailedPreconditionError(
        "this JVM has no AsyncGetCallTrace symbol");
  }
  auto* state = new HookState();  // never freed: the engine may call it
  state->vm = vm;
  FindCodeCache(jvmti, &state->code_low_at, &state->code_high_at);
  state->asgct = asgct;
  state->previous.store(native);
  g_hook.store(state, std::memory_order_release);
  auto* stacks = new JavaStacks();
  stacks->jvmti_ = jvmti;
  return stacks;
}

JavaStacks::BacktraceHook JavaStacks::Hook() { return &JavaStackHook; }

namespace {

void JavaFramesOnly(void** vec, unsigned* len, unsigned max_len) {
  HookState* s = g_hook.load(std::memory_order_acquire);
  if (s != nullptr && s->active.load(std::memory_order_relaxed)) {
    AddJavaFrames(s, vec, len, max_len);
  }
}

}  // namespace

JavaStacks::BacktraceHook JavaStacks::JavaFramesHook() {
  return &JavaFramesOnly;
}

absl::StatusOr<JavaStacks*> JavaStacks::Install(JavaVM* vm, jvmtiEnv* jvmti) {
  HookState* s = g_hook.load();
  if (s != nullptr && s->asgct.load() != nullptr) {
    return absl::FailedPreconditionError("the Java stack hook is installed");
  }
  AsgctFn asgct = FindAsyncGetCallTrace(jvmti);
  if (asgct == nullptr) {
    // An early hook must not go on calling the whole run start-up.
    if (s != nullptr) s->active.store(false);
    return absl::FailedPreconditionError(
        "this JVM has no AsyncGetCallTrace symbol");
  }
  if (s == nullptr) {
    if (absl::Status st = InstallHook(vm, jvmti); !st.ok()) return st;
    s = g_hook.load();
  }
  s->asgct.store(asgct, std::memory_order_release);
  auto* stacks = new JavaStacks();
  stacks->jvmti_ = jvmti;
  return stacks;
}

void JavaStacks::Stop() {
  if (HookState* s = g_hook.load()) s->active.store(false);
}

JavaStackStats JavaStacks::Stats() const {
  JavaStackStats st;
  HookState* s = g_hook.load();
  if (s == nullptr) return st;
  auto get = [](const std::atomic<int64_t>& c) {
    return c.load(std::memory_order_relaxed);
  };
  st.calls = get(s->calls);
  st.not_java_thread = get(s->not_java_thread);
  st.no_java_frames = get(s->no_java_frames);
  st.compiler_thread = get(s->compiler_thread);
  st.no_java_code = get(s->no_java_code);
  st.before_vminit = get(s->before_vminit);
  st.code_cache_known =
      s->code_low_at != nullptr && *s->code_high_at > *s->code_low_at;
  st.with_java_frames = get(s->with_java_frames);
  st.failed = get(s->failed);
  st.frames = get(s->frames);
  st.unknown_frames = get(s->unknown_frames);
  st.truncated = get(s->truncated);
  for (int i = 1; i <= kAsgctCodeCount; ++i) {
    const int64_t n = get(s->failures[i]);
    if (n != 0) st.failures[AsgctCodeName(-i)] = n;
  }
  st.ids = static_cast<int64_t>(s->table.Entries().size());
  {
    std::lock_guard<std::mutex> lock(names_mu_);
    st.named = static_cast<int64_t>(names_.size());
  }
  return st;
}

std::optional<std::string> DescribeJavaMethod(jvmtiEnv* jvmti, JNIEnv* env,
                                              jmethodID method, int bci) {
  char* name = nullptr;
  // A jmethodID of an unloaded class is cleared: JVMTI answers
  // INVALID_METHODID rather than crash, and will forever. Any other error
  // (the VM going down) may pass: ask again next time.
  if (jvmtiError err = jvmti->GetMethodName(method, &name, nullptr, nullptr);
      err != JVMTI_ERROR_NONE) {
    if (err == JVMTI_ERROR_INVALID_METHODID) return kUnloadedMethodName;
    return std::nullopt;
  }
  std::string method_name = name ? name : "?";
  Deallocate(jvmti, name);
  jclass klass = nullptr;
  std::string class_signature = "?";
  std::string source_file;
  if (jvmti->GetMethodDeclaringClass(method, &klass) == JVMTI_ERROR_NONE) {
    char* signature = nullptr;
    if (jvmti->GetClassSignature(klass, &signature, nullptr) ==
            JVMTI_ERROR_NONE &&
        signature != nullptr) {
      class_signature = signature;
    }
    Deallocate(jvmti, signature);
    char* source = nullptr;
    if (jvmti->GetSourceFileName(klass, &source) == JVMTI_ERROR_NONE &&
        source != nullptr) {
      source_file = source;
    }
    Deallocate(jvmti, source);
    env->DeleteLocalRef(klass);
  }
  jboolean is_native = JNI_FALSE;
  jvmti->IsMethodNative(method, &is_native);
  int line = 0;
  if (!is_native && bci >= 0) {
    jint count = 0;
    jvmtiLineNumberEntry* table = nullptr;
    if (jvmti->GetLineNumberTable(method, &count, &table) == JVMTI_ERROR_NONE) {
      line = LineForBci(table, count, bci);
    }
    Deallocate(jvmti, table);
  }
  return FormatJavaFrameName(class_signature, method_name, source_file, line,
                             is_native == JNI_TRUE);
}

std::optional<std::string> JavaStacks::NameOf(JNIEnv* env, jmethodID method,
                                              int bci) {
  return DescribeJavaMethod(jvmti_, env, method, bci);
}

std::vector<std::string> JavaStacks::NameFrames(
    JNIEnv* env, const std::vector<uint32_t>& ids) {
  std::vector<std::string> out(ids.size());
  HookState* s = g_hook.load();
  jvmtiPhase phase = JVMTI_PHASE_DEAD;
  if (s == nullptr || jvmti_->GetPhase(&phase) != JVMTI_ERROR_NONE ||
      phase != JVMTI_PHASE_LIVE) {
    return out;
  }
  std::lock_guard<std::mutex> lock(names_mu_);
  std::vector<JavaFrameTable::Entry> entries;  // read once, if needed
  for (size_t i = 0; i < ids.size(); ++i) {
    const uint32_t id = ids[i];
    if (auto it = names_.find(id); it != names_.end()) {
      out[i] = it->second;
      continue;
    }
    std::optional<std::string> name;
    if (id == kUnknownJavaFrameId) {
      name = kUnknownJavaFrameName;
    } else if (id == kStartupUnavailableJavaFrameId) {
      name = kStartupUnavailableJavaFrameName;
    } else if (id >= kFirstUnavailableJavaFrameId &&
               id < kStartupUnavailableJavaFrameId) {
      name = UnavailableJavaFrameName(
          -static_cast<int>(id - kFirstUnavailableJavaFrameId + 1));
    } else {
      if (entries.empty()) entries = s->table.Entries();
      auto e = std::lower_bound(
          entries.begin(), entries.end(), id,
          [](const JavaFrameTable::Entry& a, uint32_t b) { return a.id < b; });
      if (e != entries.end() && e->id == id) {
        name = NameOf(env, e->method, e->bci);
      }
    }
    if (name.has_value()) {
      out[i] = *name;
      names_.emplace(id, *std::move(name));
    }
  }
  return out;
}

absl::Status JavaStacks::WriteMap(JNIEnv* env, const std::string& path) {
  HookState* s = g_hook.load();
  if (s == nullptr) return absl::FailedPreconditionError("no hook installed");
  // JVMTI calls below malloc, and may be sampled: the hook they re-enter
  // takes no lock, so holding names_mu_ here cannot deadlock.
  jvmtiPhase phase = JVMTI_PHASE_DEAD;
  if (jvmti_->GetPhase(&phase) != JVMTI_ERROR_NONE ||
      phase != JVMTI_PHASE_LIVE) {
    return absl::FailedPreconditionError(
        "the JVM is not in its live phase; Java frames cannot be named");
  }
  std::lock_guard<std::mutex> lock(names_mu_);
  names_.emplace(kUnknownJavaFrameId, kUnknownJavaFrameName);
  // The placeholders seen so far.
  for (int i = 1; i <= kAsgctCodeCount; ++i) {
    if (s->failures[i].load(std::memory_order_relaxed) != 0) {
      names_.emplace(UnavailableJavaFrameId(-i), UnavailableJavaFrameName(-i));
    }
  }
  if (s->before_vminit.load(std::memory_order_relaxed) != 0) {
    names_.emplace(kStartupUnavailableJavaFrameId,
                   kStartupUnavailableJavaFrameName);
  }
  int unnamed = 0;
  for (const JavaFrameTable::Entry& e : s->table.Entries()) {
    if (names_.count(e.id) != 0) continue;
    if (std::optional<std::string> name = NameOf(env, e.method, e.bci)) {
      names_.emplace(e.id, *std::move(name));
    } else {
      ++unnamed;
    }
  }
  absl::Status written = WriteFileAtomically(path, FormatJavaFramesMap(names_));
  if (written.ok() && unnamed > 0) {
    return absl::UnavailableError(absl::StrCat(
        "some Java frames not named yet (JVMTI refused), will retry: ",
        unnamed));
  }
  return written;
}

}  // namespace jleak::agent
