// File: file_io.cc
//
// Whole-file reads and atomic writes (see file_io.h).

#include "harness/io/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

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

const char* FileTypeName(mode_t mode) {
  if (S_ISFIFO(mode)) return "is a FIFO";
  if (S_ISCHR(mode)) return "is a character device";
  if (S_ISBLK(mode)) return "is a block device";
  if (S_ISSOCK(mode)) return "is a socket";
  if (S_ISDIR(mode)) return "is a directory";
  if (S_ISLNK(mode)) return "is a symbolic link";
  return "is a special file";
}

absl::Status TooLarge(const std::string& path, uint64_t size, uint64_t max) {
  return absl::ResourceExhaustedError(absl::StrCat(
      path, ": is ", HumanBytes(size), ", over the limit of ", HumanBytes(max),
      " for this kind of file (", size, " bytes)"));
}

}  // namespace

absl::StatusOr<std::string> ReadFileToString(const std::string& path,
                                             const ReadOptions& options) {
  std::string out;
  absl::Status st = ReadFileInto(path, &out, options);
  if (!st.ok()) return st;
  return out;
}

absl::Status ReadFileInto(const std::string& path, std::string* buffer,
                          const ReadOptions& options) {
  // O_NONBLOCK: opening a FIFO does not wait for a writer (fstat below
  // refuses it); on a regular file it changes nothing.
  const int flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK |
                    (options.follow_symlinks ? 0 : O_NOFOLLOW);
  const int fd = open(path.c_str(), flags);
  if (fd < 0) {
    const int err = errno;
    if (err == ELOOP && !options.follow_symlinks) {
      return absl::InvalidArgumentError(absl::StrCat(
          path,
          ": is a symbolic link; links inside a run directory are not "
          "followed (copy the directory with `cp -rL` to resolve them)"));
    }
    return ErrnoError("open", path, err);
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    const int err = errno;
    close(fd);
    return ErrnoError("stat", path, err);
  }
  if (!S_ISREG(st.st_mode)) {
    close(fd);
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": ", FileTypeName(st.st_mode), ", not a regular file"));
  }
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  if (size > options.max_bytes) {
    close(fd);
    return TooLarge(path, size, options.max_bytes);
  }
  // Straight into the string: a snapshot of a large service is megabytes,
  // and `jleak analyze` reads thousands of them. A file that grows while
  // read (or a /proc file, whose size says 0) is read on, within the limit.
  std::string& out = *buffer;
  out.resize(static_cast<size_t>(size) + 1);
  size_t got = 0;
  while (true) {
    if (got == out.size()) {
      if (got > options.max_bytes) {
        close(fd);
        return TooLarge(path, got, options.max_bytes);
      }
      out.resize(static_cast<size_t>(std::min<uint64_t>(
          2 * uint64_t{out.size()} + (1 << 16), options.max_bytes + 1)));
    }
    const ssize_t n = read(fd, out.data() + got, out.size() - got);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      close(fd);
      return ErrnoError("read", path, err);
    }
    got += static_cast<size_t>(n);
  }
  close(fd);
  if (got > options.max_bytes) return TooLarge(path, got, options.max_bytes);
  out.resize(got);
  return absl::OkStatus();
}

bool IsBareFileName(absl::string_view name) {
  if (name.empty() || name.size() > 255 || name == "." || name == "..") {
    return false;
  }
  for (const char c : name) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (c == '/' || u < 0x20 || u == 0x7f) return false;
  }
  return true;
}

std::string QuoteForMessage(absl::string_view text, size_t max_bytes) {
  const bool cut = text.size() > max_bytes;
  std::string out = "'";
  for (const char c : text.substr(0, max_bytes)) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f && c != '\\' && c != '\'') {
      out.push_back(c);
    } else {
      absl::StrAppendFormat(&out, "\\x%02x", u);
    }
  }
  absl::StrAppend(&out, cut ? "...'" : "'");
  return out;
}

std::string HumanBytes(uint64_t bytes) {
  static const char* const kUnits[] = {"KiB", "MiB", "GiB",
                                       "TiB", "PiB", "EiB"};
  if (bytes < 1024) return absl::StrCat(bytes, " B");
  double v = static_cast<double>(bytes) / 1024;
  int unit = 0;
  while (v >= 1024 && unit < 5) {
    v /= 1024;
    ++unit;
  }
  return absl::StrFormat("%.1f %s", v, kUnits[unit]);
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
