// File: build_ids.cc

#include "harness/cli/build_ids.h"

#include <set>

#include "absl/status/statusor.h"
#include "harness/io/file_io.h"
#include "profile/elf_symbolizer.h"
#include "profile/heap_profile.h"

namespace jleak {

std::vector<std::string> ModulePaths(
    const std::string& dir, const std::vector<TimelineLine>& snapshots) {
  std::vector<std::string> paths;
  for (auto e = snapshots.rbegin(); e != snapshots.rend(); ++e) {
    if (!e->dumped) continue;
    absl::StatusOr<std::string> text = ReadFileToString(dir + "/" + e->file);
    if (!text.ok()) continue;
    absl::StatusOr<HeapProfile> profile = ParseHeapProfile(*text, e->file);
    if (!profile.ok()) continue;
    std::set<std::string> seen;
    for (const Mapping& m : profile->mappings) {
      if (!m.is_file() || !m.executable()) continue;
      if (seen.insert(m.path).second) paths.push_back(m.path);
    }
    break;
  }
  return paths;
}

std::map<std::string, std::string> ModuleBuildIds(
    const std::string& dir, const std::vector<TimelineLine>& snapshots,
    const BuildIdReader& read_ids) {
  return read_ids(ModulePaths(dir, snapshots));
}

std::map<std::string, std::string> LocalBuildIds(
    const std::vector<std::string>& paths) {
  std::map<std::string, std::string> ids;
  for (const std::string& path : paths) {
    absl::StatusOr<std::string> id = ReadElfBuildId(path);
    if (id.ok()) ids[path] = *id;
  }
  return ids;
}

}  // namespace jleak
