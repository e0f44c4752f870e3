// File: run_metadata.h
//
// What the analysis reads from a run directory's manifest.json: the
// workload's command line and the build-ids of the mapped modules (its
// timeline.jsonl is timeline.h's). Pure: text in, values or an error out,
// never an exception, whatever the bytes
// (//harness/analyze:run_metadata_fuzzer holds it to that).
//
//   absl::StatusOr<ManifestInfo> info =
//       ParseManifest(text, "run/manifest.json");

#ifndef JLEAK_HARNESS_ANALYZE_RUN_METADATA_H_
#define JLEAK_HARNESS_ANALYZE_RUN_METADATA_H_

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace jleak {

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
