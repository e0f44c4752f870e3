// File: target_files.cc
//
// File operations in a tree the target controls (see target_files.h).

#include "harness/run/target_files.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "agent/control_protocol.h"
#include "harness/io/file_io.h"
#include "profile/elf_symbolizer.h"

namespace jleak {
namespace {

// A flock that another holder has just dropped can still be seen held for
// an instant (the agent tests the lease with LOCK_SH): retry briefly.
constexpr int kLockAttempts = 4;
constexpr size_t kMaxHotspotReply = 64 << 10;

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }
  void reset(int fd) {
    if (fd_ >= 0) close(fd_);
    fd_ = fd;
  }

 private:
  int fd_;
};

absl::Status Errno(absl::string_view what, absl::string_view path,
                   int err = errno) {
  std::string message = absl::StrCat(what, " ", path, ": ", std::strerror(err));
  switch (err) {
    case EACCES:
    case EPERM:
      return absl::PermissionDeniedError(message);
    case ENOENT:
      return absl::NotFoundError(message);
    case EROFS:
      return absl::FailedPreconditionError(absl::StrCat(
          message,
          " (the target's /tmp is read-only: give the JVM a writable /tmp, "
          "e.g. an emptyDir or tmpfs, or use --control-dir)"));
    case ENOTDIR:
      return absl::FailedPreconditionError(absl::StrCat(
          "refusing ", path,
          ": not a directory (a symbolic link or a file where jleak needs a "
          "directory: planted by someone?)"));
    case ELOOP:
    case EXDEV:
      return absl::FailedPreconditionError(absl::StrCat(
          "refusing ", path,
          ": a symbolic link where jleak needs a real file or directory "
          "(planted by someone?)"));
    default:
      return absl::UnavailableError(message);
  }
}

// CheckOwned: `fd` is of `type` (S_IFDIR, S_IFREG, ...), ours, and, for a
// regular file, has one link (a hard link to a file elsewhere is not ours
// to write).
absl::Status CheckOwned(int fd, mode_t type, absl::string_view path) {
  struct stat st;
  if (fstat(fd, &st) != 0) return Errno("cannot stat", path);
  if ((st.st_mode & S_IFMT) != type) {
    return absl::FailedPreconditionError(
        absl::StrCat("refusing ", path, ": not a ",
                     type == S_IFDIR ? "directory" : "regular file"));
  }
  if (st.st_uid != geteuid()) {
    return absl::FailedPreconditionError(
        absl::StrCat("refusing ", path, ": owned by uid ", st.st_uid,
                     ", not by the JVM's user (uid ", geteuid(), ")"));
  }
  if (type == S_IFREG && st.st_nlink != 1) {
    return absl::FailedPreconditionError(absl::StrCat(
        "refusing ", path, ": it has ", st.st_nlink, " hard links"));
  }
  return absl::OkStatus();
}

std::vector<std::string> ListFd(int dir_fd, size_t max_entries) {
  std::vector<std::string> names;
  const int fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return names;
  std::unique_ptr<DIR, int (*)(DIR*)> d(fdopendir(fd), closedir);
  if (d == nullptr) {
    close(fd);
    return names;
  }
  while (dirent* e = readdir(d.get())) {
    if (names.size() >= max_entries) break;
    if (IsBareName(e->d_name)) names.emplace_back(e->d_name);
  }
  return names;
}

// EmptyAndRemove removes the non-directory entries of `name` in
// `parent_fd`, then `name` itself (or the link that stands there).
void EmptyAndRemove(int parent_fd, const std::string& name) {
  const int fd =
      openat(parent_fd, name.c_str(),
             O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    unlinkat(parent_fd, name.c_str(), 0);  // a link or a file: it alone
    return;
  }
  Fd dir(fd);
  struct stat st;
  if (fstat(dir.get(), &st) == 0 && st.st_uid == geteuid()) {
    for (const std::string& e : ListFd(dir.get(), 100000)) {
      unlinkat(dir.get(), e.c_str(), 0);
    }
  }
  unlinkat(parent_fd, name.c_str(), AT_REMOVEDIR);
}

