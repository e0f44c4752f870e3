// File: snapshotter.h
//
// The agent's one job, independent of JVMTI: take a snapshot. A snapshot
// is (1) the VM's chance to collect garbage and run Cleaners first, (2) a
// heap profile `snapshot-<seq>.heap` in the output directory, written by
// the capture engine (capture_engine.h: jemalloc's or the agent's own),
// (3) one line appended to `timeline.jsonl`, (4) with memory=1 (the
// default) memory-<seq>.json (memory_recorder.h), named in that line's
// "memory_file". In a JVM, JvmProbe
// (jvm_probe.h) is the VmProbe; native programs pass none.
//
// Failures never propagate: a dump that cannot be written becomes a
// timeline record with "dumped": false and an "error", and one line on
// stderr the first time each kind of problem occurs.

#ifndef JLEAK_AGENT_SNAPSHOTTER_H_
#define JLEAK_AGENT_SNAPSHOTTER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <set>
#include <string>

#include "agent/agent_options.h"
#include "agent/capture_engine.h"
#include "agent/memory_recorder.h"
#include "agent/timeline.h"

namespace jleak::agent {

// VmProbe forces a GC (when asked) and reports the VM's figures after it.
class VmProbe {
 public:
  virtual ~VmProbe() = default;
  virtual JavaStats CollectAfterGc(bool force_gc, int gc_wait_ms) = 0;
  // DescribeMemory adds what the VM knows of its memory (heap range,
  // threads, class loaders) for memory-<seq>.json; called after the dump.
  virtual void DescribeMemory(MemoryFacts* facts) {}
};

class Snapshotter {
 public:
  // `engine` may be null (no engine can run): records are still written,
  // without dumps, so RSS is tracked. `before_dump` runs before each dump
  // (the agent flushes its perf map there); may be empty.
  Snapshotter(AgentOptions options, CaptureEngine* engine,
              std::function<void()> before_dump);

  // Take takes snapshot number `next seq` of `kind` ("baseline",
  // "interval", "final"). Thread-safe. After a "final" snapshot every
  // later call does nothing and returns false.
  bool Take(const std::string& kind, VmProbe* vm);

  int snapshots_written() const;
  bool final_taken() const;
  // The options it was made with: where its files go, how often.
  const AgentOptions& options() const { return options_; }

  // SetMemoryOrigins: where memory-<seq>.json's mmap_sites and threads'
  // started_from come from (native origins); null (the default) leaves
  // them empty. `origins` must outlive the snapshotter.
  void SetMemoryOrigins(MemoryOrigins* origins) { origins_.store(origins); }

  // Warn prints "jleak agent: <message>" on stderr once per message.
  void Warn(const std::string& message);

 private:
  const AgentOptions options_;
  CaptureEngine* const engine_;
  const std::function<void()> before_dump_;
  const int64_t start_mono_ns_;
  std::atomic<MemoryOrigins*> origins_{nullptr};
  mutable std::mutex mu_;
  int next_seq_ = 0;
  int written_ = 0;
  bool final_taken_ = false;
  std::mutex warn_mu_;  // separate: Warn is called with and without mu_
  std::set<std::string> warned_;
};

// MonotonicNanos and WallNanos read CLOCK_MONOTONIC / CLOCK_REALTIME.
int64_t MonotonicNanos();
int64_t WallNanos();

}  // namespace jleak::agent

#endif  // JLEAK_AGENT_SNAPSHOTTER_H_
