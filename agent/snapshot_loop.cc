// File: snapshot_loop.cc
//
// Waiting between snapshots and the loop over them (see snapshot_loop.h).

#include "agent/snapshot_loop.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <mutex>
#include <string>

#include "agent/agent_report.h"
#include "agent/control_protocol.h"

namespace jleak::agent {
namespace {

constexpr int64_t kNanosPerMs = 1000000;

// LeaseLost: in a standby session, whether the jleak that asked for it is
// gone (its flock on the control lock was dropped with it).
bool LeaseLost(const std::string& control_dir) {
  const std::string path = control_dir + "/" + kControlLockName;
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return true;
  bool lost = false;
  if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
    lost = true;
    flock(fd, LOCK_UN);
  }
  close(fd);
  return lost;
}

bool FinalRequested(const Snapshotter& snap) {
  struct stat st;
  return stat((snap.options().out_dir + "/" + kFinalRequestName).c_str(),
              &st) == 0;
}

// WaitForNextSnapshot sleeps up to one interval, looking every kPollMs for
// the final request and the stop flag. Returns what ended the wait.
Wake WaitForNextSnapshot(AgentState& s, const Snapshotter& snap) {
  LoopClock& clock = *s.clock;
  const int64_t start = clock.NowNanos();
  // In whole microseconds, as the interval always was.
  const int64_t deadline =
      start +
      static_cast<int64_t>(snap.options().interval_seconds * 1e6) * 1000;
  int64_t next_lease_check = start + kLeaseCheckMs * kNanosPerMs;
  std::unique_lock<std::mutex> lock(s.mu);
  while (!s.stop) {
    if (FinalRequested(snap)) return Wake::kFinal;
    const int64_t now = clock.NowNanos();
    if (s.options.standby && now >= next_lease_check) {
      if (LeaseLost(s.control_dir)) return Wake::kAbandoned;
      next_lease_check = now + kLeaseCheckMs * kNanosPerMs;
    }
    if (now >= deadline) return Wake::kInterval;
    clock.WaitUntil(lock, s.cv,
                    std::min(deadline, now + kPollMs * kNanosPerMs));
  }
  return Wake::kStop;
}

}  // namespace

Wake SnapshotLoop(AgentState& s, Snapshotter& snap, VmProbe* vm,
                  const std::function<void()>& after_snapshot) {
  if (snap.options().baseline) {
    snap.Take("baseline", vm);
    if (after_snapshot) after_snapshot();
  }
  WriteAgentReport(s, snap, false);
  for (;;) {
    const Wake wake = WaitForNextSnapshot(s, snap);
    switch (wake) {
      case Wake::kInterval:
        snap.Take("interval", vm);
        if (after_snapshot) {
          after_snapshot();
          WriteAgentReport(s, snap, false);  // fresh counts if the JVM dies
        }
        break;
      case Wake::kFinal:
        snap.Take("final", vm);
        if (after_snapshot) after_snapshot();
        // A standby session is finished once its server has turned
        // sampling off, and says so then: jleak, which copies out at the
        // first "finished", must find sampling off.
        WriteAgentReport(s, snap, !s.options.standby);
        return wake;
      case Wake::kStop:
      case Wake::kAbandoned:
        return wake;
    }
  }
}

}  // namespace jleak::agent
