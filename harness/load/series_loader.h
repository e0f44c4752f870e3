// File: series_loader.h
//
// LoadSeries: finds, orders and parses the heap snapshots to analyze, from
// a `jleak run` directory or from plain jemalloc .heap files collected in
// production. The I/O edge of `jleak analyze`; the analysis itself
// (harness/analyze/analyzer.h) is pure.
//
// Order and times, strongest source first:
// 1. timeline.jsonl (written by the agent): each line names its snapshot
//    file and its monotonic time; RSS, jemalloc and JVM counters become the
//    Analysis timeline. A line's "memory_file" (memory-SEQ.json, where RSS
//    went: harness/analyze/memory_map.h) is read and grouped onto its
//    point (TimelinePoint::memory); bare .heap files have none.
// 2. File modification times, when they strictly increase in sequence
//    order (a copy that kept them: `cp -p`, rsync -t, tar).
// 3. The sequence number in the file name (`<prefix>.<pid>.<seq>.i<n>.heap`
//    as jemalloc names them, or `snapshot-<seq>.heap`): rates become per
//    snapshot.
// Files of several processes in one directory: the process with the most
// snapshots is analyzed, with a warning.
//
// Run directories come from production hosts and are not trusted: the
// files their content names (timeline.jsonl's snapshot names) must be bare
// names, no file inside is read through a symbolic link or unless it is a
// regular file, sizes are bounded, JSON depth is bounded, and every such
// problem is an error naming the file (harness/io/file_io.h, json_read.h).
//
// Long series are streamed: PlanSeries finds and orders the files without
// reading them, ReadSnapshots parses them on several threads and hands each
// profile over in order, so that only a few are in memory at once
// (analyze_command.cc feeds them to a SeriesAccumulator). LoadSeries reads
// a whole series into memory, for tests and small inputs.

#ifndef JLEAK_HARNESS_LOAD_SERIES_LOADER_H_
#define JLEAK_HARNESS_LOAD_SERIES_LOADER_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "harness/analyze/analysis.h"
#include "harness/analyze/analyzer.h"
#include "profile/code_origin.h"

namespace jleak {

// What PlanSeries learns of a series besides its snapshots: how they are
// timed, and what lies beside them.
struct SeriesContext {
  TimeSource time_source = TimeSource::kSequence;
  std::vector<TimelinePoint> timeline;  // same time base as the snapshots
  std::string perf_map_path;            // found beside the snapshots
  std::string java_frames_map_path;     // likewise (java_frame.h)
  // The agent's java-classes.map beside the snapshots, read
  // (LoadCodeOriginsBeside): where each Java class was loaded from. No map
  // (production .heap files, or a map that does not parse, with a warning)
  // leaves it empty: `--app` rules alone tell the application's frames.
  CodeOrigins code_origins;
  std::string command;               // from manifest.json, if any
  std::string engine, engine_limit;  // likewise (ManifestInfo)
  // Module path -> build-id recorded at run time (manifest.json).
  absl::flat_hash_map<std::string, std::string> build_ids;
  std::vector<std::string> warnings;
};

// A series read into memory (LoadSeries).
struct LoadedSeries : SeriesContext {
  std::vector<SnapshotInput> snapshots;  // ordered, times from t = 0
};

// SnapshotName is what a .heap file name says about its origin.
struct SnapshotName {
  std::optional<int64_t> pid;
  std::optional<int64_t> seq;
};
// ParseSnapshotName reads `<prefix>.<pid>.<seq>.<i|m|u|f>[n].heap`
// (jemalloc) or `snapshot-<seq>.heap` (the agent); other names give no
// numbers. InvalidArgument, naming the file, when a number does not fit
// in 64 bits.
absl::StatusOr<SnapshotName> ParseSnapshotName(absl::string_view basename);

// FindPerfMapBeside: the perf map naming a snapshot's JIT frames, found in
// its directory: perf-<pid>.map for the pid in its name, else the only
// perf-*.map there (a `jleak run` directory); "" when there is none.
std::string FindPerfMapBeside(const std::string& snapshot_path);

// FindJavaFramesMapBeside: the agent's java-frames.map naming the Java
// frames of a snapshot's stacks, in its directory; "" when there is none.
std::string FindJavaFramesMapBeside(const std::string& snapshot_path);

// LoadCodeOriginsBeside: the java-classes.map (profile/java_classes_map.h)
// in a snapshot's directory, read as a file the run directory names (no
// link followed, at most kMaxJavaClassesMapBytes) and parsed. No map is
// an empty CodeOrigins; a map that cannot be read or parsed is an error
// naming the file (and line).
absl::StatusOr<CodeOrigins> LoadCodeOriginsBeside(
    const std::string& snapshot_path);

// A series found and ordered, its snapshots not yet read.
struct SeriesPlan : SeriesContext {
  std::vector<SnapshotMeta> snapshots;  // ordered, times from t = 0
};

// PlanSeries finds and orders `inputs`: one directory, or any number of
// .heap files. Reads the timeline and manifest, not the snapshots.
absl::StatusOr<SeriesPlan> PlanSeries(const std::vector<std::string>& inputs);

// ReadSnapshotText reads a snapshot's file as PlanSeries found it: links
// followed only when the user named the file, at most kMaxHeapProfileBytes,
// regular files only (harness/io/file_io.h).
absl::Status ReadSnapshotText(const SnapshotMeta& snapshot, std::string* text);

// ReadSnapshot reads and parses one snapshot (ReadSnapshotText, then
// ParseHeapProfile); errors name its path.
absl::StatusOr<HeapProfile> ReadSnapshot(const SnapshotMeta& snapshot);

// A snapshot parsed before ReadSnapshots runs: `jleak analyze` parses the
// last one first, whose mappings build the symbolizer, and hands it over
// rather than have it read and parsed twice.
struct ParsedSnapshot {
  size_t index = 0;  // into ReadSnapshots' `snapshots`
  HeapProfile profile;
};

// ReadSnapshots reads and parses `snapshots` on `jobs` threads (0: one per
// core) and calls `consume(i, profile)` for i = 0, 1, ... in order, on the
// calling thread, with at most 2 * jobs profiles parsed ahead. `profile` is
// parsed into again after `consume` returns (move from it to keep it). The
// first error (a file that does not read or parse, in order, or one
// `consume` returns) stops it. `progress`, if set, is called after each
// snapshot with (done, total). `parsed`, if set, is consumed in its turn
// and not read again.
absl::Status ReadSnapshots(
    const std::vector<SnapshotMeta>& snapshots, int jobs,
    const std::function<absl::Status(size_t, HeapProfile&)>& consume,
    const std::function<void(size_t, size_t)>& progress = nullptr,
    std::optional<ParsedSnapshot> parsed = std::nullopt);

// LoadSeries reads `inputs` (PlanSeries, then ReadSnapshots) into memory.
// `progress`, if set, is called after each file with (done, total).
absl::StatusOr<LoadedSeries> LoadSeries(
    const std::vector<std::string>& inputs,
    const std::function<void(size_t, size_t)>& progress = nullptr);

}  // namespace jleak

#endif  // JLEAK_HARNESS_LOAD_SERIES_LOADER_H_