std::string RandomSuffix() {
  static std::mt19937_64 rng(std::random_device{}() ^
                             static_cast<uint64_t>(getpid()));
  return absl::StrCat(rng() % 1000000000);
}

absl::Status CheckSocket(int dir_fd, const std::string& name,
                         const std::string& shown) {
  struct stat st;
  if (fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    return Errno("cannot stat", shown);
  }
  if (!S_ISSOCK(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat("refusing ", shown, ": not a socket"));
  }
  if (st.st_uid != geteuid() || (st.st_mode & 077) != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "refusing ", shown, ": owned by uid ", st.st_uid, " with mode ",
        absl::StrFormat("%04o", st.st_mode & 07777), ", not the JVM's (uid ",
        geteuid(), ", 0600): another user made it (squatted attach socket?)"));
  }
  return absl::OkStatus();
}

// Connect connects to `name` in `dir_fd` without following a path the
// caller did not check: relative to the directory, from inside it.
absl::StatusOr<int> ConnectIn(int dir_fd, const std::string& name,
                              absl::Time deadline) {
  sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  if (name.size() >= sizeof(addr.sun_path)) {
    return absl::InvalidArgumentError("socket name too long");
  }
  std::memcpy(addr.sun_path, name.c_str(), name.size() + 1);
  Fd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (fd.get() < 0) return Errno("cannot make a socket", "");
  // The helper is single-threaded: changing its directory is safe.
  if (fchdir(dir_fd) != 0) return Errno("cannot enter", "/tmp");
  int rc = connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  const int err = errno;
  if (chdir("/") != 0) {
    // Nothing in the helper depends on its working directory.
  }
  if (rc != 0 && err != EINPROGRESS && err != EAGAIN) {
    return Errno("cannot connect to", name, err);
  }
  if (rc != 0) {
    pollfd p = {fd.get(), POLLOUT, 0};
    const int64_t ms = absl::ToInt64Milliseconds(deadline - absl::Now());
    if (ms <= 0 || poll(&p, 1, static_cast<int>(ms)) <= 0) {
      return absl::DeadlineExceededError(
          absl::StrCat("the JVM did not accept on ", name, " in time"));
    }
    int so = 0;
    socklen_t len = sizeof so;
    getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &so, &len);
    if (so != 0) return Errno("cannot connect to", name, so);
  }
  return fd.release();
}

absl::Status SendAll(int fd, const std::string& data, absl::Time deadline) {
  size_t sent = 0;
  while (sent < data.size()) {
    pollfd p = {fd, POLLOUT, 0};
    const int64_t ms = absl::ToInt64Milliseconds(deadline - absl::Now());
    if (ms <= 0 || poll(&p, 1, static_cast<int>(ms)) <= 0) {
      return absl::DeadlineExceededError("the JVM did not take the request");
    }
    const ssize_t n =
        send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n < 0) return Errno("cannot send to", "the JVM");
    sent += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReceiveAll(int fd, absl::Time deadline) {
  std::string reply;
  for (;;) {
    pollfd p = {fd, POLLIN, 0};
    const int64_t ms = absl::ToInt64Milliseconds(deadline - absl::Now());
    if (ms <= 0) {
      return absl::DeadlineExceededError(
          "the JVM did not finish answering the attach request");
    }
    if (poll(&p, 1, static_cast<int>(ms)) < 0 && errno != EINTR) break;
    char buf[4096];
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) break;
    if (reply.size() + n > kMaxHotspotReply) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "the JVM's attach reply exceeds ", kMaxHotspotReply, " bytes"));
    }
    reply.append(buf, n);
  }
  return reply;
}

}  // namespace

bool IsBareName(absl::string_view name) { return IsBareFileName(name); }

absl::StatusOr<int> OpenInRoot(int root_fd, const std::string& path,
                               int flags) {
  if (path.empty() || path[0] != '/' || path.find('\0') != std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("not an absolute path: ", path));
  }
  open_how how = {};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  for (int attempt = 0;; ++attempt) {
    const long fd =
        syscall(SYS_openat2, root_fd, path.c_str(), &how, sizeof how);
    if (fd >= 0) return static_cast<int>(fd);
    // EAGAIN: a racing rename of ".." (openat2(2)); try again a few times.
    if (errno != EAGAIN || attempt >= 8) return Errno("cannot open", path);
  }
}

