// File: timeline.h
//
// timeline.jsonl: the line the agent appends to a run directory at each
// snapshot (agent/timeline.h writes it), and its one reader. `jleak run`
// and `jleak attach` read it while the agent still writes (progress, the
// final snapshot, manifest.json); `jleak analyze` reads it from run
// directories that may come from production hosts and are not trusted.
// Pure: text in, records or an error out, never an exception, whatever the
// bytes (//harness/analyze:run_metadata_fuzzer holds it to that).
//
//   absl::StatusOr<std::vector<TimelineLine>> lines =
//       ParseTimeline(text, "run/timeline.jsonl");
//
// Bad lines, one rule for every reader:
// - A line is what ends in '\n'. Each must be a JSON object, nested at most
//   kMaxJsonDepth deep, whose "file" (if any) is a bare file name
//   (IsBareFileName: no '/', "..", control characters); any other line is
//   an error naming the path and the line. The agent writes a record with
//   one write(2), so nothing it writes is ever such a line: one is damage
//   (a full disk joining two records) or a crafted file, and skipping it
//   would let the file decide, unseen, which snapshots are read.
// - Text after the last '\n' is a record still being written (a reader
//   racing the agent's write, or a run killed mid-write): read when it is
//   already a whole valid record, else left out without an error.
// - "memory_file", like "file", must be a bare file name.
// - Values of the wrong type, negative or not finite read as absent.

#ifndef JLEAK_HARNESS_ANALYZE_TIMELINE_H_
#define JLEAK_HARNESS_ANALYZE_TIMELINE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace jleak {

struct MemoryPoint;  // memory_fold.h

// The figures of one line of timeline.jsonl, as the analysis reads them.
// Absent values are nullopt (older agents, non-JVM programs, -1 for
// unknown).
struct TimelinePoint {
  int64_t seq = -1;
  double time_seconds = 0;  // since the first snapshot of the series
  std::optional<double> rss_bytes;
  std::optional<double> anon_rss_bytes;
  std::optional<double> jemalloc_allocated;
  std::optional<double> jemalloc_active;
  std::optional<double> jemalloc_resident;
  std::optional<double> jemalloc_mapped;
  std::optional<double> jemalloc_retained;
  std::optional<double> java_heap_used;
  std::optional<double> direct_buffer_bytes;
  std::optional<double> direct_buffer_count;
  std::optional<double> threads;
  // Native Memory Tracking committed bytes per category (jleak run --nmt).
  std::map<std::string, double> nmt_committed;
  // The snapshot's memory-SEQ.json, grouped (memory_fold.h); null when
  // none was recorded. Set by the loader, not by ParseTimeline.
  std::shared_ptr<const MemoryPoint> memory;
};

// One line of timeline.jsonl.
struct TimelineLine {
  TimelinePoint point;  // time_seconds not set: see mono_seconds
  std::string kind;     // "baseline", "interval", "final"; "" if absent
  std::string file;     // the snapshot's bare file name in the run directory
  std::string memory_file;   // its memory-SEQ.json's bare name, or ""
  bool dumped = false;       // whether the snapshot was written
  std::string error;         // why it was not
  int64_t wall_time_ns = 0;  // CLOCK_REALTIME; 0 if absent
  double mono_seconds = 0;   // CLOCK_MONOTONIC
  double elapsed_s = 0;      // since the agent started
};

// ParseTimeline reads timeline.jsonl text by the rules above; errors name
// `path` and the line.
absl::StatusOr<std::vector<TimelineLine>> ParseTimeline(absl::string_view text,
                                                        absl::string_view path);

}  // namespace jleak

#endif  // JLEAK_HARNESS_ANALYZE_TIMELINE_H_
