// File: proc_stats.h
//
// Memory and thread figures of the current process from /proc, for the
// timeline: RSS and anonymous RSS (smaps_rollup, falling back to statm
// where smaps_rollup is missing, i.e. kernels before 4.14) and the number
// of OS threads. Parsing is separate from reading so it can be tested.

#ifndef JLEAK_AGENT_PROC_STATS_H_
#define JLEAK_AGENT_PROC_STATS_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace jleak::agent {

struct ProcStats {
  int64_t rss_bytes = -1;       // -1: unknown
  int64_t anon_rss_bytes = -1;  // -1: unknown
  int64_t os_threads = -1;      // -1: unknown
  std::string rss_source;       // "smaps_rollup", "statm" or "smaps" (the
                                // memory map's read, memory_recorder.h)
};

// ParseSmapsRollup fills rss/anon from the "Rss:" and "Anonymous:" lines
// (kB) of /proc/<pid>/smaps_rollup. Returns false if Rss is missing.
bool ParseSmapsRollup(absl::string_view text, ProcStats* stats);

// ParseStatm fills rss (resident pages) and anon (resident - shared pages)
// from /proc/<pid>/statm. Returns false on malformed text.
bool ParseStatm(absl::string_view text, int64_t page_size, ProcStats* stats);

// ParseStatusThreads returns the "Threads:" count of /proc/<pid>/status,
// or -1.
int64_t ParseStatusThreads(absl::string_view text);

// ReadProcStats reads the figures of process `pid` ("self" when pid <= 0).
// Never fails: unknown figures stay -1.
ProcStats ReadProcStats(int pid = 0);

}  // namespace jleak::agent

#endif  // JLEAK_AGENT_PROC_STATS_H_
