// File: process.cc
//
// Spawning and supervising the workload (see process.h).

#include "harness/run/process.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace jleak {
namespace {

double Now() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

sigset_t SupervisedSignals() {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGCHLD}) sigaddset(&set, sig);
  return set;
}

// ParentPidOf reads field 4 of /proc/<pid>/stat ("pid (comm) state ppid"),
// skipping the command name, which may contain spaces and parentheses.
pid_t ParentPidOf(const std::string& pid) {
  std::ifstream in("/proc/" + pid + "/stat");
  std::stringstream text;
  text << in.rdbuf();
  const std::string s = text.str();
  size_t close = s.rfind(')');
  if (close == std::string::npos) return -1;
  std::vector<std::string> fields =
      absl::StrSplit(s.substr(close + 2), ' ', absl::SkipEmpty());
  int ppid = -1;
  if (fields.size() < 2 || !absl::SimpleAtoi(fields[1], &ppid)) return -1;
  return ppid;
}

// FindInPath resolves a program name like execvp would, but against the
// PATH of the child's environment, in the parent, so "not found" is an
// error message rather than a child exiting 127.
absl::StatusOr<std::string> FindProgram(const std::string& name,
                                        const std::vector<std::string>& envp) {
  if (name.empty()) return absl::InvalidArgumentError("empty command");
  if (name.find('/') != std::string::npos) {
    if (access(name.c_str(), X_OK) != 0) {
      return absl::NotFoundError(
          absl::StrCat("cannot run '", name, "': ", std::strerror(errno)));
    }
    return name;
  }
  std::string path = "/usr/local/bin:/usr/bin:/bin";
  for (const std::string& e : envp) {
    if (e.rfind("PATH=", 0) == 0) path = e.substr(5);
  }
  for (absl::string_view dir : absl::StrSplit(path, ':', absl::SkipEmpty())) {
    std::string candidate = absl::StrCat(dir, "/", name);
    struct stat st;
    if (stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
  }
  return absl::NotFoundError(
      absl::StrCat("cannot run '", name, "': not found in PATH"));
}

}  // namespace

std::string SignalName(int sig) {
  const char* abbrev = sigabbrev_np(sig);
  return abbrev ? absl::StrCat("SIG", abbrev) : absl::StrCat("signal ", sig);
}

std::string DescribeExit(const ExitInfo& e) {
  if (e.exited) return absl::StrCat("exit ", e.code);
  return absl::StrCat("signal ", e.signal, " (", SignalName(e.signal),
                      e.core_dumped ? ", core dumped" : "", ")");
}

absl::StatusOr<Child> Child::Spawn(const std::vector<std::string>& argv,
                                   const std::vector<std::string>& envp,
                                   const SpawnIo& io) {
  if (argv.empty()) return absl::InvalidArgumentError("no command to run");
  absl::StatusOr<std::string> program = FindProgram(argv[0], envp);
  if (!program.ok()) return program.status();

  // Everything the child needs is prepared before fork: after it, only
  // async-signal-safe calls are allowed.
  std::vector<char*> cargv, cenvp;
  for (const std::string& a : argv)
    cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  for (const std::string& e : envp)
    cenvp.push_back(const_cast<char*>(e.c_str()));
  cenvp.push_back(nullptr);

  // Orphans that leave the process group are reparented to us, not init.
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  sigset_t block = SupervisedSignals(), old_mask;
  sigprocmask(SIG_BLOCK, &block, &old_mask);

  int report[2];
  if (pipe2(report, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("pipe: ", std::strerror(errno)));
  }
  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    int err = errno;
    close(report[0]);
    close(report[1]);
    return absl::ResourceExhaustedError(
        absl::StrCat("fork: ", std::strerror(err)));
  }
  if (pid == 0) {
    close(report[0]);
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);  // jleak died before prctl
    sigprocmask(SIG_SETMASK, &old_mask, nullptr);
    sigprocmask(SIG_UNBLOCK, &block, nullptr);
    if ((io.stdout_fd < 0 || dup2(io.stdout_fd, STDOUT_FILENO) >= 0) &&
        (io.stderr_fd < 0 || dup2(io.stderr_fd, STDERR_FILENO) >= 0)) {
      execve(program->c_str(), cargv.data(), cenvp.data());
    }
    int err = errno;  // of dup2 or execve
    ssize_t ignored = write(report[1], &err, sizeof err);
    (void)ignored;
    _exit(127);
  }
  setpgid(pid, pid);  // also in the parent: no race with SignalGroup
  close(report[1]);
  int err = 0;
  ssize_t n;
  do {
    n = read(report[0], &err, sizeof err);
  } while (n < 0 && errno == EINTR);
  close(report[0]);
  if (n == sizeof err) {
    waitpid(pid, nullptr, 0);
    return absl::FailedPreconditionError(
        absl::StrCat("cannot execute '", *program, "': ", std::strerror(err)));
  }
  return Child(pid);
}

