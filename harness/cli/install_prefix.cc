// File: install_prefix.cc
//
// Directories and files of `jleak install` (see install_prefix.h).

#include "harness/cli/install_prefix.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace jleak {
namespace {

std::string Shown(absl::string_view path) {
  return absl::StrCat("'", absl::CHexEscape(path), "'");
}

absl::Status Errno(absl::string_view what, absl::string_view path, int err) {
  return absl::FailedPreconditionError(
      absl::StrCat(what, " ", Shown(path), ": ", std::strerror(err)));
}

bool BareName(absl::string_view name) {
  return !name.empty() && name != "." && name != ".." &&
         name.find('/') == absl::string_view::npos &&
         name.find('\0') == absl::string_view::npos;
}

// An ancestor of the prefix: a directory owned by root or us that others
// cannot write unless it is sticky.
absl::Status CheckAncestor(const struct stat& st, const std::string& path) {
  const uid_t euid = geteuid();
  if (!S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat(Shown(path), " is not a directory"));
  }
  if (st.st_uid != 0 && st.st_uid != euid) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "%s is owned by uid %d, neither root nor you (uid %d): its owner "
        "could replace what is installed below it; choose another --prefix",
        Shown(path), st.st_uid, euid));
  }
  if ((st.st_mode & S_IWOTH) != 0 && (st.st_mode & S_ISVTX) == 0) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "%s is writable by others and not sticky (mode %04o): anyone could "
        "replace what is installed below it; choose another --prefix",
        Shown(path), st.st_mode & 07777));
  }
  return absl::OkStatus();
}

// The prefix and its bin/ and lib/: ours alone.
absl::Status CheckOwnDirectory(const struct stat& st, const std::string& path) {
  const uid_t euid = geteuid();
  if (!S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat(Shown(path), " is not a directory"));
  }
  if (st.st_uid != euid) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "%s exists and is owned by uid %d, not by you (uid %d); remove it or "
        "choose another --prefix",
        Shown(path), st.st_uid, euid));
  }
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "%s is writable by group or others (mode %04o); chmod go-w it or "
        "choose another --prefix",
        Shown(path), st.st_mode & 07777));
  }
  return absl::OkStatus();
}

}  // namespace

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    fd_ = other.release();
  }
  return *this;
}

UniqueFd::~UniqueFd() {
  if (fd_ >= 0) close(fd_);
}

absl::StatusOr<UniqueFd> OpenOwnSubdirectory(int parent_fd,
                                             const std::string& name,
                                             const std::string& shown) {
  if (!BareName(name)) {
    return absl::InvalidArgumentError(
        absl::StrCat(Shown(name), " is not a bare directory name"));
  }
  bool made = mkdirat(parent_fd, name.c_str(), 0755) == 0;
  if (!made && errno != EEXIST) return Errno("cannot create", shown, errno);
  UniqueFd fd(openat(parent_fd, name.c_str(),
                     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ELOOP || errno == ENOTDIR) {
      return absl::FailedPreconditionError(absl::StrCat(
          Shown(shown),
          " is a symlink or not a directory; remove it or choose another "
          "--prefix"));
    }
    return Errno("cannot open", shown, errno);
  }
  struct stat st;
  if (fstat(fd.get(), &st) != 0) return Errno("cannot stat", shown, errno);
  if (absl::Status s = CheckOwnDirectory(st, shown); !s.ok()) return s;
  // Ours, just made: the umask may have left group write on it.
  if (made && (st.st_mode & 07777) != 0755 && fchmod(fd.get(), 0755) != 0) {
    return Errno("cannot chmod", shown, errno);
  }
  return fd;
}

absl::StatusOr<UniqueFd> OpenInstallPrefix(const std::string& prefix) {
  if (prefix.empty() || prefix[0] != '/') {
    return absl::InvalidArgumentError(
        absl::StrCat("--prefix ", Shown(prefix), " is not an absolute path"));
  }
  std::vector<std::string> parts;
  for (absl::string_view part :
       absl::StrSplit(prefix, '/', absl::SkipEmpty())) {
    if (part == "." || part == "..") {
      return absl::InvalidArgumentError(absl::StrCat(
          "--prefix ", Shown(prefix), " has a '.' or '..' component"));
    }
    parts.emplace_back(part);
  }
  if (parts.empty()) {
    return absl::InvalidArgumentError("--prefix cannot be '/'");
  }
  const std::string leaf = parts.back();
  parts.pop_back();
  const std::string parent = "/" + absl::StrJoin(parts, "/");
  char resolved[PATH_MAX];
  if (realpath(parent.c_str(), resolved) == nullptr) {
    return Errno("cannot resolve the parent directory", parent, errno);
  }
  // Walk the resolved parent from /, never following a link (one planted
  // after realpath ends the walk with ELOOP), checking each directory.
  UniqueFd dir(open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() < 0) return Errno("cannot open", "/", errno);
  std::string walked = "/";
  for (absl::string_view part :
       absl::StrSplit(absl::string_view(resolved), '/', absl::SkipEmpty())) {
    struct stat st;
    if (fstat(dir.get(), &st) != 0) return Errno("cannot stat", walked, errno);
    if (absl::Status s = CheckAncestor(st, walked); !s.ok()) return s;
    const std::string name(part);
    walked = walked == "/" ? "/" + name : walked + "/" + name;
    UniqueFd next(openat(dir.get(), name.c_str(),
                         O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (next.get() < 0) return Errno("cannot open", walked, errno);
    dir = std::move(next);
  }
  struct stat st;
  if (fstat(dir.get(), &st) != 0) return Errno("cannot stat", walked, errno);
  if (absl::Status s = CheckAncestor(st, walked); !s.ok()) return s;
  return OpenOwnSubdirectory(dir.get(), leaf, prefix);
}

absl::Status InstallFileAt(int dir_fd, const std::string& dir_shown,
                           const std::string& name, absl::string_view contents,
                           mode_t mode) {
  if (!BareName(name)) {
    return absl::InvalidArgumentError(
        absl::StrCat(Shown(name), " is not a bare file name"));
  }
  const std::string tmp = absl::StrCat(name, ".tmp.", getpid());
  const std::string tmp_shown = absl::StrCat(dir_shown, "/", tmp);
  const std::string shown = absl::StrCat(dir_shown, "/", name);
  UniqueFd fd(openat(dir_fd, tmp.c_str(),
                     O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                     0600));
  if (fd.get() < 0) {
    if (errno == EEXIST) {
      return absl::FailedPreconditionError(absl::StrCat(
          Shown(tmp_shown),
          " already exists (left by an interrupted install, or planted); "
          "remove it and retry"));
    }
    return Errno("cannot create", tmp_shown, errno);
  }
  auto fail = [&](absl::string_view what, int err) {
    unlinkat(dir_fd, tmp.c_str(), 0);  // the file made above, never a link
    return Errno(what, tmp_shown, err);
  };
  for (size_t done = 0; done < contents.size();) {
    ssize_t n = write(fd.get(), contents.data() + done, contents.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail("cannot write", n < 0 ? errno : EIO);
    done += static_cast<size_t>(n);
  }
  if (fchmod(fd.get(), mode) != 0) return fail("cannot chmod", errno);
  if (fsync(fd.get()) != 0) return fail("cannot write", errno);
  if (close(fd.release()) != 0) return fail("cannot write", errno);
  if (renameat(dir_fd, tmp.c_str(), dir_fd, name.c_str()) != 0) {
    const int err = errno;
    unlinkat(dir_fd, tmp.c_str(), 0);
    return Errno("cannot rename into place", shown, err);
  }
  return absl::OkStatus();
}

}  // namespace jleak
