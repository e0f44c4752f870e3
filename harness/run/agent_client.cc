// File: agent_client.cc
//
// The client of a standby agent's control directory (see agent_client.h).

#include "harness/run/agent_client.h"

#include <dirent.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "harness/io/file_io.h"

extern char** environ;

namespace jleak {
namespace {

using agent::ControlAction;
using agent::ControlRequest;

// A flock that another holder has just dropped can still be seen held for
// an instant (the agent tests the lease with LOCK_SH): retry briefly.
constexpr int kLockAttempts = 4;

absl::Status Errno(const std::string& what, const std::string& path) {
  const int err = errno;
  std::string message = absl::StrCat(what, " ", path, ": ", std::strerror(err));
  if (err == EACCES || err == EPERM) {
    return absl::PermissionDeniedError(message);
  }
  if (err == EROFS) {
    return absl::FailedPreconditionError(absl::StrCat(
        message,
        " (the target's /tmp is read-only: give the JVM a writable "
        "/tmp, e.g. an emptyDir or tmpfs, or use --control-dir)"));
  }
  return absl::UnavailableError(message);
}

// CopyFile copies `from` to `to` (replaced atomically), mode `mode`.
absl::Status CopyFile(const std::string& from, const std::string& to,
                      mode_t mode) {
  absl::StatusOr<std::string> text = ReadFileToString(from);
  if (!text.ok()) return text.status();
  absl::Status st = WriteFileAtomically(to, *text);
  if (!st.ok()) return st;
  chmod(to.c_str(), mode);
  return absl::OkStatus();
}

std::string NewId() {
  return absl::StrCat(getpid(), "-",
                      absl::ToUnixMillis(absl::Now()) % 100000000);
}

std::vector<std::string> ListFiles(const std::string& dir) {
  std::vector<std::string> names;
  std::unique_ptr<DIR, int (*)(DIR*)> d(opendir(dir.c_str()), closedir);
  if (d == nullptr) return names;
  while (dirent* e = readdir(d.get())) {
    if (std::strcmp(e->d_name, ".") && std::strcmp(e->d_name, "..")) {
      names.emplace_back(e->d_name);
    }
  }
  return names;
}

}  // namespace

absl::StatusOr<std::unique_ptr<AgentClient>> AgentClient::Connect(
    const TargetProcess& target, const std::string& control_dir) {
  const std::string host_dir = target.HostPath(control_dir);
  if (mkdir(host_dir.c_str(), 0700) == 0) {
    if (geteuid() == 0 && chown(host_dir.c_str(), target.uid, target.gid)) {
      return Errno("cannot give to the JVM's user", host_dir);
    }
  } else if (errno != EEXIST) {
    return Errno("cannot create the control directory", host_dir);
  }
  struct stat st;
  if (lstat(host_dir.c_str(), &st) != 0) {
    return Errno("cannot stat", host_dir);
  }
  if (!S_ISDIR(st.st_mode) || (st.st_uid != target.uid && st.st_uid != 0) ||
      (st.st_mode & 022) != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "refusing control directory ", host_dir, ": not a directory of uid ",
        target.uid, " (or root) with mode 0700; remove it and try again"));
  }
  const std::string lock = host_dir + "/" + agent::kControlLockName;
  int fd = open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return Errno("cannot open", lock);
  // The agent tests the lock with its own uid: it must be able to open it.
  if (geteuid() == 0 && fchown(fd, target.uid, target.gid) != 0) {
    const absl::Status st = Errno("cannot give to the JVM's user", lock);
    close(fd);
    return st;
  }
  for (int attempt = 0;; ++attempt) {
    if (flock(fd, LOCK_EX | LOCK_NB) == 0) break;
    if (errno != EWOULDBLOCK || attempt + 1 >= kLockAttempts) {
      const bool busy = errno == EWOULDBLOCK;
      close(fd);
      if (busy) {
        return absl::FailedPreconditionError(
            absl::StrCat("another jleak is attached to process ", target.pid,
                         " (", lock, " is locked); wait until it ends"));
      }
      return Errno("cannot lock", lock);
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
  // Holding the lock, any output directory here is a leftover of a jleak
  // that was killed: nobody will copy it out.
  for (const std::string& name : ListFiles(host_dir)) {
    if (name.rfind("s-", 0) != 0) continue;
    const std::string stale = host_dir + "/" + name;
    for (const std::string& f : ListFiles(stale)) {
      unlink((stale + "/" + f).c_str());
    }
    rmdir(stale.c_str());
  }
  return std::unique_ptr<AgentClient>(new AgentClient(target, control_dir, fd));
}

AgentClient::~AgentClient() {
  if (lock_fd_ >= 0) close(lock_fd_);
}

void AgentClient::Own(const std::string& host_path) const {
  if (geteuid() == 0) {
    if (chown(host_path.c_str(), target_.uid, target_.gid) != 0) {
      // The agent will say it cannot write there; nothing more to do here.
    }
  }
}

absl::StatusOr<ControlRequest> AgentClient::NewRequest(ControlAction action) {
  ControlRequest r;
  r.id = NewId();
  r.action = action;
  r.out_dir = absl::StrCat(control_dir_, "/s-", r.id);
  const std::string host = target_.HostPath(r.out_dir);
  if (mkdir(host.c_str(), 0700) != 0) {
    return Errno("cannot create", host);
  }
  Own(host);
  return r;
}

absl::Status AgentClient::Send(const ControlRequest& request) {
  const std::string path = target_.HostPath(
      absl::StrCat(control_dir_, "/", agent::kControlRequestName));
  const std::string tmp = path + ".tmp";
  const std::string text = agent::FormatControlRequest(request);
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Errno("cannot write", tmp);
  const bool ok = WriteAll(fd, text.data(), text.size());
  if (geteuid() == 0) {
    // The agent removes the file once read.
    if (fchown(fd, target_.uid, target_.gid) != 0) {
    }
  }
  close(fd);
  if (!ok || rename(tmp.c_str(), path.c_str()) != 0) {
    unlink(tmp.c_str());
    return Errno("cannot write", path);
  }
  return absl::OkStatus();
}

std::optional<nlohmann::json> AgentClient::Answer(const ControlRequest& request,
                                                  bool finished) const {
  absl::StatusOr<std::string> text = ReadFileToString(target_.HostPath(
      absl::StrCat(request.out_dir, "/", agent::kAgentReportName)));
  if (!text.ok()) return std::nullopt;
  nlohmann::json j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  auto standby = j.find("standby");
  if (standby == j.end() || !standby->is_object()) return std::nullopt;
  auto req = standby->find("request");
  if (req == standby->end() || !req->is_object() ||
      req->value("id", "") != request.id) {
    return std::nullopt;
  }
  if (finished && !j.value("finished", false)) return std::nullopt;
  return j;
}

absl::StatusOr<nlohmann::json> AgentClient::WaitForAnswer(
    const ControlRequest& request, bool finished, double timeout_s) {
  const absl::Time deadline = absl::Now() + absl::Seconds(timeout_s);
  for (;;) {
    if (std::optional<nlohmann::json> j = Answer(request, finished)) return *j;
    if (!StillRunning(target_)) {
      return absl::AbortedError(
          absl::StrCat("process ", target_.pid, " exited"));
    }
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("the jleak agent in process ", target_.pid,
                       " did not answer within ", timeout_s, " s"));
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
}

absl::Status AgentClient::RequestFinal(const ControlRequest& request) {
  const std::string path = target_.HostPath(
      absl::StrCat(request.out_dir, "/", agent::kFinalRequestName));
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Errno("cannot write", path);
  close(fd);
  return absl::OkStatus();
}

int AgentClient::CopyOut(const ControlRequest& request,
                         const std::string& local_dir) {
  const std::string from = target_.HostPath(request.out_dir);
  for (const std::string& name : ListFiles(from)) {
    if (name == agent::kFinalRequestName || absl::EndsWith(name, ".tmp")) {
      continue;
    }
    const bool snapshot = absl::EndsWith(name, ".heap");
    if (snapshot && copied_.count(name)) continue;
    if (snapshot) {
      // A .heap file is whole only once the timeline lists it.
      absl::StatusOr<std::string> timeline =
          ReadFileToString(from + "/timeline.jsonl");
      if (!timeline.ok() ||
          !absl::StrContains(*timeline, absl::StrCat("\"", name, "\""))) {
        continue;
      }
    }
    if (CopyFile(from + "/" + name, local_dir + "/" + name, 0600).ok() &&
        snapshot) {
      copied_.insert(name);
    }
  }
  return static_cast<int>(copied_.size());
}

void AgentClient::Cleanup(const ControlRequest& request) {
  const std::string out = target_.HostPath(request.out_dir);
  for (const std::string& name : ListFiles(out)) {
    unlink((out + "/" + name).c_str());
  }
  rmdir(out.c_str());
  // A request the agent never took (no agent, or it was busy) must not be
  // served later by surprise.
  const std::string pending = target_.HostPath(
      absl::StrCat(control_dir_, "/", agent::kControlRequestName));
  if (absl::StatusOr<std::string> text = ReadFileToString(pending);
      text.ok() && absl::StrContains(*text, "id=" + request.id + "\n")) {
    unlink(pending.c_str());
  }
}

void AgentClient::Abandon() {
  const std::string dir = target_.HostPath(control_dir_);
  for (const std::string& sub : {dir + "/lib", dir}) {
    for (const std::string& name : ListFiles(sub)) {
      unlink((sub + "/" + name).c_str());
    }
    rmdir(sub.c_str());
  }
  if (lock_fd_ >= 0) close(lock_fd_);
  lock_fd_ = -1;
}

absl::StatusOr<std::string> AgentClient::PrepareAgentCopy(
    const std::string& agent) {
  const std::string lib = control_dir_ + "/lib";
  const std::string host_lib = target_.HostPath(lib);
  if (mkdir(host_lib.c_str(), 0755) != 0 && errno != EEXIST) {
    return Errno("cannot create", host_lib);
  }
  chmod(host_lib.c_str(), 0755);
  const std::string in_target = lib + "/libjleak_agent.so";
  if (absl::Status st = CopyFile(agent, target_.HostPath(in_target), 0755);
      !st.ok()) {
    return st;
  }
  // Found beside the agent through its RUNPATH ($ORIGIN).
  for (const auto& [soname, path] : SharedLibraryDeps(agent)) {
    struct stat st;
    if (stat(target_.HostPath(path).c_str(), &st) == 0) continue;
    if (absl::Status s = CopyFile(path, host_lib + "/" + soname, 0755);
        !s.ok()) {
      return s;
    }
  }
  return in_target;
}

std::vector<std::pair<std::string, std::string>> SharedLibraryDeps(
    const std::string& file) {
  std::vector<std::pair<std::string, std::string>> deps;
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) return deps;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null",
                                   O_WRONLY, 0);
  const char* argv[] = {"ldd", file.c_str(), nullptr};
  pid_t pid = 0;
  const int err = posix_spawnp(&pid, "ldd", &actions, nullptr,
                               const_cast<char* const*>(argv), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(pipe_fds[1]);
  std::string out;
  if (err == 0) {
    char buf[4096];
    ssize_t n;
    while ((n = read(pipe_fds[0], buf, sizeof buf)) > 0) out.append(buf, n);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  close(pipe_fds[0]);
  // "\tlibabsl_hash.so.20220623 => /lib/x86_64-linux-gnu/libabsl_... (0x...)"
  for (absl::string_view line : absl::StrSplit(out, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    size_t arrow = line.find(" => ");
    if (arrow == absl::string_view::npos) continue;
    absl::string_view soname = line.substr(0, arrow);
    absl::string_view path = line.substr(arrow + 4);
    path = path.substr(0, path.find(" ("));
    if (path.empty() || path[0] != '/') continue;
    deps.emplace_back(std::string(soname), std::string(path));
  }
  return deps;
}

}  // namespace jleak
