// File: build_ids.h
//
// ModuleBuildIds: which build of each library a run's snapshots point into.
// `run` and `attach` record it in manifest.json when collection ends, while
// the files are still the ones the JVM mapped, so that `jleak analyze`
// elsewhere refuses a different build at the same path.

#ifndef JLEAK_HARNESS_CLI_BUILD_IDS_H_
#define JLEAK_HARNESS_CLI_BUILD_IDS_H_

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "harness/analyze/timeline.h"

namespace jleak {

// ModulePaths: every executable file-backed module in the MAPPED_LIBRARIES
// of the last dumped snapshot of `snapshots` (files in `dir`), as the
// process saw it.
std::vector<std::string> ModulePaths(
    const std::string& dir, const std::vector<TimelineLine>& snapshots);

// ModuleBuildIds: the GNU build-id (lower-case hex) of each of
// ModulePaths, read by `read_ids` (paths -> ids; the files of a process of
// this machine, or, for one in a container, read inside it by the attach
// broker). Modules without a build-id, or that cannot be read, are left
// out.
using BuildIdReader = std::function<std::map<std::string, std::string>(
    const std::vector<std::string>&)>;
std::map<std::string, std::string> ModuleBuildIds(
    const std::string& dir, const std::vector<TimelineLine>& snapshots,
    const BuildIdReader& read_ids);

// LocalBuildIds: a BuildIdReader of this machine's files.
std::map<std::string, std::string> LocalBuildIds(
    const std::vector<std::string>& paths);

}  // namespace jleak

#endif  // JLEAK_HARNESS_CLI_BUILD_IDS_H_
