// File: perf_map.h
//
// PerfMap: the names of JIT-compiled code, read from a perf map file
// (`/tmp/perf-<pid>.map`), so that Java frames in a heap profile get Java
// names instead of bare addresses.
//
//   java -XX:+UnlockDiagnosticVMOptions -XX:+DumpPerfMapAtExit ...
//   jcmd <pid> Compiler.perfmap
//
// Each line is `<hex start> <hex size> <name>`; the name is the rest of the
// line and may contain spaces. OpenJDK 17 writes `0x`-prefixed, zero-padded
// numbers, perf-map-agent and older tools write bare hex; both are read:
//
//   0x00007f49f4ec7600 0x0000000000000078 long Hello.f(int)
//   7f49f4ec7600 78 long Hello.f(int)
//
// Bad lines are skipped and counted, not fatal: a JVM killed while writing
// leaves a torn last line, and one bad line should not cost every Java name
// in a report. The first bad line is kept (as "file:line: what") for a
// warning. Only a text in which no line parses is an error, since it is
// then not a perf map at all.

#ifndef JLEAK_PROFILE_PERF_MAP_H_
#define JLEAK_PROFILE_PERF_MAP_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace jleak {

struct PerfMapEntry {
  uint64_t start = 0;
  uint64_t size = 0;  // never 0 in a PerfMap
  std::string name;

  uint64_t limit() const { return start + size; }
};

class PerfMap {
 public:
  PerfMap() = default;

  // Find returns the entry containing `address`, or nullptr. O(log n).
  const PerfMapEntry* Find(uint64_t address) const;

  // Sorted by start, non-overlapping.
  const std::vector<PerfMapEntry>& entries() const { return entries_; }
  // Lines that did not parse (blank lines are not counted).
  int skipped_lines() const { return skipped_lines_; }
  // "file:line: what was wrong" for the first skipped line, or empty.
  const std::string& first_error() const { return first_error_; }

 private:
  friend absl::StatusOr<PerfMap> ParsePerfMap(std::string_view,
                                              std::string_view);
  std::vector<PerfMapEntry> entries_;
  int skipped_lines_ = 0;
  std::string first_error_;
};

// ParsePerfMap parses the text of a perf map. `source_name` labels
// messages. Entries of size 0 are dropped. Where entries overlap (the code
// cache reuses memory, and appending writers such as perf-map-agent keep
// the old line), the later line in the file wins over the range it covers.
// Errors: InvalidArgument when the text has non-blank lines but none parses.
[[nodiscard]] absl::StatusOr<PerfMap> ParsePerfMap(
    std::string_view text, std::string_view source_name);

// ReadPerfMap reads and parses a perf map file. NotFound if it is missing;
// InvalidArgument if it is not a regular file or is a symbolic link;
// ResourceExhausted past kMaxMapFileBytes (harness/io/file_io.h).
[[nodiscard]] absl::StatusOr<PerfMap> ReadPerfMap(const std::string& path);

}  // namespace jleak

#endif  // JLEAK_PROFILE_PERF_MAP_H_
