// File: timeline.h
//
// One line of timeline.jsonl: what the agent measured when it took a
// snapshot. The analyzer reads these lines to order snapshots and to
// compare jemalloc's totals with RSS and the JVM's own counters.
//
// Example (one line, wrapped here):
//   {"seq":3,"kind":"interval","file":"snapshot-3.heap","dumped":true,
//    "pid":4711,"wall_time_ns":1732850000123456789,"mono_ns":...,
//    "elapsed_s":15.02,"rss_bytes":...,"anon_rss_bytes":...,
//    "os_threads":24,"jemalloc":{"allocated":...,"active":...,
//    "resident":...,"mapped":...,"retained":...},
//    "java":{"gc_forced":true,"gc_ms":31.5,"heap_used_bytes":...,
//    "direct_buffers":{"count":12,"bytes":...},"threads":11},
//    "memory_file":"memory-3.json"}
// Unknown figures are -1; "java" is absent outside a JVM; "error" says
// why a dump failed.

#ifndef JLEAK_AGENT_TIMELINE_H_
#define JLEAK_AGENT_TIMELINE_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "agent/malloc_control.h"
#include "agent/proc_stats.h"

namespace jleak::agent {

// Figures only a JVM can give, taken right after the forced GC.
struct JavaStats {
  bool gc_forced = false;
  double gc_ms = -1;  // time spent in GCs and waiting for reference processing
  int64_t heap_used_bytes = -1;
  int64_t direct_buffer_count = -1;
  int64_t direct_buffer_bytes = -1;
  int64_t java_threads = -1;
  // Native Memory Tracking, committed bytes per category (with --nmt).
  std::map<std::string, int64_t> nmt_committed;
};

struct TimelineRecord {
  int seq = 0;
  std::string kind;  // "baseline", "interval" or "final"
  std::string file;  // snapshot file name, relative to the output directory
  bool dumped = false;
  std::string error;
  int pid = 0;
  int64_t wall_time_ns = 0;  // CLOCK_REALTIME
  int64_t mono_ns = 0;       // CLOCK_MONOTONIC
  double elapsed_s = 0;      // since the agent started
  ProcStats proc;
  JemallocStats jemalloc;
  std::optional<JavaStats> java;
  // memory-<seq>.json (memory_recorder.h) when it was written.
  std::string memory_file;
};

// FormatTimelineLine renders `r` as one JSON line ending in '\n'.
std::string FormatTimelineLine(const TimelineRecord& r);

}  // namespace jleak::agent

#endif  // JLEAK_AGENT_TIMELINE_H_
