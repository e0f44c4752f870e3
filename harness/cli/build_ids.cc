// File: build_ids.cc

#include "harness/cli/build_ids.h"

#include "absl/status/statusor.h"
#include "harness/io/file_io.h"
#include "profiler/elf_symbolizer.h"
#include "profiler/heap_profile.h"

namespace jleak {

std::map<std::string, std::string> ModuleBuildIds(
    const std::string& dir, const std::vector<SnapshotEntry>& snapshots,
    const std::function<std::string(const std::string&)>& host_path) {
  std::map<std::string, std::string> ids;
  for (auto e = snapshots.rbegin(); e != snapshots.rend(); ++e) {
    if (!e->dumped) continue;
    absl::StatusOr<std::string> text = ReadFileToString(dir + "/" + e->file);
    if (!text.ok()) continue;
    absl::StatusOr<HeapProfile> profile = ParseHeapProfile(*text, e->file);
    if (!profile.ok()) continue;
    for (const Mapping& m : profile->mappings) {
      if (!m.is_file() || !m.executable() || ids.count(m.path)) continue;
      absl::StatusOr<std::string> id = ReadElfBuildId(host_path(m.path));
      if (id.ok()) ids[m.path] = *id;
    }
    break;
  }
  return ids;
}

}  // namespace jleak
