// File: proc_stats.cc
//
// /proc readers for the timeline (see proc_stats.h).

#include "agent/proc_stats.h"

#include <fcntl.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace jleak::agent {
namespace {

// Value of "Key:   123 kB" lines, in the unit of the file (kB or a count).
bool FindField(absl::string_view text, absl::string_view key, int64_t* out) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (!absl::ConsumePrefix(&line, key)) continue;
    if (!absl::ConsumePrefix(&line, ":")) continue;
    line = absl::StripAsciiWhitespace(line);
    absl::ConsumeSuffix(&line, "kB");
    return absl::SimpleAtoi(absl::StripAsciiWhitespace(line), out);
  }
  return false;
}

// Reads a small /proc file with plain syscalls: this runs inside the
// profiled process, where the fewer allocations the better.
std::string ReadSmallFile(const std::string& path) {
  std::string text;
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return text;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) text.append(buf, n);
  close(fd);
  return text;
}

}  // namespace

bool ParseSmapsRollup(absl::string_view text, ProcStats* stats) {
  int64_t rss_kb = 0;
  if (!FindField(text, "Rss", &rss_kb)) return false;
  stats->rss_bytes = rss_kb * 1024;
  int64_t anon_kb = 0;
  stats->anon_rss_bytes =
      FindField(text, "Anonymous", &anon_kb) ? anon_kb * 1024 : -1;
  stats->rss_source = "smaps_rollup";
  return true;
}

bool ParseStatm(absl::string_view text, int64_t page_size, ProcStats* stats) {
  std::vector<absl::string_view> f =
      absl::StrSplit(absl::StripAsciiWhitespace(text), ' ', absl::SkipEmpty());
  int64_t resident = 0, shared = 0;
  if (f.size() < 3 || !absl::SimpleAtoi(f[1], &resident) ||
      !absl::SimpleAtoi(f[2], &shared)) {
    return false;
  }
  stats->rss_bytes = resident * page_size;
  // statm's "shared" counts file-backed resident pages, so the rest is
  // anonymous memory (plus shmem, which a JVM rarely has).
  stats->anon_rss_bytes = (resident - shared) * page_size;
  stats->rss_source = "statm";
  return true;
}

int64_t ParseStatusThreads(absl::string_view text) {
  int64_t n = -1;
  return FindField(text, "Threads", &n) ? n : -1;
}

ProcStats ReadProcStats(int pid) {
  const std::string dir =
      pid > 0 ? absl::StrCat("/proc/", pid) : std::string("/proc/self");
  ProcStats stats;
  if (!ParseSmapsRollup(ReadSmallFile(dir + "/smaps_rollup"), &stats)) {
    ParseStatm(ReadSmallFile(dir + "/statm"), sysconf(_SC_PAGESIZE), &stats);
  }
  stats.os_threads = ParseStatusThreads(ReadSmallFile(dir + "/status"));
  return stats;
}

}  // namespace jleak::agent
