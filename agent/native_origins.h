// File: native_origins.h
//
// Where memory outside malloc came from (issue 20): the call stacks of the
// live mappings that native code made with mmap, and the Java stack that
// started each thread. smaps says which files are mapped and how many
// threads there are; only the calls themselves say which code did it.
//
//   OriginsOptions o;
//   o.backtrace = <frame pointers + JavaStacks::JavaFramesHook()>;
//   o.name_java = ...;                         // ids -> "pkg.C.m (C.java:7)"
//   o.mmap_excluded_objects = {<an address in libjvm>};
//   NativeOrigins::Install(o);                 // at VMInit
//   NativeOrigins::LiveMmapSites(&files);      // at each snapshot
//   NativeOrigins::ThreadOrigins();            // at each snapshot
//   NativeOrigins::Uninstall();                // at VM death
//
// ---------------------------------------------------------------- what
// - mmap, mmap64, munmap and mremap are hooked by rewriting the GOT slots
//   (sampling/got_patcher.h) of every loaded object but libc, the dynamic
//   loader, the vDSO, this object, the allocator's object and
//   `mmap_excluded_objects` (the agent passes libjvm: its heap, metaspace
//   and code cache reservations, and the commits it makes over them with
//   MAP_FIXED, are classified from smaps already, and would cost a stack
//   walk each; and libunwind, whose caches jemalloc's stack walks make).
//   Objects loaded later are patched from a dlopen hook (for dlopen of a path,
//   as System.loadLibrary does) and at every LiveMmapSites call.
//   FileChannel.map reaches mmap64 from libnio's FileChannelImpl.map0, so its
//   Java caller is the stack's Java part.
// - Each mapping made through a hook is recorded with its range, its kind
//   (file or anon) and its call stack; a file mapping's path is the one
//   /proc/self/maps shows at its start when the records are read (a
//   readlink of /proc/self/fd/N in the hook cost 11 us a call here, most
//   of the hook's time). munmap removes or shrinks (a partial unmap of the
//   middle splits a record in two), mremap moves, and a new mapping over a
//   recorded range (MAP_FIXED, or a range unmapped behind our back) replaces
//   what it covers. LiveMmapSites aggregates the records by (kind, path,
//   stack).
// - pthread_create is hooked the same way in every object (libjvm's is
//   Thread.start: JVM_StartThread -> os::create_thread): the creating
//   thread's stack is recorded, and the new thread starts in a trampoline
//   that files it under the new thread's tid before calling the real start
//   routine, and removes it when that routine returns. StartedFrom(tid)
//   names the Java part (innermost first, at most kMaxJavaFrames, all of
//   them: java.lang.Thread.start and executor frames are the analysis' to
//   skip). A tid taken again by a thread that did not start through the
//   hook could show the old thread's origin until replaced; threads that
//   end through pthread_exit keep theirs until their tid is reused.
//
// ---------------------------------------------------------------- how
// - The hooks call the real functions through this object's own (never
//   patched) imports, then record. They allocate nothing but in the
//   pthread_create hook (the trampoline's argument, with malloc; a failure
//   starts the thread untouched). All tables are fixed arrays made at
//   Install and never freed (a hook may run on any thread at any time, even
//   after Uninstall when another tool chained our slot): mappings
//   (max_mappings, a dense array scanned on each call: the JVM's own
//   mappings are not in it, so it holds the few hundred a program maps),
//   stacks (max_stacks, deduplicated) and threads (max_threads). What does
//   not fit is counted in OriginsStats, never recorded half. One mutex
//   guards them; stack walks happen outside it.
// - A thread-local flag makes the hooks pass calls made while the same
//   thread is inside a hook straight through (the unwinder and
//   AsyncGetCallTrace may map memory); they are counted, not recorded.
// - Java frames are the synthetic addresses of java_stacks.h at the end of
//   the walk; `name_java` names their ids when the records are read, on the
//   reading thread (which must be able to call JVMTI).

#ifndef JLEAK_AGENT_NATIVE_ORIGINS_H_
#define JLEAK_AGENT_NATIVE_ORIGINS_H_

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "agent/sampling/got_patcher.h"

