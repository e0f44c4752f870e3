// File: launch_env.h
//
// What `jleak run` changes in the workload's command line and environment,
// as pure functions of the settings and the current environment (tested
// without starting anything):
//
//   LD_PRELOAD   the profiling libjemalloc.so.2 first, then any value the
//                user had (plus libjleak_agent.so for native programs)
//   MALLOC_CONF  the user's value, then ours (jemalloc lets later keys
//                win): prof:true, prof_active:true, lg_prof_sample, and
//                prof_prefix:DIR/jeprof so any dump jemalloc makes on its
//                own lands in the run directory
//   JVMs         -agentpath:AGENT=OPTIONS inserted right after `java`, or
//                appended to JDK_JAVA_OPTIONS when the command only starts
//                a JVM somewhere below it (--mode=jvm on a script)
//   native       JLEAK_AGENT_OPTIONS=OPTIONS (read by the agent's
//                constructor)
//   --engine sampling  (JVMs only) neither LD_PRELOAD nor MALLOC_CONF is
//                touched: the JVM keeps its own malloc (glibc's) and the
//                agent samples it itself from Agent_OnLoad
//                (engine=sampling,lg_sample=N; agent/sampling_capture.h)
//
// Sampling: jemalloc samples one allocation per 2^lg_prof_sample bytes on
// average. The default, 512 KiB (lg 19), cost about 11% wall time over
// jemalloc without profiling on an allocation-bound churn workload
// (notes/jvm-under-jemalloc.md; re-measured in the issue-4 closing note);
// 128 KiB (lg 17) about 28%.

#ifndef JLEAK_HARNESS_RUN_LAUNCH_ENV_H_
#define JLEAK_HARNESS_RUN_LAUNCH_ENV_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace jleak {

inline constexpr int64_t kDefaultSampleBytes = int64_t{1} << 19;
inline constexpr double kDefaultIntervalSeconds = 10;

// DefaultIntervalSeconds: the snapshot interval when --interval is not
// given. A run of known length gets about 30 snapshots (duration / 30,
// within [2, 10] s): a verdict needs a dozen or more after the warm-up to
// see slow growth through the JVM's noise, and a forced GC every 2 s is
// cheap for the heaps of a test. Open-ended runs get 10 s.
double DefaultIntervalSeconds(double duration_s);

// What the user asked for: everything `jleak run --replay` needs.
struct LaunchSettings {
  std::vector<std::string> command;
  std::string out_dir;  // absolute
  double interval_s = kDefaultIntervalSeconds;
  int64_t sample_bytes = kDefaultSampleBytes;
  double duration_s = 0;  // 0: until the workload exits
  double timeout_s = 0;   // 0: no limit
  double grace_s = 10;
  std::string mode = "auto";  // auto, jvm or native
  bool force_gc = true;
  bool nmt = false;                 // add -XX:NativeMemoryTracking=summary
  bool java_stacks = true;          // Java frames at sampled allocations (JVM)
  bool keep_output = true;          // copy stdout/stderr into DIR/workload.log
  std::string jemalloc_path;        // absolute
  std::string agent_path;           // absolute
  std::string engine = "jemalloc";  // jemalloc or sampling
};

// The limit the manifest and every report state for `jleak run --engine
// sampling` (manifest.json "engine").
inline constexpr char kRunSamplingEngineLimit[] =
    "the JVM's own malloc, sampled by the agent's GOT hooks: no exact count "
    "of allocated bytes, the verdict rests on the sampled sites";

// What will actually be run.
struct LaunchPlan {
  std::vector<std::string> argv;
  std::vector<std::string> envp;
  // Variables set or changed, with their new values, in order.
  std::vector<std::pair<std::string, std::string>> env_changes;
  std::vector<std::string> injected_jvm_flags;
  std::string mode;       // "jvm" or "native"
  std::string injection;  // "argv", "JDK_JAVA_OPTIONS" or "LD_PRELOAD"
  std::string agent_options;
  int lg_prof_sample = 19;
};

// LgSampleForBytes rounds `bytes` to the nearest power of two and returns
// its exponent, clamped to [0, 40].
int LgSampleForBytes(int64_t bytes);

// PrependPreload returns "first:existing" without duplicating `first`.
std::string PrependPreload(absl::string_view existing, absl::string_view first);

// ComposeMallocConf appends jleak's settings to the user's MALLOC_CONF.
std::string ComposeMallocConf(absl::string_view existing,
                              absl::string_view prof_prefix,
                              int lg_prof_sample);

// IsJavaLauncher: is argv[0] the `java` launcher (by its base name)?
bool IsJavaLauncher(absl::string_view argv0);

// BuildLaunchPlan applies the settings to `environ` ("NAME=value" strings).
// Fails on settings that cannot work (e.g. a ',' in the output directory,
// which would cut the agent's option string).
absl::StatusOr<LaunchPlan> BuildLaunchPlan(
    const LaunchSettings& settings, const std::vector<std::string>& environ);

}  // namespace jleak

#endif  // JLEAK_HARNESS_RUN_LAUNCH_ENV_H_