void Child::SignalGroup(int sig) const { kill(-pid_, sig); }

int KillDescendants() {
  int killed = 0;
  const pid_t self = getpid();
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return 0;
  while (dirent* e = readdir(proc)) {
    int pid = 0;
    if (!absl::SimpleAtoi(e->d_name, &pid)) continue;
    if (ParentPidOf(e->d_name) == self && kill(pid, SIGKILL) == 0) ++killed;
  }
  closedir(proc);
  // Reap them (and any other exited children).
  while (waitpid(-1, nullptr, WNOHANG) > 0) {
  }
  return killed;
}

SuperviseResult Supervise(const Child& child, const SuperviseOptions& options) {
  enum class Phase { kRunning, kTerminating, kKilled };
  SuperviseResult result;
  const double start = Now();
  Phase phase = Phase::kRunning;
  double kill_at = 0;
  double next_tick = start;
  const sigset_t signals = SupervisedSignals();
  auto log = [&](const std::string& line) {
    if (options.log) options.log(line);
  };
  auto terminate = [&](int sig, const std::string& why) {
    log(absl::StrCat("stopping the workload (", why, "): ", SignalName(sig),
                     ", then SIGKILL after ", options.grace_s, " s"));
    child.SignalGroup(sig);
    phase = Phase::kTerminating;
    kill_at = Now() + options.grace_s;
  };
  auto graceful_stop = [&](const std::string& why) {
    result.ended_by = why;
    if (options.before_stop) {
      options.before_stop(std::min(options.grace_s, 15.0));
    }
    terminate(SIGTERM, why);
  };

  // A signal jleak was started with ignored (SIGINT for a background job
  // of a script, SIGHUP under nohup) is ignored by the workload too, which
  // inherits it: forwarding it would only lead to SIGKILL after the grace
  // period. It is not acted on, as any program would not.
  sigset_t ignored_at_start;
  sigemptyset(&ignored_at_start);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
    struct sigaction action;
    if (sigaction(sig, nullptr, &action) == 0 && action.sa_handler == SIG_IGN) {
      sigaddset(&ignored_at_start, sig);
    }
  }

  int status = 0;
  for (;;) {
    pid_t done = waitpid(child.pid(), &status, WNOHANG);
    if (done == child.pid()) break;
    const double now = Now();
    const double elapsed = now - start;
    if (phase == Phase::kRunning) {
      if (options.timeout_s > 0 && elapsed >= options.timeout_s) {
        graceful_stop("timeout");
        continue;
      }
      if (options.duration_s > 0 && elapsed >= options.duration_s) {
        graceful_stop("duration");
        continue;
      }
    } else if (phase == Phase::kTerminating && now >= kill_at) {
      log("the workload ignored SIGTERM; sending SIGKILL");
      child.SignalGroup(SIGKILL);
      result.sent_sigkill = true;
      phase = Phase::kKilled;
    }
    if (options.on_tick && now >= next_tick) {
      options.on_tick(elapsed);
      next_tick = now + options.tick_s;
    }
    timespec wait = {0, 100 * 1000 * 1000};
    siginfo_t info;
    int sig = sigtimedwait(&signals, &info, &wait);
    if ((sig == SIGINT || sig == SIGTERM || sig == SIGHUP) &&
        !sigismember(&ignored_at_start, sig)) {
      if (phase == Phase::kRunning) {
        result.ended_by = absl::StrCat("signal ", SignalName(sig));
        terminate(sig, absl::StrCat("jleak got ", SignalName(sig)));
      } else {
        // A second request: the user is out of patience.
        log("second signal: sending SIGKILL");
        child.SignalGroup(SIGKILL);
        result.sent_sigkill = true;
        phase = Phase::kKilled;
      }
    }
  }
  result.elapsed_s = Now() - start;
  if (result.ended_by.empty()) result.ended_by = "exit";
  if (WIFEXITED(status)) {
    result.exit.exited = true;
    result.exit.code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.exit.signal = WTERMSIG(status);
    result.exit.core_dumped = WCOREDUMP(status);
  }
  // The workload is gone; whatever it left behind goes too.
  child.SignalGroup(SIGKILL);
  result.leftover_processes_killed = KillDescendants();
  return result;
}

}  // namespace jleak
