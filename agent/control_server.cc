// File: control_server.cc
//
// Taking and serving a standby agent's requests (see control_server.h).

#include "agent/control_server.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "agent/agent_report.h"
#include "agent/control_protocol.h"
#include "agent/snapshot_loop.h"
#include "agent/snapshotter.h"

namespace jleak::agent {
namespace {

// ControlDirTrusted: whether requests in `dir` may be obeyed (see
// CheckControlDirTrusted). The reason it is not is said once.
bool ControlDirTrusted(const std::string& dir) {
  absl::Status st = CheckControlDirTrusted(dir, geteuid());
  if (st.ok()) return true;
  static bool warned = false;
  if (!absl::IsNotFound(st) && !warned) {  // not found: no jleak yet
    warned = true;
    Say(absl::StrCat("ignoring control directory ", dir, ": ", st.message()));
  }
  return false;
}

// TakeRequest returns the pending request, if any, and removes its file.
std::optional<ControlRequest> TakeRequest(AgentState& s) {
  const std::string path = s.control_dir + "/" + kControlRequestName;
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return std::nullopt;  // the usual case
  if (!ControlDirTrusted(s.control_dir)) return std::nullopt;
  std::string text;
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd >= 0) {
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0) text.assign(buf, n);
    close(fd);
  }
  unlink(path.c_str());
  absl::StatusOr<ControlRequest> request = ParseControlRequest(text);
  if (!request.ok()) {
    Say(absl::StrCat("ignoring a bad request in ", path, ": ",
                     request.status().message()));
    return std::nullopt;
  }
  return *request;
}

// NewSnapshotter makes the snapshotter of one request: the agent's options
// with the request's directory, interval and GC setting.
std::shared_ptr<Snapshotter> NewSnapshotter(AgentState& s,
                                            const ControlRequest& r,
                                            bool baseline) {
  AgentOptions o = s.options;
  o.standby = false;
  o.control_dir.clear();
  o.out_dir = r.out_dir;
  o.interval_seconds = r.interval_seconds;
  o.force_gc = r.force_gc;
  o.baseline = baseline;
  AgentState* raw = &s;
  return std::make_shared<Snapshotter>(o, s.engine.get(),
                                       [raw] { raw->perf_map.Flush(); });
}

// StopSampling: the engine's sampling off.
void StopSampling(AgentState& s) {
  if (absl::Status st = s.engine->Deactivate(); !st.ok()) {
    Say(absl::StrCat("could not turn sampling off: ", st.message()));
  }
}

// StartSampling: an empty profile sampled every 2^lg_sample bytes from now
// (CaptureEngine::Reset, Activate). On failure sampling is left off, and
// the error says so.
absl::Status StartSampling(AgentState& s, int lg_sample) {
  absl::Status st = s.engine->Reset(lg_sample);
  if (st.ok()) st = s.engine->Activate();
  if (!st.ok()) {
    StopSampling(s);
    return absl::Status(st.code(),
                        absl::StrCat("cannot start sampling: ", st.message()));
  }
  return absl::OkStatus();
}

bool Collecting(AgentState& s) {
  std::lock_guard<std::mutex> lock(s.mu);
  return s.collecting;
}

// ServeSession: `jleak attach`. Sampling is on only inside this function.
void ServeSession(AgentState& s, JvmHooks& jvm, const ControlRequest& r) {
  std::shared_ptr<Snapshotter> snap = NewSnapshotter(s, r, /*baseline=*/true);
  if (s.engine == nullptr) {
    WriteAgentReport(s, *snap, true);  // status inconclusive, with the reason
    return;
  }
  if (Collecting(s)) {
    WriteAgentReport(
        s, *snap, true,
        "sampling was left on by `jleak snapshot` (a collection is under "
        "way); end it first with `jleak snapshot --stop`");
    return;
  }
  if (absl::Status st = StartSampling(s, r.lg_sample); !st.ok()) {
    WriteAgentReport(s, *snap, true, std::string(st.message()));
    return;
  }
  {
    std::lock_guard<std::mutex> lock(s.mu);
    s.session_active = true;
    s.snapshotter = snap;
  }
  jvm.SetJitEvents(true, r.out_dir);
  const Wake wake = SnapshotLoop(s, *snap, jvm.Probe(),
                                 [&jvm, snap] { jvm.AfterSnapshot(*snap); });
  StopSampling(s);
  jvm.SetJitEvents(false, "");
  {
    std::lock_guard<std::mutex> lock(s.mu);
    s.session_active = false;
  }
  if (wake == Wake::kAbandoned) {
    Say("the jleak that attached went away; sampling is off again");
  }
  WriteAgentReport(s, *snap, true);
}

// ServeSnapshot: `jleak snapshot` (one snapshot, sampling left on) and
// `jleak snapshot --stop` (a final one, sampling off).
void ServeSnapshot(AgentState& s, JvmHooks& jvm, const ControlRequest& r) {
  std::shared_ptr<Snapshotter> snap = NewSnapshotter(s, r, /*baseline=*/false);
  if (s.engine == nullptr) {
    WriteAgentReport(s, *snap, true);
    return;
  }
  const bool collecting = Collecting(s);
  std::string kind = "interval";
  if (r.action == ControlAction::kStop) {
    if (!collecting) {
      WriteAgentReport(s, *snap, true,
                       "sampling is not on: there is no collection to stop");
      return;
    }
    kind = "final";
  } else if (!collecting) {
    if (absl::Status st = StartSampling(s, r.lg_sample); !st.ok()) {
      WriteAgentReport(s, *snap, true, std::string(st.message()));
      return;
    }
    std::lock_guard<std::mutex> lock(s.mu);
    s.collecting = true;
    s.collecting_since_ns = WallNanos();
    kind = "baseline";
  }
  jvm.SetJitEvents(true, r.out_dir);
  snap->Take(kind, jvm.Probe());
  jvm.AfterSnapshot(*snap);
  jvm.SetJitEvents(false, "");
  if (r.action == ControlAction::kStop) {
    StopSampling(s);
    std::lock_guard<std::mutex> lock(s.mu);
    s.collecting = false;
  }
  WriteAgentReport(s, *snap, true);
}

}  // namespace

bool ServeNextRequest(AgentState& s, JvmHooks& jvm) {
  std::optional<ControlRequest> r = TakeRequest(s);
  if (!r) return false;
  {
    std::lock_guard<std::mutex> lock(s.mu);
    s.request = *r;
  }
  if (r->action == ControlAction::kSession) {
    ServeSession(s, jvm, *r);
  } else {
    ServeSnapshot(s, jvm, *r);
  }
  return true;
}

void ControlLoop(AgentState& s, JvmHooks& jvm) {
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(s.mu);
      const int64_t deadline =
          s.clock->NowNanos() + int64_t{kStandbyPollMs} * 1000000;
      while (!s.stop && s.clock->NowNanos() < deadline) {
        s.clock->WaitUntil(lock, s.cv, deadline);
      }
      if (s.stop) return;
    }
    ServeNextRequest(s, jvm);
  }
}

}  // namespace jleak::agent
