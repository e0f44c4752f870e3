// File: file_io.cc
//
// Whole-file reads and atomic writes (see file_io.h).

#include "harness/io/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace jleak {
namespace {

absl::Status ErrnoError(const std::string& what, const std::string& path,
                        int err) {
  const std::string message =
      absl::StrCat(path, ": cannot ", what, ": ", std::strerror(err));
  if (err == ENOENT) return absl::NotFoundError(message);
  if (err == EACCES || err == EPERM) {
    return absl::PermissionDeniedError(message);
  }
  if (err == ENOSPC || err == EDQUOT) {
    return absl::ResourceExhaustedError(message);
  }
  return absl::UnavailableError(message);
}

}  // namespace

absl::StatusOr<std::string> ReadFileToString(const std::string& path) {
  std::string out;
  absl::Status st = ReadFileInto(path, &out);
  if (!st.ok()) return st;
  return out;
}

absl::Status ReadFileInto(const std::string& path, std::string* buffer) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError("open", path, errno);
  struct stat st;
  if (fstat(fd, &st) != 0) {
    const int err = errno;
    close(fd);
    return ErrnoError("stat", path, err);
  }
  if (!S_ISREG(st.st_mode)) {
    close(fd);
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": not a regular file"));
  }
  // Straight into the string: a snapshot of a large service is megabytes,
  // and `jleak analyze` reads thousands of them.
  std::string& out = *buffer;
  out.resize(static_cast<size_t>(st.st_size) + 1);
  size_t size = 0;
  while (true) {
    if (size == out.size()) out.resize(2 * out.size() + (1 << 16));
    const ssize_t n = read(fd, out.data() + size, out.size() - size);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      close(fd);
      return ErrnoError("read", path, err);
    }
    size += static_cast<size_t>(n);
  }
  out.resize(size);
  close(fd);
  return absl::OkStatus();
}

bool WriteAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    const ssize_t n = write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

absl::Status WriteFileAtomically(const std::string& path,
                                 const std::string& contents) {
  const std::string tmp = absl::StrCat(path, ".tmp.", getpid());
  const int fd =
      open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoError("create", tmp, errno);
  if (!WriteAll(fd, contents.data(), contents.size())) {
    const int err = errno;
    close(fd);
    unlink(tmp.c_str());
    return ErrnoError("write", path, err);
  }
  const int sync_rc = fsync(fd);
  const int sync_errno = errno;
  if (close(fd) != 0 || sync_rc != 0) {
    const int err = sync_rc != 0 ? sync_errno : errno;
    unlink(tmp.c_str());
    return ErrnoError("write", path, err);
  }
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    unlink(tmp.c_str());
    return ErrnoError("rename into place", path, err);
  }
  return absl::OkStatus();
}

}  // namespace jleak
