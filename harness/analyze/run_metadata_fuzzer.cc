// File: run_metadata_fuzzer.cc
//
// libFuzzer target for the readers of a run directory's small files: the
// agent's timeline.jsonl, manifest.json, and perf maps (a JVM's
// perf-<pid>.map and the agent's java-frames.map, whose names are split as
// Java frames). Any bytes must give values or an error: never a crash, an
// uncaught exception (nlohmann::json throws on a wrong-typed read), a hang
// or a sanitizer report. Every input goes to every reader. Built with
// clang's -fsanitize=fuzzer,address,undefined by
// //harness/analyze:run_metadata_fuzzer, run for a bounded time by
// //harness/analyze:run_metadata_fuzz_test, or longer by ci/fuzz.sh.

#include <cstddef>
#include <cstdint>

#include "harness/analyze/run_metadata.h"
#include "harness/analyze/timeline.h"
#include "profile/java_frame.h"
#include "profile/perf_map.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<std::vector<jleak::TimelineLine>> timeline =
      jleak::ParseTimeline(text, "fuzz/timeline.jsonl");
  if (timeline.ok()) {
    for (const jleak::TimelineLine& l : *timeline) (void)l.point.nmt_committed;
  }
  absl::StatusOr<jleak::ManifestInfo> manifest =
      jleak::ParseManifest(text, "fuzz/manifest.json");
  (void)manifest;
  absl::StatusOr<jleak::PerfMap> map =
      jleak::ParsePerfMap(std::string_view(text.data(), text.size()), "fuzz");
  if (map.ok()) {
    for (const jleak::PerfMapEntry& e : map->entries()) {
      if (map->Find(e.start) == nullptr) __builtin_trap();
      map->Find(e.limit() - 1);
      map->Find(e.limit());
      jleak::JavaFrameName name = jleak::ParseJavaFrameName(e.name);
      (void)name;
    }
  }
  jleak::ParseJavaFrameName(text);
  return 0;
}
