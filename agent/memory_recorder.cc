// File: memory_recorder.cc
//
// memory-SEQ.json from the process's own /proc files (see
// memory_recorder.h).

#include "agent/memory_recorder.h"

#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <set>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace jleak::agent {
namespace {

int64_t ClockNanos(clockid_t clock) {
  timespec ts;
  clock_gettime(clock, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

int64_t NowNanos() { return ClockNanos(CLOCK_MONOTONIC); }

// ReadInto reads a /proc file with plain read(2)s into `text` (its
// capacity kept), at most `max` bytes.
absl::Status ReadInto(const std::string& path, size_t max, std::string* text) {
  text->clear();
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot open ", path, ": ", std::strerror(errno)));
  }
  // smaps is about 750 bytes per mapping: read in 64 KiB chunks (each
  // read(2) takes the mmap lock again).
  constexpr size_t kChunk = 64 << 10;
  for (;;) {
    if (text->size() > max) {
      close(fd);
      return absl::ResourceExhaustedError(
          absl::StrCat(path, " is larger than ", max, " bytes"));
    }
    const size_t old = text->size();
    text->resize(old + kChunk);
    ssize_t n = read(fd, text->data() + old, kChunk);
    if (n < 0 && errno == EINTR) {
      text->resize(old);
      continue;
    }
    if (n <= 0) {
      text->resize(old);
      const int err = errno;
      close(fd);
      if (n < 0) {
        return absl::UnavailableError(
            absl::StrCat("cannot read ", path, ": ", std::strerror(err)));
      }
      return absl::OkStatus();
    }
    text->resize(old + n);
  }
}

absl::StatusOr<std::string> ReadBounded(const std::string& path, size_t max) {
  std::string text;
  absl::Status st = ReadInto(path, max, &text);
  if (!st.ok()) return st;
  return text;
}

std::string ReadComm(int64_t tid) {
  absl::StatusOr<std::string> comm =
      ReadBounded(absl::StrCat("/proc/self/task/", tid, "/comm"), 256);
  if (!comm.ok()) return "";
  return std::string(absl::StripTrailingAsciiWhitespace(*comm));
}

// Tids of /proc/self/task, at most kMaxMemoryArrayEntries.
std::vector<int64_t> ListTasks() {
  std::vector<int64_t> tids;
  DIR* dir = opendir("/proc/self/task");
  if (dir == nullptr) return tids;
  while (dirent* e = readdir(dir)) {
    int64_t tid = 0;
    if (absl::SimpleAtoi(e->d_name, &tid) && tid > 0) tids.push_back(tid);
    if (tids.size() >= kMaxMemoryArrayEntries) break;
  }
  closedir(dir);
  return tids;
}

// glibc 2.33's struct mallinfo2, declared here so the agent builds and
// loads against any libc (looked up with dlsym).
struct Mallinfo2 {
  size_t arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks, uordblks,
      fordblks, keepcost;
};

std::optional<AllocatorFigures> GlibcFigures() {
  using Mallinfo2Fn = Mallinfo2 (*)();
  using MallocInfoFn = int (*)(int, FILE*);
  auto mallinfo2 =
      reinterpret_cast<Mallinfo2Fn>(dlsym(RTLD_DEFAULT, "mallinfo2"));
  if (mallinfo2 == nullptr) return std::nullopt;
  const Mallinfo2 mi = mallinfo2();
  int64_t arenas = -1;
  auto malloc_info =
      reinterpret_cast<MallocInfoFn>(dlsym(RTLD_DEFAULT, "malloc_info"));
  char* xml = nullptr;
  size_t xml_size = 0;
  if (malloc_info != nullptr) {
    if (FILE* f = open_memstream(&xml, &xml_size)) {
      if (malloc_info(0, f) == 0) {
        std::fflush(f);
        arenas = ParseMallocInfoArenas(absl::string_view(xml, xml_size));
      }
      std::fclose(f);
    }
    std::free(xml);
  }
  AllocatorFigures a;
  a.name = "glibc";
  a.figures = {{"arenas", arenas},
               {"in_use", static_cast<int64_t>(mi.uordblks + mi.hblkhd)},
               {"free", static_cast<int64_t>(mi.fordblks)},
               {"top", static_cast<int64_t>(mi.keepcost)},
               {"mmap", static_cast<int64_t>(mi.hblkhd)},
               {"mmap_count", static_cast<int64_t>(mi.hblks)}};
  return a;
}

absl::Status WriteAtomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  int fd = open(tmp.c_str(),
                O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot write ", tmp, ": ", std::strerror(errno)));
  }
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = errno;
      close(fd);
      unlink(tmp.c_str());
      return absl::UnavailableError(
          absl::StrCat("cannot write ", tmp, ": ",
                       n < 0 ? std::strerror(err) : "disk full?"));
    }
    done += static_cast<size_t>(n);
  }
  close(fd);
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    unlink(tmp.c_str());
    return absl::UnavailableError(
        absl::StrCat("cannot write ", path, ": ", std::strerror(err)));
  }
  return absl::OkStatus();
}

}  // namespace

