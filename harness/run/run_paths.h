// File: run_paths.h
//
// Paths every collecting command shares (`run`, `attach`, `snapshot`,
// `env`, `install`): where the jemalloc and the agent built with jleak are,
// and the output directory a run writes into.
//
// FindBundled looks, in order, in jleak's runfiles ($RUNFILES_DIR, or
// <jleak>.runfiles/jleak/ under `bazel run` and in tests), in bazel-bin
// relative to the binary (bazel-bin/harness/jleak ->
// bazel-bin/third_party/jemalloc/lib/libjemalloc.so.2), and in the layout
// `jleak install --prefix DIR` makes (DIR/bin/jleak ->
// DIR/lib/libjemalloc.so.2).

#ifndef JLEAK_HARNESS_RUN_RUN_PATHS_H_
#define JLEAK_HARNESS_RUN_RUN_PATHS_H_

#include <string>

#include "absl/status/status.h"

namespace jleak {

inline constexpr char kBundledJemalloc[] =
    "third_party/jemalloc/lib/libjemalloc.so.2";
inline constexpr char kBundledAgent[] = "agent/libjleak_agent.so";

// FindBundled: the absolute, resolved path of `rel` (one of the above)
// beside this jleak binary, or "".
std::string FindBundled(const std::string& rel);

// Absolute makes `path` absolute against the working directory.
std::string Absolute(const std::string& path);

// CreateRunDir makes `dir` with mode 0700 (profiles reveal a process's
// memory layout); an existing directory must be empty, so runs never mix,
// unless `may_exist` (a `jleak snapshot` folder grows over days).
absl::Status CreateRunDir(const std::string& dir, bool may_exist = false);

}  // namespace jleak

#endif  // JLEAK_HARNESS_RUN_RUN_PATHS_H_
