// File: manifest.h
//
// manifest.json: what a `jleak run` did, so a run directory describes
// itself. `jleak analyze DIR` needs nothing else, and `jleak run --replay
// DIR` re-runs the same command with the same settings. Written at start
// ("state": "running") and rewritten at the end, so even a run whose
// launcher was killed leaves a manifest behind.
//
// Top-level keys: tool, jleak_argv, settings (LaunchSettings), launch
// (argv, env_changes, mode, injection, agent_options, lg_prof_sample),
// state, start/end times, workload (exit status or signal, ended_by),
// outcome ("collected", "no-data", ... and a message), agent (agent.json
// as the agent wrote it: jemalloc version/config, JDK version), comparable
// (ComparableJson), snapshots (from timeline.jsonl, read by
// harness/analyze/timeline.h).

#ifndef JLEAK_HARNESS_RUN_MANIFEST_H_
#define JLEAK_HARNESS_RUN_MANIFEST_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "harness/analyze/timeline.h"
#include "harness/run/launch_env.h"
#include "harness/run/process.h"
#include "nlohmann/json.hpp"

namespace jleak {

inline constexpr char kToolVersion[] = "jleak 0.1.0";

struct RunRecord {
  std::vector<std::string> jleak_argv;
  LaunchSettings settings;
  LaunchPlan plan;
  std::string state = "running";  // running, finished
  int64_t start_wall_ns = 0;
  int64_t end_wall_ns = 0;
  std::optional<SuperviseResult> workload;
  std::string outcome;   // collected, no-data, not-started, inconclusive,
                         // timeout, crashed
  std::string message;   // one line: what happened and what to do
  nlohmann::json agent;  // agent.json, or null
  // The workload's output in the run directory ("" when not kept), and
  // why it is incomplete, if it is (a full disk, its size limit).
  std::string workload_log;
  std::string workload_log_note;
  // Executable file-backed modules of the last snapshot -> GNU build-id
  // (lower-case hex), read when the run ended: `jleak analyze` elsewhere
  // then refuses other builds of the same path.
  std::map<std::string, std::string> build_ids;
  std::vector<TimelineLine> snapshots;  // timeline.jsonl
};

nlohmann::ordered_json ManifestJson(const RunRecord& r);

// ComparableJson: the manifest's "comparable" object, what two runs must
// share for `jleak compare` to compare their growth rates: the command,
// the JVM flags (the command's options before the main class, class path
// left out), the JVM and jemalloc versions, the sampling, the interval and
// the duration.
nlohmann::ordered_json ComparableJson(const RunRecord& r);

// SettingsFromManifest recovers the settings of a previous run.
absl::StatusOr<LaunchSettings> SettingsFromManifest(absl::string_view text);

}  // namespace jleak

#endif  // JLEAK_HARNESS_RUN_MANIFEST_H_
