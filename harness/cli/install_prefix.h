// File: install_prefix.h
//
// The file handling of `jleak install --prefix DIR`, often run as root
// into a directory a service will load libraries from: nothing in DIR may
// come from, or be reachable by, another user.
//
//   - DIR's ancestors (resolved once with realpath(3), then opened one by
//     one with O_NOFOLLOW) must be owned by root or the caller and not
//     writable by others unless sticky (/tmp); group-writable ancestors
//     such as Debian's /usr/local (root:staff 2775) are accepted.
//   - DIR, DIR/bin and DIR/lib are made with mkdirat(2) or reused, then
//     opened O_DIRECTORY|O_NOFOLLOW and fstat(2)ed: owned by the caller's
//     euid and not writable by group or others (HotSpot's
//     is_statbuf_secure, perfMemory_posix.cpp), else refused.
//   - Files are written to NAME.tmp.<pid> created O_CREAT|O_EXCL|
//     O_NOFOLLOW|O_CLOEXEC in the directory's fd, fchmod(2)ed on the fd
//     and renameat(2)ed over NAME (which replaces a symlink there rather
//     than following it). A temp name that exists is refused.
//
//   bazel test //harness/cli:install_prefix_test

#ifndef JLEAK_HARNESS_CLI_INSTALL_PREFIX_H_
#define JLEAK_HARNESS_CLI_INSTALL_PREFIX_H_

#include <sys/types.h>

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace jleak {

// UniqueFd: an owned file descriptor, closed on destruction.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd();
  int get() const { return fd_; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_ = -1;
};

// OpenInstallPrefix creates (mode 0755) or reuses the absolute directory
// `prefix` after checking its ancestors, and returns it open. Errors are
// one line naming the directory and what is wrong with it.
absl::StatusOr<UniqueFd> OpenInstallPrefix(const std::string& prefix);

// OpenOwnSubdirectory: `name` (a bare file name) in `parent_fd`, created
// 0755 or reused, with the same owner and mode checks; `shown` is its path
// for messages.
absl::StatusOr<UniqueFd> OpenOwnSubdirectory(int parent_fd,
                                             const std::string& name,
                                             const std::string& shown);

// InstallFileAt writes `contents` to `name` (a bare file name) in `dir_fd`
// with `mode`, through NAME.tmp.<pid> (see above); `dir_shown` is the
// directory's path for messages.
absl::Status InstallFileAt(int dir_fd, const std::string& dir_shown,
                           const std::string& name, absl::string_view contents,
                           mode_t mode);

}  // namespace jleak

#endif  // JLEAK_HARNESS_CLI_INSTALL_PREFIX_H_
