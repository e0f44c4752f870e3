// File: confine.h
//
// Privilege separation for what root jleak does to a process it did not
// start (see docs/security.md). Root opens the few handles it needs while
// it still may (a pidfd, the target's root and working directory, its
// mount namespace), proves with the pidfd that they all belong to the
// process it inspected, and forks a helper that enters the target's mount
// namespace and root and becomes the target's user:
//
//   absl::StatusOr<TargetHandles> h = OpenTargetHandles(target);
//   absl::StatusOr<Helper> helper = StartHelper(*h, [&](int sock, int root) {
//     ... serve requests on `sock`, as the target's user, in its root ...
//   });
//
// The kernel then allows the helper exactly what the target's user could
// do anyway (HotSpot's jcmd does the same as root, and its attach
// listener demands it: a JVM in a user namespace refuses host root). The
// helper's uid is the target's as this (the host's) namespace sees it: in
// a user namespace created by root, that is the uid mapped to the JVM's
// own, which is what the JVM's SO_PEERCRED check wants.
//
// A jleak that is not root runs the helper as itself (it can only be the
// target's user: /proc refuses everyone else), without entering anything;
// the helper then reaches the target's files through its root fd with
// openat2(RESOLVE_IN_ROOT).

#ifndef JLEAK_HARNESS_RUN_CONFINE_H_
#define JLEAK_HARNESS_RUN_CONFINE_H_

#include <sys/types.h>

#include <functional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "harness/run/broker_protocol.h"
#include "harness/run/target_process.h"

namespace jleak {

// File descriptors of one running process, opened by root before the
// helper drops its privileges. -1 where absent (cwd may be unreadable;
// mnt_fd is -1 when the target shares jleak's mount namespace).
struct TargetHandles {
  int pidfd = -1;
  int root_fd = -1;  // O_PATH, its "/"
  int cwd_fd = -1;   // O_PATH, its working directory
  int mnt_fd = -1;   // its mount namespace
  uid_t uid = 0;
  gid_t gid = 0;
  pid_t pid = 0;

  void Close();
};

// OpenTargetHandles opens `target`'s handles and checks, through the
// pidfd, that the process is still the one inspected (a recycled PID is
// refused).
absl::StatusOr<TargetHandles> OpenTargetHandles(const TargetProcess& target);

// A helper process and jleak's end of the socket to it.
struct Helper {
  pid_t pid = -1;
  int socket = -1;
};

// StartHelper forks a helper that enters the target (EnterTarget) and then
// runs `serve(socket, root_fd)`; it exits when `serve` returns. `handles` stay
// open in the caller. The helper ignores SIGINT/SIGTERM/SIGHUP (jleak ends it)
// and dies with jleak (PR_SET_PDEATHSIG). A helper that cannot enter the
// target writes one error reply (broker_protocol.h) and exits; the caller
// reads it with AwaitHelperReady.
absl::StatusOr<Helper> StartHelper(const TargetHandles& handles,
                                   const std::function<void(int, int)>& serve);

// AwaitHelperReady reads the helper's first message: OK once it stands in
// the target as its user, else why it could not.
absl::Status AwaitHelperReady(const Helper& helper);

// CallHelper sends `request` and reads the reply, at most `max_reply`
// bytes of fields, by `timeout`. A helper that does not answer in time, or
// sends something malformed, is in an unknown state: it is stopped, and
// later calls fail at once. An error reply becomes its status.
absl::StatusOr<BrokerMessage> CallHelper(Helper* helper,
                                         const BrokerMessage& request,
                                         uint64_t max_reply,
                                         absl::Duration timeout);

// StopHelper closes the socket (the helper sees EOF and exits), waits a
// moment, then kills it; never leaves it running.
void StopHelper(Helper* helper);

// EnterTarget, in a fresh single-threaded child: setns(2) into the
// target's mount namespace, chroot(2) to its root, then setgroups(0),
// setresgid, setresuid to the target's ids, PR_SET_NO_NEW_PRIVS, not
// dumpable (so the target's user cannot ptrace the helper), and
// PR_SET_PDEATHSIG again (cleared by the id change). Verifies that root
// cannot be regained. Returns the helper's new root as an O_PATH fd
// (the target's root fd itself when jleak is not root).
absl::StatusOr<int> EnterTarget(const TargetHandles& handles);

}  // namespace jleak

#endif  // JLEAK_HARNESS_RUN_CONFINE_H_
