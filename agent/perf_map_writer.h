// File: perf_map_writer.h
//
// A perf map (`perf-<pid>.map`, the format perf and async-profiler read:
// "<hex start> <hex size> <name>" per line) of the JVM's JIT-compiled
// methods and generated stubs, so the frames of heap-profile stacks that
// fall in JIT code can be named. Entries are only appended: a later entry
// for an overlapping range wins, as in perf. This is the agent's writer;
// the harness reads the file with profile/perf_map.h (class PerfMap).

#ifndef JLEAK_AGENT_PERF_MAP_WRITER_H_
#define JLEAK_AGENT_PERF_MAP_WRITER_H_

#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace jleak::agent {

// JavaClassName turns a JVM class signature "Ljava/lang/String;" into
// "java.lang.String" (other forms are returned unchanged).
std::string JavaClassName(absl::string_view signature);

// FormatPerfMapLine renders one entry, newline included, e.g.
// "7f00c0001000 1a0 jleak.smoke.Smoke.retain(I)J\n". Newlines in `name`
// become spaces: one entry must stay one line.
std::string FormatPerfMapLine(uint64_t start, uint64_t size,
                              absl::string_view name);

class PerfMapWriter {
 public:
  PerfMapWriter() = default;
  PerfMapWriter(const PerfMapWriter&) = delete;
  PerfMapWriter& operator=(const PerfMapWriter&) = delete;
  ~PerfMapWriter();

  // Open starts writing to `path` (closing any file opened before: a
  // standby agent opens one per attach session).
  absl::Status Open(const std::string& path);
  // Close stops writing; Add drops entries until the next Open.
  void Close();
  // Add appends an entry (thread-safe; JIT events come from compiler
  // threads). Buffered; Flush makes it visible.
  void Add(uint64_t start, uint64_t size, absl::string_view name);
  void Flush();

 private:
  std::mutex mu_;
  std::FILE* file_ = nullptr;
};

}  // namespace jleak::agent

#endif  // JLEAK_AGENT_PERF_MAP_WRITER_H_
