// File: memory_recorder.h
//
// memory-SEQ.json next to each snapshot (profile/memory_record.h): the
// process's own /proc/self/smaps classified (profile/memory_map.h), with
// what the VM can say of itself (MemoryFacts: a JVM's heap, code cache and
// class space, its threads and class loaders; nothing in a native
// program), the allocator's own figures, the OS threads, and what native
// origins recorded (MemoryOrigins). Runs in the snapshotting thread, in
// native mode too: at exit the final snapshot is taken by the process
// itself, which a reader from outside could no longer see.
//
// Cost: one smaps read (the kernel walks the page tables and holds the
// target's mmap_lock for it: mmap/munmap in other threads wait), its parse
// and one write. Measured in ci/bench/memory_map_cost.sh.

#ifndef JLEAK_AGENT_MEMORY_RECORDER_H_
#define JLEAK_AGENT_MEMORY_RECORDER_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/malloc_control.h"
#include "agent/proc_stats.h"
#include "profile/memory_map.h"
#include "profile/memory_record.h"

namespace jleak::agent {

// What a VM knows of its own memory, for one snapshot.
struct MemoryFacts {
  bool jvm = false;
  ClassifyHints hints;
  std::vector<MemoryThread> threads;
  // For each of `threads`, the index of its stack in hints.ranges, or -1.
  std::vector<int> thread_stack_range;
  std::vector<ClassLoaderGroup> class_loaders;
};

// MemoryOrigins: where mappings and threads came from, as recorded by
// hooks on mmap and Thread.start (native origins, a separate piece). The
// default records nothing: empty mmap_sites and started_from.
// Called on the snapshotting thread, after smaps was read; must not block
// for long, and must be thread-safe against its own hooks.
class MemoryOrigins {
 public:
  virtual ~MemoryOrigins() = default;
  // The live mappings made through the hooked mmap family, by call stack.
  // `smaps`: this snapshot's parse of /proc/self/smaps, by address, for the
  // paths of file mappings (so the maps are read once per snapshot).
  virtual std::vector<MmapSite> LiveMmapSites(
      const std::vector<SmapsEntry>& smaps) {
    return {};
  }
  // ThreadStarts: for the threads of this snapshot (`tids`; more may be
  // returned), the Java frames of the thread that started each, innermost
  // first, by tid; a thread not known is left out. One call per snapshot,
  // so the frames hundreds of threads share are named once.
  virtual std::map<int64_t, std::vector<std::string>> ThreadStarts(
      const std::vector<int64_t>& tids) {
    return {};
  }
};

// MemoryFileName: "memory-<seq>.json".
std::string MemoryFileName(int seq);

// RecordMemory reads /proc/self/smaps and the rest, and writes
// DIR/memory-<seq>.json atomically (temp file + rename). Returns the bare
// file name for the timeline, or an error naming the file. Not reentrant
// (the snapshotter calls it under its lock): it keeps its smaps buffer.
// `jemalloc` holds -1s when jemalloc is not the allocator (then glibc's figures
// are asked for); `nmt` may be empty; `origins` may be null. `started_ns`
// (CLOCK_MONOTONIC) and `started_cpu_ns` (ThreadCpuNanos) are when the
// caller began gathering `facts`, so that cost_ns and cost_cpu_ns cover
// that too. `totals`, when not null, receives the smaps totals (Rss,
// Anonymous) and the task count, the timeline's figures (rss_source
// "smaps"), so that the snapshot walks the page tables once, not twice.
absl::StatusOr<std::string> RecordMemory(
    const std::string& out_dir, int seq, MemoryFacts facts,
    const JemallocStats& jemalloc, const std::map<std::string, int64_t>& nmt,
    MemoryOrigins* origins, int64_t started_ns, int64_t started_cpu_ns,
    ProcStats* totals = nullptr);

// ThreadCpuNanos: CPU time of the calling thread (user and system, so the
// kernel's page-table walk for smaps counts).
int64_t ThreadCpuNanos();

// ParseMallocInfoArenas counts the arenas (<heap nr=...>) in glibc's
// malloc_info(3) XML; -1 when there is no such element.
int64_t ParseMallocInfoArenas(absl::string_view xml);

}  // namespace jleak::agent

#endif  // JLEAK_AGENT_MEMORY_RECORDER_H_