int64_t ThreadCpuNanos() { return ClockNanos(CLOCK_THREAD_CPUTIME_ID); }

std::string MemoryFileName(int seq) {
  return absl::StrCat("memory-", seq, ".json");
}

int64_t ParseMallocInfoArenas(absl::string_view xml) {
  int64_t n = 0;
  for (size_t at = xml.find("<heap nr="); at != absl::string_view::npos;
       at = xml.find("<heap nr=", at + 1)) {
    ++n;
  }
  return n > 0 ? n : -1;
}

absl::StatusOr<std::string> RecordMemory(
    const std::string& out_dir, int seq, MemoryFacts facts,
    const JemallocStats& jemalloc, const std::map<std::string, int64_t>& nmt,
    MemoryOrigins* origins, int64_t started_ns, int64_t started_cpu_ns,
    ProcStats* totals) {
  // Kept from one snapshot to the next (snapshots never overlap): a fresh
  // 1-2 MB buffer each time cost more in page faults than the parse.
  static std::string* const smaps_text = new std::string();
  absl::Status read = ReadInto("/proc/self/smaps", kMaxSmapsBytes, smaps_text);
  if (!read.ok()) return read;
  absl::StatusOr<std::vector<SmapsEntry>> entries =
      ParseSmaps(*smaps_text, "/proc/self/smaps");
  if (!entries.ok()) return entries.status();

  MemoryRecord r;
  r.seq = seq;
  r.pid = getpid();
  r.jvm = facts.jvm;
  r.map = ClassifyMappings(*entries, facts.hints);
  int64_t anonymous = 0;
  for (const SmapsEntry& e : *entries) anonymous += e.anonymous_bytes;
  r.threads = std::move(facts.threads);
  for (size_t i = 0; i < r.threads.size(); ++i) {
    const int range =
        i < facts.thread_stack_range.size() ? facts.thread_stack_range[i] : -1;
    if (range >= 0 && static_cast<size_t>(range) < r.map.range_rss.size()) {
      r.threads[i].stack_bytes = r.map.range_rss[range];
    }
  }
  // The OS threads the VM did not list (all of them in a native program):
  // their names from /proc.
  const std::vector<int64_t> tasks = ListTasks();
  r.os_threads = static_cast<int64_t>(tasks.size());
  std::set<int64_t> listed;
  for (const MemoryThread& t : r.threads) listed.insert(t.tid);
  for (int64_t tid : tasks) {
    if (listed.count(tid) != 0) continue;
    if (r.threads.size() >= kMaxMemoryArrayEntries) break;
    MemoryThread t;
    t.tid = tid;
    t.name = ReadComm(tid);
    r.threads.push_back(std::move(t));
  }
  r.class_loaders = std::move(facts.class_loaders);
  if (jemalloc.allocated >= 0) {
    r.allocator = AllocatorFigures{"jemalloc",
                                   {{"allocated", jemalloc.allocated},
                                    {"active", jemalloc.active},
                                    {"resident", jemalloc.resident},
                                    {"mapped", jemalloc.mapped},
                                    {"retained", jemalloc.retained}}};
  } else {
    r.allocator = GlibcFigures();
    if (r.allocator.has_value()) {
      for (const auto& [name, value] : r.allocator->figures) {
        if (name == "mmap") CountAllocatorMmaps(value, r.map);
      }
    }
  }
  r.nmt = nmt;
  if (origins != nullptr) {
    r.mmap_sites = origins->LiveMmapSites(*entries);
    std::vector<int64_t> tids;
    for (const MemoryThread& t : r.threads) {
      if (t.tid > 0) tids.push_back(t.tid);
    }
    std::map<int64_t, std::vector<std::string>> starts =
        origins->ThreadStarts(tids);
    for (MemoryThread& t : r.threads) {
      auto it = t.tid > 0 ? starts.find(t.tid) : starts.end();
      if (it != starts.end()) t.started_from = std::move(it->second);
    }
  }
  r.mono_ns = NowNanos();
  r.cost_ns = r.mono_ns - started_ns;
  r.cost_cpu_ns = ThreadCpuNanos() - started_cpu_ns;
  const std::string name = MemoryFileName(seq);
  absl::Status written =
      WriteAtomically(absl::StrCat(out_dir, "/", name), FormatMemoryJson(r));
  if (!written.ok()) return written;
  if (totals != nullptr) {
    totals->rss_bytes = r.map.rss_bytes;
    totals->anon_rss_bytes = anonymous;
    totals->os_threads = r.os_threads;
    totals->rss_source = "smaps";
  }
  return name;
}

}  // namespace jleak::agent
