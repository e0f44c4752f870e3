// File: confine.cc
//
// Opening a target's handles as root and entering it as its user in a
// forked helper (see confine.h).

#include "harness/run/confine.h"

#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "harness/run/broker_protocol.h"

namespace jleak {
namespace {

absl::Status Errno(absl::string_view what, int err = errno) {
  const std::string message = absl::StrCat(what, ": ", std::strerror(err));
  if (err == EACCES || err == EPERM) {
    return absl::PermissionDeniedError(message);
  }
  if (err == ESRCH || err == ENOENT) return absl::NotFoundError(message);
  return absl::UnavailableError(message);
}

// SameFile: two fds name the same inode (two mount namespaces compare so).
bool SameFile(int a, int b) {
  struct stat sa, sb;
  return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
         sa.st_ino == sb.st_ino;
}

// CloseAllBut closes every descriptor above 2 that is not in `keep`: the
// helper must hold nothing of jleak's but what it was given.
void CloseAllBut(std::vector<int> keep) {
  std::sort(keep.begin(), keep.end());
  unsigned int from = 3;
  for (int fd : keep) {
    if (fd < 3) continue;
    if (static_cast<unsigned int>(fd) > from) {
      syscall(SYS_close_range, from, static_cast<unsigned int>(fd) - 1, 0);
    }
    from = static_cast<unsigned int>(fd) + 1;
  }
  syscall(SYS_close_range, from, ~0U, 0);
}

bool SetgroupsDenied() {
  char buf[16] = {};
  const int fd = open("/proc/self/setgroups", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  return n > 0 && std::strncmp(buf, "deny", 4) == 0;
}

}  // namespace

void TargetHandles::Close() {
  for (int* fd : {&pidfd, &root_fd, &cwd_fd, &mnt_fd}) {
    if (*fd >= 0) close(*fd);
    *fd = -1;
  }
}

absl::StatusOr<TargetHandles> OpenTargetHandles(const TargetProcess& target) {
  TargetHandles h;
  h.pid = target.pid;
  h.uid = target.uid;
  h.gid = target.gid;
  const long pidfd = syscall(SYS_pidfd_open, target.pid, 0);
  if (pidfd < 0) {
    return Errno(absl::StrCat("cannot open process ", target.pid));
  }
  h.pidfd = static_cast<int>(pidfd);
  const std::string proc = absl::StrCat("/proc/", target.pid);
  const int proc_fd =
      open(proc.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (proc_fd < 0) {
    const absl::Status st = Errno(absl::StrCat("cannot open ", proc));
    h.Close();
    return st;
  }
  // The magic links of /proc/PID are opened by the kernel's own rules
  // (ptrace access), not by resolving anything the target wrote.
  h.root_fd = openat(proc_fd, "root", O_PATH | O_DIRECTORY | O_CLOEXEC);
  const int root_err = errno;
  h.cwd_fd = openat(proc_fd, "cwd", O_PATH | O_DIRECTORY | O_CLOEXEC);
  const int theirs = openat(proc_fd, "ns/mnt", O_RDONLY | O_CLOEXEC);
  close(proc_fd);
  const int mine = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
  if (theirs >= 0 && mine >= 0 && !SameFile(theirs, mine)) {
    h.mnt_fd = theirs;
  } else if (theirs >= 0) {
    close(theirs);
  }
  if (mine >= 0) close(mine);
  if (h.root_fd < 0) {
    const absl::Status st = Errno(
        absl::StrCat("cannot open the root directory of process ", target.pid),
        root_err);
    h.Close();
    return st;
  }
  // A PID is not reused while its process lives: if the pidfd's process
  // still runs now and has the start time inspected, every fd above is
  // of that process.
  if (syscall(SYS_pidfd_send_signal, h.pidfd, 0, nullptr, 0) != 0 ||
      !StillRunning(target)) {
    h.Close();
    return absl::NotFoundError(absl::StrCat("process ", target.pid,
                                            " exited (or its PID was reused)"));
  }
  return h;
}

absl::StatusOr<int> EnterTarget(const TargetHandles& h) {
  if (geteuid() != 0) {
    const int fd = dup(h.root_fd);
    if (fd < 0) return Errno("dup");
    return fd;
  }
  // Read while /proc is still this namespace's.
  const bool setgroups_denied = SetgroupsDenied();
  if (h.mnt_fd >= 0 && setns(h.mnt_fd, CLONE_NEWNS) != 0) {
    return Errno("cannot enter the target's mount namespace");
  }
  if (fchdir(h.root_fd) != 0 || chroot(".") != 0 || chdir("/") != 0) {
    return Errno("cannot enter the target's root directory");
  }
  // In a user namespace whose setgroups(2) is denied (Bazel's sandbox),
  // nobody can change the groups: the ones held stay, as they must.
  if (setgroups(0, nullptr) != 0 && !(errno == EPERM && setgroups_denied)) {
    return Errno("cannot drop supplementary groups");
  }
  if (setresgid(h.gid, h.gid, h.gid) != 0 ||
      setresuid(h.uid, h.uid, h.uid) != 0) {
    return Errno(absl::StrCat("cannot become the target's user (uid ", h.uid,
                              ", gid ", h.gid, ")"));
  }
  if (h.uid != 0 && (setresuid(0, 0, 0) == 0 || setegid(0) == 0)) {
    return absl::InternalError("dropped privileges could be regained");
  }
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
      prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0 ||
      prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) {
    return Errno("prctl");
  }
  // libdw would ask these servers for debug files of the target's code.
  unsetenv("DEBUGINFOD_URLS");
  const int fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Errno("cannot open the target's root");
  return fd;
}

absl::StatusOr<Helper> StartHelper(const TargetHandles& handles,
                                   const std::function<void(int, int)>& serve) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    return Errno("socketpair");
  }
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    const absl::Status st = Errno("fork");
    close(sv[0]);
    close(sv[1]);
    return st;
  }
  if (pid == 0) {
    close(sv[0]);
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE}) {
      signal(sig, SIG_IGN);
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    if (getppid() != parent) _exit(1);
    CloseAllBut({sv[1], handles.pidfd, handles.root_fd, handles.cwd_fd,
                 handles.mnt_fd});
    absl::StatusOr<int> root = EnterTarget(handles);
    if (!root.ok()) {
      WriteBrokerMessage(sv[1], ErrorReply(root.status())).IgnoreError();
      _exit(1);
    }
    if (getppid() != parent) _exit(1);
    if (!WriteBrokerMessage(sv[1], OkReply()).ok()) _exit(1);
    serve(sv[1], *root);
    _exit(0);
  }
  close(sv[1]);
  return Helper{pid, sv[0]};
}

