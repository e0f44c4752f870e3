// File: process.h
//
// Process control for `jleak run`: start a workload without a shell in its
// own process group, supervise it (forward SIGINT/SIGTERM/SIGHUP, end it
// after --duration, kill it after --timeout, SIGTERM first and SIGKILL
// after a grace period), and make sure nothing it started outlives us:
//
//   - the child's group is killed once the child has exited;
//   - jleak is a child subreaper, so processes that left the group
//     (setsid, double fork) are reparented to jleak and killed at the end;
//   - the child gets PR_SET_PDEATHSIG=SIGKILL, so even `kill -9 jleak`
//     takes the workload down with it.
//
// Usage:
//   absl::StatusOr<Child> child = Child::Spawn(argv, envp);
//   SuperviseResult r = Supervise(*child, options);

#ifndef JLEAK_HARNESS_RUN_PROCESS_H_
#define JLEAK_HARNESS_RUN_PROCESS_H_

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace jleak {

// How a process ended, as waitpid(2) tells it.
struct ExitInfo {
  bool exited = false;  // exited normally with `code`
  int code = 0;
  int signal = 0;  // killed by this signal (when !exited)
  bool core_dumped = false;
};

// DescribeExit renders "exit 3", "signal 11 (SIGSEGV, core dumped)".
std::string DescribeExit(const ExitInfo& e);

// SignalName returns "SIGSEGV" for 11 etc.
std::string SignalName(int sig);

// Where the child's stdout and stderr go: jleak's own (-1) or these
// descriptors (e.g. OutputTee's pipes).
struct SpawnIo {
  int stdout_fd = -1;
  int stderr_fd = -1;
};

class Child {
 public:
  // Spawn starts argv[0] (searched in PATH of the *child's* environment
  // when it has no '/') with exactly `envp`. Errors: the program cannot
  // be found or executed (the message says which and why). Blocks
  // SIGINT, SIGTERM, SIGHUP and SIGCHLD in the caller so Supervise can
  // receive them synchronously; the child starts with them unblocked.
  static absl::StatusOr<Child> Spawn(const std::vector<std::string>& argv,
                                     const std::vector<std::string>& envp,
                                     const SpawnIo& io = {});

  pid_t pid() const { return pid_; }
  // SignalGroup sends `sig` to the child's process group.
  void SignalGroup(int sig) const;

 private:
  explicit Child(pid_t pid) : pid_(pid) {}
  pid_t pid_;
};

struct SuperviseOptions {
  double duration_s = 0;  // > 0: stop gracefully after this long
  double timeout_s = 0;   // > 0: the run may take no longer than this
  double grace_s = 10;    // between SIGTERM and SIGKILL
  // Called every `tick_s` seconds while the child runs (progress line).
  double tick_s = 0.5;
  std::function<void(double elapsed_s)> on_tick;
  // Called once before a graceful stop (duration, timeout): the launcher
  // asks the agent for its final snapshot there. It returns when the
  // snapshot is taken or gives up; the child is reaped meanwhile if it
  // exits. May be empty.
  std::function<void(double budget_s)> before_stop;
  // Optional log sink for "stopping: ..." lines.
  std::function<void(const std::string&)> log;
};

struct SuperviseResult {
  ExitInfo exit;
  // Why the workload ended: "exit" (on its own), "duration", "timeout",
  // or "signal SIGINT" (forwarded from the user).
  std::string ended_by;
  bool sent_sigkill = false;  // the grace period ran out
  double elapsed_s = 0;
  int leftover_processes_killed = 0;
};

// Supervise waits for `child` under `options` and cleans up its process
// group and any reparented descendants before returning.
SuperviseResult Supervise(const Child& child, const SuperviseOptions& options);

// KillDescendants SIGKILLs and reaps every process whose parent is this
// process (after the subreaper took them in). Returns how many.
int KillDescendants();

}  // namespace jleak

#endif  // JLEAK_HARNESS_RUN_PROCESS_H_
