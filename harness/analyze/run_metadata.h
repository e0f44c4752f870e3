// File: run_metadata.h
//
// Readers of the small text files a `jleak run` directory holds beside its
// snapshots: timeline.jsonl (the agent's line per snapshot: times, RSS,
// jemalloc, JVM counters) and manifest.json (the workload's command line,
// the build-ids of the mapped modules). Pure: text in, values or an error
// out, never an exception, whatever the bytes
// (//harness/analyze:run_metadata_fuzzer holds them to it).
//
//   absl::StatusOr<std::vector<TimelineLine>> lines =
//       ParseTimeline(text, "run/timeline.jsonl");

#ifndef JLEAK_HARNESS_ANALYZE_RUN_METADATA_H_
#define JLEAK_HARNESS_ANALYZE_RUN_METADATA_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "harness/analyze/analysis.h"

namespace jleak {

// One line of timeline.jsonl.
struct TimelineLine {
  TimelinePoint point;  // time_seconds not set: see mono_seconds
  std::string file;     // the snapshot's file name, relative to the run
  bool dumped = false;  // whether the snapshot was written
  double mono_seconds = 0;
};

// ParseTimeline parses timeline.jsonl. Values of the wrong type read as
// absent; a torn last line (a run killed mid-write) is skipped; any other
// line that is not a JSON object is an error naming `path` and the line, as
// is a line nested deeper than kMaxJsonDepth and a snapshot "file" that is
// not a bare file name (IsBareFileName: no '/', "..", control characters).
absl::StatusOr<std::vector<TimelineLine>> ParseTimeline(absl::string_view text,
                                                        absl::string_view path);

// What the analysis takes from manifest.json.
struct ManifestInfo {
  std::string command;  // settings.command, joined with spaces if an array
  // engine.name and engine.limit (`jleak attach` / `snapshot`: which capture
  // engine collected, and what it cannot see); empty when not said.
  std::string engine;
  std::string engine_limit;
  // Module path -> build-id recorded at run time.
  absl::flat_hash_map<std::string, std::string> build_ids;
};

// ParseManifest: InvalidArgument when the text is not a JSON object,
// OutOfRange when it nests deeper than kMaxJsonDepth (crafted, never
// written by jleak); missing or ill-typed keys read as absent.
absl::StatusOr<ManifestInfo> ParseManifest(absl::string_view text,
                                           absl::string_view path);

}  // namespace jleak

#endif  // JLEAK_HARNESS_ANALYZE_RUN_METADATA_H_