absl::Status AwaitHelperReady(const Helper& helper) {
  absl::StatusOr<BrokerMessage> hello = ReadBrokerMessage(
      helper.socket, 64 << 10, absl::Now() + absl::Seconds(30));
  if (!hello.ok()) return hello.status();
  return ReplyStatus(*hello);
}

absl::StatusOr<BrokerMessage> CallHelper(Helper* helper,
                                         const BrokerMessage& request,
                                         uint64_t max_reply,
                                         absl::Duration timeout) {
  if (helper->socket < 0) {
    return absl::FailedPreconditionError("jleak's helper is gone");
  }
  absl::Status st = WriteBrokerMessage(helper->socket, request);
  // The fields' lengths and count come on top of their bytes.
  absl::StatusOr<BrokerMessage> reply =
      st.ok() ? ReadBrokerMessage(helper->socket, max_reply + 4096,
                                  absl::Now() + timeout)
              : absl::StatusOr<BrokerMessage>(st);
  if (!reply.ok()) {
    StopHelper(helper);
    return reply.status();
  }
  if (absl::Status rs = ReplyStatus(*reply); !rs.ok()) return rs;
  return reply;
}

void StopHelper(Helper* helper) {
  if (helper->socket >= 0) close(helper->socket);
  helper->socket = -1;
  if (helper->pid <= 0) return;
  for (int i = 0; i < 100; ++i) {
    int status = 0;
    const pid_t r = waitpid(helper->pid, &status, WNOHANG);
    if (r == helper->pid || (r < 0 && errno != EINTR)) {
      helper->pid = -1;
      return;
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  kill(helper->pid, SIGKILL);
  while (waitpid(helper->pid, nullptr, 0) < 0 && errno == EINTR) {
  }
  helper->pid = -1;
}

}  // namespace jleak