namespace jleak::agent {

// FileRange: a file-backed range of /proc/self/maps.
struct FileRange {
  uint64_t start = 0;
  uint64_t end = 0;
  std::string path;  // as the kernel prints it, " (deleted)" included
};
// ParseFileRanges: the file-backed ranges of a /proc/PID/maps text, by
// start; other and malformed lines skipped.
std::vector<FileRange> ParseFileRanges(absl::string_view maps_text);

// MmapSiteRecord: memory-SEQ.json's "mmap_sites" entry (notes/spec20.md).
struct MmapSiteRecord {
  std::string kind;  // "file" or "anon"
  std::string path;  // "" for anon (and for a file maps no longer names)
  int64_t mappings = 0;
  int64_t bytes = 0;                       // page-rounded lengths
  std::vector<std::string> java_frames;    // innermost first
  std::vector<std::string> native_frames;  // innermost first
};

// ThreadOrigin: a live thread started through the hook.
struct ThreadOrigin {
  pid_t tid = 0;
  std::vector<std::string> started_from;  // creator's Java frames
};

struct OriginsStats {
  bool installed = false;
  uint64_t mmaps = 0;             // successful mmap calls through the hooks
  uint64_t munmaps = 0;           // munmap calls through the hooks
  uint64_t mremaps = 0;           // successful mremap calls
  uint64_t unmapped_whole = 0;    // records removed
  uint64_t unmapped_part = 0;     // records shrunk or split
  uint64_t replaced = 0;          // records covered by a new mapping
  uint64_t mappings_live = 0;     // records now
  uint64_t mappings_dropped = 0;  // mapping table full: not recorded
  uint64_t stacks = 0;            // distinct stacks now
  uint64_t stacks_dropped = 0;    // stack table full: recorded without stack
  uint64_t paths_unknown = 0;     // file records /proc/self/maps did not name
  uint64_t reentered = 0;         // calls passed through inside a hook
  uint64_t threads_started = 0;   // pthread_create through the hook
  uint64_t threads_live = 0;      // thread records now
  uint64_t threads_dropped = 0;   // thread table full, or no trampoline
  // Time the hooks spent on their own work (stack walk, tables; not the
  // real call), for the cost per call: record_ns / mmaps, thread_ns /
  // threads_started.
  uint64_t record_ns = 0;
  uint64_t thread_ns = 0;
  sampling::PatcherStats mmap_patcher;
  sampling::PatcherStats thread_patcher;
};

// jemalloc's backtrace hook signature: vec[0..*len), innermost first.
using OriginsBacktraceFn = void (*)(void** vec, unsigned* len,
                                    unsigned max_len);
// Names Java frame ids (profile/java_frame.h) like report.json's
// java_method: "pkg.Class.method (File.java:L)".
using JavaFrameNamer =
    std::function<std::vector<std::string>(const std::vector<uint32_t>& ids)>;

struct OriginsOptions {
  // The stack walker: native frames, then Java frames as java_stacks.h
  // lays them out (jvm_origins.cc: frame pointers, then
  // JavaStacks::JavaFramesHook()); null: frame pointers
  // (sampling/frame_pointer_backtrace.h), native frames only. It is given
  // a 128-entry buffer (jemalloc's unwinder, behind JavaStacks::Hook(),
  // writes that many whatever max_len says).
  OriginsBacktraceFn backtrace = nullptr;
  // Null: Java frames are named "[Java frame <id>]".
  JavaFrameNamer name_java;
  // Addresses inside objects whose mmap family is not hooked (libjvm; the
  // unwinder, whose caches are the profiler's own); at most
  // GotPatcher::kMaxExtraExclusions over the process's life.
  std::vector<const void*> mmap_excluded_objects;
  bool hook_mmap = true;
  bool hook_threads = true;
  uint32_t max_mappings = 65536;
  uint32_t max_stacks = 4096;
  uint32_t max_threads = 32768;
};

// ReportFrameText: a java-frames.map name ("pkg.C.m(C.java:7)") as
// report.json writes frames ("pkg.C.m (C.java:7)"); placeholders ("[...]")
// as they are.
std::string ReportFrameText(absl::string_view map_name);

class NativeOrigins {
 public:
  static constexpr unsigned kMaxFrames = 48;  // per stack, native + Java
  static constexpr unsigned kMaxJavaFrames = 16;
  static constexpr unsigned kMaxNativeNames = 16;  // named per site
  static constexpr unsigned kMaxPath = 4096;

  // Install hooks every loaded object (see above) with fresh, empty tables.
  // FailedPrecondition when installed already.
  static absl::Status Install(const OriginsOptions& options);
  // Uninstall puts every patched slot back; the records stay readable.
  static absl::Status Uninstall();
  // Repatch hooks objects loaded since (also done by LiveMmapSites).
  static void Repatch();

  // The live recorded mappings by (kind, path, stack), most bytes first.
  // Paths come from `files`, the caller's own parse of /proc/self/maps (or
  // smaps) taken just now, sorted by start; null: /proc/self/maps is read
  // here (31 ms with 3,500 mappings on the test VM). Must run on a thread
  // that can call JVMTI (to name Java frames), e.g. the snapshot thread.
  static std::vector<MmapSiteRecord> LiveMmapSites(
      const std::vector<FileRange>* files = nullptr);
  // The Java frames of the thread that started `tid`, or {} when unknown.
  // Same thread rule; for many threads ThreadOrigins names them in one go.
  static std::vector<std::string> StartedFrom(pid_t tid);
  // Every thread record (live threads that started through the hook).
  static std::vector<ThreadOrigin> ThreadOrigins();

  static OriginsStats Stats();

  // The replacement installed for "mmap", "munmap", ... (tests).
  static void* HookFor(const char* name);
};

}  // namespace jleak::agent

#endif  // JLEAK_AGENT_NATIVE_ORIGINS_H_
