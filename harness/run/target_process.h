// File: target_process.h
//
// What `jleak attach` / `jleak snapshot` learn about a running process
// before touching it, from /proc alone (no signal, no ptrace):
//
//   - its PID as it sees itself (the last field of NSpid in
//     /proc/PID/status: a JVM in a container is PID 1 there);
//   - its effective uid and gid (files made for it are chowned to them);
//   - where its files are: "" when it shares jleak's mount namespace, else
//     "/proc/PID/root", the prefix through which jleak reaches the
//     container's /tmp, as jcmd does;
//   - whether it is a JVM (libjvm.so mapped), has jemalloc (a libjemalloc*
//     mapped) and jleak's agent (libjleak_agent.so mapped), and catches
//     SIGQUIT (HotSpot's attach trigger; a JVM run with -Xrs does not, and
//     SIGQUIT would kill it);
//   - its start time (field 22 of /proc/PID/stat), so a PID reused by
//     another process is not mistaken for the same one.
//
// Parsing is separate from reading, so it is tested on fixed text.

#ifndef JLEAK_HARNESS_RUN_TARGET_PROCESS_H_
#define JLEAK_HARNESS_RUN_TARGET_PROCESS_H_

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace jleak {

struct TargetProcess {
  pid_t pid = 0;     // as jleak sees it
  int ns_pid = 0;    // as the process sees itself
  uid_t uid = 0;     // effective
  gid_t gid = 0;     // effective
  std::string root;  // "" or "/proc/<pid>/root"
  std::string comm;  // short name (/proc/PID/comm)
  std::vector<std::string> cmdline;
  uint64_t start_ticks = 0;
  bool is_jvm = false;
  std::string jemalloc_path;  // as the process maps it; "" if none
  std::string agent_path;     // likewise
  bool catches_sigquit = false;
  // Its environment at exec time (NAME -> value), when readable.
  std::map<std::string, std::string> environ;

  // HostPath: `path` (as the process sees it) as jleak must open it.
  std::string HostPath(const std::string& path) const { return root + path; }
  bool SameMountNamespace() const { return root.empty(); }
};

// Parsers of /proc text (exposed for tests).
std::optional<int> ParseNsPid(absl::string_view status);
// Effective uid/gid: the second field of the Uid:/Gid: lines.
bool ParseEffectiveIds(absl::string_view status, uid_t* uid, gid_t* gid);
// Whether SigCgt has `signal`'s bit.
bool ParseCatchesSignal(absl::string_view status, int signal);
// Field 22 (starttime) of /proc/PID/stat; the command name may hold
// spaces and parentheses, so fields are counted after the last ')'.
std::optional<uint64_t> ParseStartTicks(absl::string_view stat);
// The first mapped file whose base name starts with `prefix` and has
// ".so" in it, e.g. ("libjemalloc", ...) -> "/opt/jleak/libjemalloc.so.2".
std::string FindMappedLibrary(absl::string_view maps, absl::string_view prefix);
// NUL-separated /proc/PID/cmdline or environ.
std::vector<std::string> SplitNulSeparated(absl::string_view text);

// InspectTarget reads everything above. Errors, each one sentence a user
// can act on: no such process (NotFound), not allowed to look at it
// (PermissionDenied: another user's process, or a hardened kernel).
absl::StatusOr<TargetProcess> InspectTarget(pid_t pid);

// StillRunning: `t` is alive and is the same process (same start time).
bool StillRunning(const TargetProcess& t);

}  // namespace jleak

#endif  // JLEAK_HARNESS_RUN_TARGET_PROCESS_H_
