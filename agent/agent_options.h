// File: agent_options.h
//
// The options of libjleak_agent.so, parsed from the `-agentpath:LIB=OPTIONS`
// string (JVM mode) or the JLEAK_AGENT_OPTIONS environment variable (native
// mode, LD_PRELOAD only). OPTIONS is a comma-separated list of key=value:
//
//   out=DIR          output directory (required): snapshots, timeline.jsonl,
//                    agent.json and perf-<pid>.map go there
//   interval=SECS    seconds between snapshots (default 10; fractions allowed)
//   gc=0|1           force a full GC before each snapshot (default 1)
//   gc_wait_ms=MS    bound on the wait for reference processing (default 2000)
//   baseline=0|1     take snapshot 0 right after start (default 1)
//   perfmap=0|1      write perf-<pid>.map of JIT code (default 1)
//   nmt=0|1          read the JVM's Native Memory Tracking summary at each
//                    snapshot (default 0; the JVM needs
//                    -XX:NativeMemoryTracking=summary)
//   java_stacks=0|1  Java frames at every sampled allocation, named in
//                    java-frames.map (default 1; JVM mode only; see
//                    java_stacks.h)
//   java_classes=0|1 where each Java class was loaded from (its code
//                    source), in java-classes.map (default 1; with
//                    java_stacks only; see class_source_recorder.h)
//   origins=0|1      where mappings made by native code's mmap calls and
//                    new threads came from, by their Java stacks (default
//                    1; with java_stacks, not in standby; see
//                    native_origins.h)
//   memory=0|1       memory-SEQ.json with every snapshot: resident bytes
//                    per class of mapping, files, threads, class loaders
//                    (default 1; see memory_recorder.h)
//   standby          (JVM mode) no snapshots of its own: the agent waits,
//                    at no measurable cost, for `jleak attach` / `jleak
//                    snapshot` requests in its control directory
//                    (control_protocol.h); out=DIR is then not needed.
//                    jemalloc runs with prof:true,prof_active:false and
//                    sampling is switched on only while jleak asks.
//   engine=sampling  (JVM mode, not standby) the agent's own sampling engine
//                    (sampling_capture.h) from Agent_OnLoad, on whatever
//                    malloc the JVM has (glibc's), instead of jleak's
//                    preloaded profiling jemalloc; `jleak run --engine
//                    sampling`. Default: jemalloc.
//   lg_sample=N      with engine=sampling: mean bytes between samples
//                    2^N, as jemalloc's lg_prof_sample (default 19; 0..40)
//   control=DIR      standby's control directory (default
//                    /tmp/jleak-<pid>); `jleak attach --control-dir`
//                    must name the same one. Checked by
//                    ValidateControlDir (control_protocol.h)
//
// Commas cannot appear in values: the JVM hands the whole string over
// as-is, and directory names with commas are rare enough to refuse.

#ifndef JLEAK_AGENT_AGENT_OPTIONS_H_
#define JLEAK_AGENT_AGENT_OPTIONS_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace jleak::agent {

struct AgentOptions {
  std::string out_dir;
  double interval_seconds = 10.0;
  bool force_gc = true;
  int gc_wait_ms = 2000;
  bool baseline = true;
  bool perf_map = true;
  bool nmt = false;
  bool java_stacks = true;
  bool java_classes = true;
  bool origins = true;
  bool memory_map = true;
  bool standby = false;
  std::string control_dir;       // standby only; empty: DefaultControlDir
  bool sampling_engine = false;  // engine=sampling
  int lg_sample = 19;            // with sampling_engine only
};

// ParseAgentOptions parses "out=/x,interval=5,gc=1" or "standby". Unknown
// keys and bad values are errors: a typo must not silently change what is
// measured.
absl::StatusOr<AgentOptions> ParseAgentOptions(absl::string_view text);

// FormatAgentOptions is the inverse of ParseAgentOptions; the launcher uses
// it to build the -agentpath string.
std::string FormatAgentOptions(const AgentOptions& options);

}  // namespace jleak::agent

#endif  // JLEAK_AGENT_AGENT_OPTIONS_H_
