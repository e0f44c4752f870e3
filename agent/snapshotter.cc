// File: snapshotter.cc
//
// One snapshot: GC, dump, timeline line (see snapshotter.h).

#include "agent/snapshotter.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <string>

#include "absl/strings/str_cat.h"
#include "agent/proc_stats.h"

namespace jleak::agent {
namespace {

int64_t ClockNanos(clockid_t clock) {
  timespec ts;
  clock_gettime(clock, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// AppendLine writes `line` with one write(2) on an O_APPEND descriptor, so
// a reader never sees half a record from a live run.
absl::Status AppendLine(const std::string& path, const std::string& line) {
  int fd = open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot open ", path, ": ", std::strerror(errno)));
  }
  ssize_t n = write(fd, line.data(), line.size());
  int err = errno;
  close(fd);
  if (n != static_cast<ssize_t>(line.size())) {
    return absl::UnavailableError(
        absl::StrCat("cannot append to ", path, ": ",
                     n < 0 ? std::strerror(err) : "short write (disk full?)"));
  }
  return absl::OkStatus();
}

}  // namespace

int64_t MonotonicNanos() { return ClockNanos(CLOCK_MONOTONIC); }
int64_t WallNanos() { return ClockNanos(CLOCK_REALTIME); }

Snapshotter::Snapshotter(AgentOptions options, CaptureEngine* engine,
                         std::function<void()> before_dump)
    : options_(std::move(options)),
      engine_(engine),
      before_dump_(std::move(before_dump)),
      start_mono_ns_(MonotonicNanos()) {}

bool Snapshotter::Take(const std::string& kind, VmProbe* vm) {
  std::lock_guard<std::mutex> lock(mu_);
  if (final_taken_) return false;
  if (kind == "final") final_taken_ = true;

  TimelineRecord r;
  r.seq = next_seq_++;
  r.kind = kind;
  r.pid = getpid();
  // The GC comes first: the snapshot must see memory that only waited for
  // the collector (DirectByteBuffers, Inflaters) as freed.
  if (vm != nullptr) {
    r.java = vm->CollectAfterGc(options_.force_gc, options_.gc_wait_ms);
  }
  if (engine_ != nullptr) {
    if (before_dump_) before_dump_();
    r.file = absl::StrCat("snapshot-", r.seq, ".heap");
    absl::Status dumped = engine_->Dump(options_.out_dir + "/" + r.file);
    r.dumped = dumped.ok();
    if (!dumped.ok()) {
      r.error = std::string(dumped.message());
      Warn(absl::StrCat("snapshot failed: ", r.error,
                        " (is the output directory writable and the disk "
                        "not full?); will keep trying"));
    } else {
      ++written_;
    }
    r.jemalloc = engine_->AllocatorStats();
  }
  r.wall_time_ns = WallNanos();
  r.mono_ns = MonotonicNanos();
  r.elapsed_s = (r.mono_ns - start_mono_ns_) / 1e9;
  bool proc_read = false;
  if (options_.memory_map) {
    const int64_t memory_start = MonotonicNanos();
    const int64_t memory_cpu_start = ThreadCpuNanos();
    MemoryFacts facts;
    if (vm != nullptr) vm->DescribeMemory(&facts);
    absl::StatusOr<std::string> memory =
        RecordMemory(options_.out_dir, r.seq, std::move(facts), r.jemalloc,
                     r.java.has_value() ? r.java->nmt_committed
                                        : std::map<std::string, int64_t>(),
                     origins_.load(), memory_start, memory_cpu_start, &r.proc);
    if (memory.ok()) {
      r.memory_file = *std::move(memory);
      proc_read = true;  // the same smaps read gave the totals
    } else {
      Warn(absl::StrCat("memory map: ", memory.status().message()));
    }
  }
  if (!proc_read) r.proc = ReadProcStats();
  absl::Status appended =
      AppendLine(options_.out_dir + "/timeline.jsonl", FormatTimelineLine(r));
  if (!appended.ok()) {
    Warn(absl::StrCat("timeline: ", appended.message()));
  }
  return r.dumped;
}

int Snapshotter::snapshots_written() const {
  std::lock_guard<std::mutex> lock(mu_);
  return written_;
}

bool Snapshotter::final_taken() const {
  std::lock_guard<std::mutex> lock(mu_);
  return final_taken_;
}

void Snapshotter::Warn(const std::string& message) {
  // Keyed on the start of the message so a repeated failure with a
  // different file name still prints once.
  std::lock_guard<std::mutex> lock(warn_mu_);
  if (!warned_.insert(message.substr(0, 40)).second) return;
  std::fprintf(stderr, "jleak agent: %s\n", message.c_str());
}

}  // namespace jleak::agent