TargetFiles::TargetFiles(int root_fd, int cwd_fd)
    : root_fd_(root_fd), cwd_fd_(cwd_fd) {}

TargetFiles::~TargetFiles() {
  for (int fd : {root_fd_, cwd_fd_, control_fd_, lock_fd_}) {
    if (fd >= 0) close(fd);
  }
}

absl::Status TargetFiles::OpenControlDir(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (path.empty() || path[0] != '/' || slash == std::string::npos ||
      !IsBareName(path.substr(slash + 1))) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad control directory ", path));
  }
  const std::string parent_path = slash == 0 ? "/" : path.substr(0, slash);
  const std::string name = path.substr(slash + 1);
  absl::StatusOr<int> parent =
      OpenInRoot(root_fd_, parent_path, O_PATH | O_DIRECTORY);
  if (!parent.ok()) return parent.status();
  Fd parent_fd(*parent);
  if (mkdirat(parent_fd.get(), name.c_str(), 0700) != 0 && errno != EEXIST) {
    return Errno("cannot create the control directory", path);
  }
  const int fd = openat(parent_fd.get(), name.c_str(),
                        O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return Errno("cannot open the control directory", path);
  Fd dir(fd);
  if (absl::Status st = CheckOwned(dir.get(), S_IFDIR, path); !st.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat(st.message(), "; remove it and try again"));
  }
  struct stat st;
  if (fstat(dir.get(), &st) != 0 || (st.st_mode & 077) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("refusing control directory ", path,
                     ": others have access to it (mode ",
                     absl::StrFormat("%04o", st.st_mode & 07777),
                     ", want 0700); remove it and try again"));
  }
  // What a jleak and the agent leave here is regular files and our own
  // directories. A link, a FIFO or a device was put here by someone else
  // (the JVM's user, a container): say so rather than work around it.
  for (const std::string& entry : ListFd(dir.get(), 100000)) {
    struct stat e;
    if (fstatat(dir.get(), entry.c_str(), &e, AT_SYMLINK_NOFOLLOW) != 0) {
      continue;
    }
    const bool ours =
        e.st_uid == geteuid() && (S_ISREG(e.st_mode) || S_ISDIR(e.st_mode));
    if (!ours) {
      return absl::FailedPreconditionError(absl::StrCat(
          "refusing control directory ", path, ": it holds ",
          S_ISLNK(e.st_mode)    ? "a symbolic link"
          : S_ISFIFO(e.st_mode) ? "a FIFO"
          : S_ISREG(e.st_mode) || S_ISDIR(e.st_mode)
              ? absl::StrCat("an entry of uid ", e.st_uid)
              : "a special file",
          " '", absl::CHexEscape(entry.substr(0, 64)),
          "' that jleak did not make (planted?); remove the directory and "
          "try again"));
    }
  }
  if (control_fd_ >= 0) close(control_fd_);
  control_fd_ = dir.release();
  control_path_ = path;
  return absl::OkStatus();
}

