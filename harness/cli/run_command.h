// File: run_command.h
//
// `jleak run [options] -- <command> [args...]`: runs a JVM (or any
// program) under the profiling jemalloc with the snapshot agent, into a
// self-describing run directory:
//
//   DIR/manifest.json     what ran, how, and how it ended (manifest.h)
//   DIR/timeline.jsonl    one line per snapshot (agent/timeline.h)
//   DIR/snapshot-N.heap   jemalloc heap_v2 profiles, after a forced GC
//   DIR/agent.json        what the agent found (JDK, jemalloc, status)
//   DIR/perf-PID.map      JIT code names for the symbolizer
//
// Where libjemalloc.so.2 and libjleak_agent.so come from: --jemalloc and
// --agent, defaulting to the copies built with jleak, found next to the
// binary: first in its runfiles ($RUNFILES_DIR or <jleak>.runfiles/jleak/
// under `bazel run` and in tests), then relative to it in bazel-bin
// (bazel-bin/harness/jleak ->
// bazel-bin/third_party/jemalloc/lib/libjemalloc.so.2 and
// bazel-bin/agent/libjleak_agent.so).
//
// Exit codes: 0 data collected; 2 it could not run or collect (one line
// on stderr says why and what to do). See DecideRunOutcome in
// run_command.cc for the exact rules.

#ifndef JLEAK_HARNESS_CLI_RUN_COMMAND_H_
#define JLEAK_HARNESS_CLI_RUN_COMMAND_H_

#include <string>

#include "CLI/CLI.hpp"

namespace jleak {

void AddRunCommand(CLI::App& jleak, int* exit_code);

// After a run that collected data, `jleak run` analyzes its directory
// (analyze_command.h; the analysis options are accepted by `run` too,
// and the JSON and HTML reports default to DIR/report.json and
// DIR/report.html) and exits with the verdict: 0 clean, 1 leak,
// 2 inconclusive. --no-analyze keeps the exit code of the collection
// alone.

}  // namespace jleak

#endif  // JLEAK_HARNESS_CLI_RUN_COMMAND_H_
