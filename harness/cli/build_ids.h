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

#include "harness/run/manifest.h"

namespace jleak {

// ModuleBuildIds: the GNU build-id (lower-case hex) of every executable
// file-backed module in the MAPPED_LIBRARIES of the last dumped snapshot of
// `snapshots` (files in `dir`), keyed by the path the process saw. Files
// are opened at `host_path(path)`: the same path for a process of this
// machine, through /proc/PID/root for one in another mount namespace.
// Modules without a build-id, or that cannot be read, are left out.
std::map<std::string, std::string> ModuleBuildIds(
    const std::string& dir, const std::vector<SnapshotEntry>& snapshots,
    const std::function<std::string(const std::string&)>& host_path);

}  // namespace jleak

#endif  // JLEAK_HARNESS_CLI_BUILD_IDS_H_