absl::Status TargetFiles::Lock() {
  if (control_fd_ < 0) return absl::FailedPreconditionError("no control dir");
  const std::string shown =
      absl::StrCat(control_path_, "/", agent::kControlLockName);
  const int fd =
      openat(control_fd_, agent::kControlLockName,
             O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0600);
  if (fd < 0) return Errno("cannot open", shown);
  Fd lock(fd);
  if (absl::Status st = CheckOwned(lock.get(), S_IFREG, shown); !st.ok()) {
    return st;
  }
  for (int attempt = 0;; ++attempt) {
    if (flock(lock.get(), LOCK_EX | LOCK_NB) == 0) break;
    if (errno != EWOULDBLOCK || attempt + 1 >= kLockAttempts) {
      if (errno == EWOULDBLOCK) {
        return absl::AbortedError(
            absl::StrCat("another jleak is attached to this JVM (", shown,
                         " is locked); wait until it ends"));
      }
      return Errno("cannot lock", shown);
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
  Unlock();
  lock_fd_ = lock.release();
  return absl::OkStatus();
}

void TargetFiles::Unlock() {
  if (lock_fd_ >= 0) close(lock_fd_);
  lock_fd_ = -1;
}

void TargetFiles::RemoveStale() {
  if (control_fd_ < 0) return;
  for (const std::string& name : ListFd(control_fd_, 100000)) {
    if (name.rfind("s-", 0) == 0) EmptyAndRemove(control_fd_, name);
  }
}

absl::StatusOr<int> TargetFiles::OpenDir(const std::string& rel) const {
  if (control_fd_ < 0) return absl::FailedPreconditionError("no control dir");
  int fd = dup(control_fd_);
  if (fd < 0) return Errno("cannot dup", control_path_);
  if (rel.empty()) return fd;
  Fd current(fd);
  std::string shown = control_path_;
  for (absl::string_view part : absl::StrSplit(rel, '/')) {
    if (!IsBareName(part)) {
      return absl::InvalidArgumentError(
          absl::StrCat("bad name '", rel, "' under ", control_path_));
    }
    absl::StrAppend(&shown, "/", part);
    const int next = openat(current.get(), std::string(part).c_str(),
                            O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (next < 0) return Errno("cannot open", shown);
    Fd dir(next);
    if (absl::Status st = CheckOwned(dir.get(), S_IFDIR, shown); !st.ok()) {
      return st;
    }
    current.reset(dir.release());  // closes the previous level
  }
  return current.release();
}

absl::StatusOr<std::pair<int, std::string>> TargetFiles::Split(
    const std::string& rel) const {
  const size_t slash = rel.rfind('/');
  const std::string dir =
      slash == std::string::npos ? "" : rel.substr(0, slash);
  const std::string name =
      slash == std::string::npos ? rel : rel.substr(slash + 1);
  if (!IsBareName(name)) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad name '", rel, "' under ", control_path_));
  }
  absl::StatusOr<int> fd = OpenDir(dir);
  if (!fd.ok()) return fd.status();
  return std::make_pair(*fd, name);
}

absl::Status TargetFiles::MakeDir(const std::string& rel, mode_t mode) {
  absl::StatusOr<std::pair<int, std::string>> at = Split(rel);
  if (!at.ok()) return at.status();
  Fd parent(at->first);
  const std::string shown = absl::StrCat(control_path_, "/", rel);
  if (mkdirat(parent.get(), at->second.c_str(), mode) != 0 && errno != EEXIST) {
    return Errno("cannot create", shown);
  }
  const int fd = openat(parent.get(), at->second.c_str(),
                        O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return Errno("cannot open", shown);
  Fd dir(fd);
  if (absl::Status st = CheckOwned(dir.get(), S_IFDIR, shown); !st.ok()) {
    return st;
  }
  // mkdir's mode went through the umask; the fd is the directory checked.
  if (fchmod(dir.get(), mode) != 0) return Errno("cannot chmod", shown);
  return absl::OkStatus();
}

absl::Status TargetFiles::WriteFile(const std::string& rel,
                                    absl::string_view data, mode_t mode) {
  absl::StatusOr<std::pair<int, std::string>> at = Split(rel);
  if (!at.ok()) return at.status();
  Fd dir(at->first);
  const std::string shown = absl::StrCat(control_path_, "/", rel);
  const std::string tmp =
      absl::StrCat(".", at->second.substr(0, 200), ".", RandomSuffix(), ".tmp");
  const int fd =
      openat(dir.get(), tmp.c_str(),
             O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return Errno("cannot write", shown);
  bool ok = WriteAll(fd, data.data(), data.size());
  int err = errno;
  if (ok && fchmod(fd, mode) != 0) {
    ok = false;
    err = errno;
  }
  if (close(fd) != 0 && ok) {
    ok = false;
    err = errno;
  }
  if (ok &&
      renameat(dir.get(), tmp.c_str(), dir.get(), at->second.c_str()) != 0) {
    ok = false;
    err = errno;
  }
  if (!ok) {
    unlinkat(dir.get(), tmp.c_str(), 0);
    return Errno("cannot write", shown, err);
  }
  return absl::OkStatus();
}

absl::Status TargetFiles::CreateFile(const std::string& rel) {
  absl::StatusOr<std::pair<int, std::string>> at = Split(rel);
  if (!at.ok()) return at.status();
  Fd dir(at->first);
  const std::string shown = absl::StrCat(control_path_, "/", rel);
  int fd = openat(dir.get(), at->second.c_str(),
                  O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0 && errno == EEXIST) {
    fd = openat(dir.get(), at->second.c_str(),
                O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return Errno("cannot open", shown);
    Fd existing(fd);
    return CheckOwned(existing.get(), S_IFREG, shown);
  }
  if (fd < 0) return Errno("cannot create", shown);
  close(fd);
  return absl::OkStatus();
}

absl::StatusOr<std::string> TargetFiles::ReadFile(const std::string& rel,
                                                  uint64_t max_bytes) {
  absl::StatusOr<std::pair<int, std::string>> at = Split(rel);
  if (!at.ok()) return at.status();
  Fd dir(at->first);
  const std::string shown = absl::StrCat(control_path_, "/", rel);
  const int fd = openat(dir.get(), at->second.c_str(),
                        O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return Errno("cannot read", shown);
  Fd file(fd);
  if (absl::Status st = CheckOwned(file.get(), S_IFREG, shown); !st.ok()) {
    return st;
  }
  struct stat st;
  if (fstat(file.get(), &st) != 0) return Errno("cannot stat", shown);
  if (static_cast<uint64_t>(st.st_size) > max_bytes) {
    return absl::ResourceExhaustedError(
        absl::StrCat(shown, " is ", st.st_size, " bytes, more than the ",
                     max_bytes, " jleak accepts"));
  }
  std::string out(static_cast<size_t>(st.st_size), '\0');
  size_t got = 0;
  for (;;) {
    if (got == out.size()) {
      if (out.size() >= max_bytes) break;  // grew while read: keep the bound
      out.resize(std::min<uint64_t>(max_bytes, out.size() + 65536));
    }
    const ssize_t n = read(file.get(), out.data() + got, out.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Errno("cannot read", shown);
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  out.resize(got);
  return out;
}

absl::StatusOr<std::vector<std::string>> TargetFiles::List(
    const std::string& rel, size_t max_entries) {
  absl::StatusOr<int> fd = OpenDir(rel);
  if (!fd.ok()) return fd.status();
  Fd dir(*fd);
  return ListFd(dir.get(), max_entries);
}

void TargetFiles::Remove(const std::string& rel) {
  absl::StatusOr<std::pair<int, std::string>> at = Split(rel);
  if (!at.ok()) return;
  Fd dir(at->first);
  unlinkat(dir.get(), at->second.c_str(), 0);
}

void TargetFiles::RemoveDir(const std::string& rel) {
  absl::StatusOr<std::pair<int, std::string>> at = Split(rel);
  if (!at.ok()) return;
  Fd dir(at->first);
  EmptyAndRemove(dir.get(), at->second);
}

void TargetFiles::RemoveControlDir() {
  if (control_fd_ < 0) return;
  for (const std::string& name : ListFd(control_fd_, 100000)) {
    struct stat st;
    if (fstatat(control_fd_, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
        S_ISDIR(st.st_mode)) {
      EmptyAndRemove(control_fd_, name);
    } else {
      unlinkat(control_fd_, name.c_str(), 0);
    }
  }
  Unlock();
  const size_t slash = control_path_.rfind('/');
  absl::StatusOr<int> parent =
      OpenInRoot(root_fd_, slash == 0 ? "/" : control_path_.substr(0, slash),
                 O_PATH | O_DIRECTORY);
  if (parent.ok()) {
    Fd p(*parent);
    unlinkat(p.get(), control_path_.substr(slash + 1).c_str(), AT_REMOVEDIR);
  }
  close(control_fd_);
  control_fd_ = -1;
}

bool TargetFiles::Exists(const std::string& path) const {
  absl::StatusOr<int> fd = OpenInRoot(root_fd_, path, O_PATH);
  if (!fd.ok()) return false;
  close(*fd);
  return true;
}

absl::StatusOr<std::string> TargetFiles::BuildId(
    const std::string& path) const {
  absl::StatusOr<int> fd =
      OpenInRoot(root_fd_, path, O_RDONLY | O_NONBLOCK | O_NOCTTY);
  if (!fd.ok()) return fd.status();
  return ReadElfBuildIdFromFd(*fd, path);
}

absl::StatusOr<std::string> TargetFiles::HotspotExchange(
    int ns_pid, int pidfd, pid_t host_pid, const std::string& request,
    double timeout_s) {
  const absl::Time deadline = absl::Now() + absl::Seconds(timeout_s);
  const std::string socket_name = absl::StrCat(".java_pid", ns_pid);
  const std::string shown = absl::StrCat("/tmp/", socket_name);
  absl::StatusOr<int> tmp = OpenInRoot(root_fd_, "/tmp", O_PATH | O_DIRECTORY);
  if (!tmp.ok()) return tmp.status();
  Fd tmp_fd(*tmp);

  struct stat st;
  const bool present =
      fstatat(tmp_fd.get(), socket_name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
  if (!present) {
    // The trigger: where HotSpot looks (its cwd, then /tmp), made new so
    // that nothing planted there is written through.
    const std::string trigger = absl::StrCat(".attach_pid", ns_pid);
    int trigger_dir = -1;
    for (int dir : {cwd_fd_, tmp_fd.get()}) {
      if (dir < 0) continue;
      const int fd =
          openat(dir, trigger.c_str(),
                 O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
      if (fd >= 0) {
        close(fd);
        trigger_dir = dir;
        break;
      }
    }
    if (trigger_dir < 0) {
      return absl::UnavailableError(
          absl::StrCat("cannot create ", trigger,
                       " in the JVM's working directory or /tmp"));
    }
    absl::Status waited = absl::OkStatus();
    bool resent = false;
    const absl::Time start = absl::Now();
    const absl::Duration timeout = deadline - start;
    if (syscall(SYS_pidfd_send_signal, pidfd, SIGQUIT, nullptr, 0) != 0) {
      waited = Errno("cannot signal", "the JVM");
    }
    while (waited.ok() && fstatat(tmp_fd.get(), socket_name.c_str(), &st,
                                  AT_SYMLINK_NOFOLLOW) != 0) {
      const absl::Duration elapsed = absl::Now() - start;
      if (elapsed > timeout) {
        waited = absl::DeadlineExceededError(absl::StrCat(
            "the JVM did not open its attach socket within ", timeout_s,
            " s (started with -XX:+DisableAttachMechanism, or not a "
            "HotSpot JVM?)"));
        break;
      }
      if (!resent && elapsed > timeout / 2) {
        // As jcmd: a second chance if the first signal came too early.
        syscall(SYS_pidfd_send_signal, pidfd, SIGQUIT, nullptr, 0);
        resent = true;
      }
      absl::SleepFor(absl::Milliseconds(50));
    }
    unlinkat(trigger_dir, trigger.c_str(), 0);
    if (!waited.ok()) return waited;
  }
  if (absl::Status s = CheckSocket(tmp_fd.get(), socket_name, shown); !s.ok()) {
    return s;
  }
  absl::StatusOr<int> conn = ConnectIn(tmp_fd.get(), socket_name, deadline);
  if (!conn.ok()) return conn.status();
  Fd sock(*conn);
  ucred peer = {};
  socklen_t len = sizeof peer;
  if (getsockopt(sock.get(), SOL_SOCKET, SO_PEERCRED, &peer, &len) != 0) {
    return Errno("cannot check the peer of", shown);
  }
  if (peer.uid != geteuid() || (host_pid > 0 && peer.pid != host_pid)) {
    return absl::FailedPreconditionError(
        absl::StrCat("refusing ", shown, ": it is served by process ", peer.pid,
                     " (uid ", peer.uid, "), not by the JVM (process ",
                     host_pid, ", uid ", geteuid(), ")"));
  }
  if (absl::Status s = SendAll(sock.get(), request, deadline); !s.ok()) {
    return s;
  }
  return ReceiveAll(sock.get(), deadline);
}

}  // namespace jleak
