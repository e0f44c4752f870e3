// File: proc_maps.h
//
// Mapping: one line of /proc/<pid>/maps, as copied by jemalloc into a heap
// profile's MAPPED_LIBRARIES section, and the lookup of an address in a
// table of them.
//
//   7f5ec0200000-7f5ec0400000 r-xp 00012000 fe:01 1234  /usr/lib/libz.so.1

#ifndef JLEAK_PROFILE_PROC_MAPS_H_
#define JLEAK_PROFILE_PROC_MAPS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace jleak {

struct Mapping {
  uint64_t start = 0;   // first address
  uint64_t limit = 0;   // one past the last address
  uint64_t offset = 0;  // file offset mapped at `start`
  std::string perms;    // e.g. "r-xp"
  std::string device;   // "major:minor"
  uint64_t inode = 0;
  std::string path;  // file path, "[heap]", "[stack]", or empty (anon)

  bool executable() const { return perms.size() >= 3 && perms[2] == 'x'; }
  // A mapping backed by a file (not anonymous, not a [pseudo] region).
  bool is_file() const { return !path.empty() && path[0] == '/'; }
};

// ParseMapsLine parses one maps line. Errors name the problem; the caller
// adds file and line.
absl::StatusOr<Mapping> ParseMapsLine(absl::string_view line);

// ParseMaps parses a whole maps text, one mapping per non-empty line.
// `source_name` and `first_line` (1-based) label error messages.
absl::StatusOr<std::vector<Mapping>> ParseMaps(absl::string_view text,
                                               absl::string_view source_name,
                                               int first_line = 1);

// FindMapping returns the mapping containing `address`, or nullptr.
// `mappings` must be sorted by start (as /proc/<pid>/maps always is).
const Mapping* FindMapping(const std::vector<Mapping>& mappings,
                           uint64_t address);

}  // namespace jleak

#endif  // JLEAK_PROFILE_PROC_MAPS_H_
