// File: target_files.h
//
// TargetFiles: what `jleak attach` and `jleak snapshot` do inside a target
// JVM's file system (its control directory, the agent copy, HotSpot's
// attach trigger and socket), written for a tree that the target's user
// and, in a container, everything in the container controls.
//
// It runs in the confined helper (target_broker.h), which already is the
// target's user inside the target's root; this code adds the second wall,
// so that a planted link or file gains the attacker nothing even where
// the first one is missing (a target running as root):
//   - paths the target sees are resolved from its root with openat2(2)
//     RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS: absolute links and ".."
//     stay inside, /proc/PID/* links are refused;
//   - below the control directory only bare names are used, each opened
//     O_NOFOLLOW relative to its directory's fd; directories must be ours
//     and mode 0700 (0755 for the agent copy);
//   - files are created O_CREAT|O_EXCL|O_NOFOLLOW and renamed into place,
//     read O_NOFOLLOW|O_NONBLOCK (a FIFO never blocks), must be regular
//     files with one link, and are read up to a bound;
//   - removal is unlinkat on a directory fd: a link is removed, never
//     followed.
//
// "Ours" is geteuid(): in the helper that is the target's user.

#ifndef JLEAK_HARNESS_RUN_TARGET_FILES_H_
#define JLEAK_HARNESS_RUN_TARGET_FILES_H_

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace jleak {

// IsBareName: a single path component (file_io.h's IsBareFileName: not
// empty, not "." or "..", no '/', NUL or control character, at most 255
// bytes).
bool IsBareName(absl::string_view name);

// OpenInRoot opens `path` (absolute, as the target sees it) below
// `root_fd` with openat2 RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS, adding
// O_CLOEXEC to `flags`. Returns the fd or an errno-derived error naming
// the path.
absl::StatusOr<int> OpenInRoot(int root_fd, const std::string& path, int flags);

class TargetFiles {
 public:
  // `root_fd` is the target's "/" and `cwd_fd` its working directory (or
  // -1), both O_PATH directories; TargetFiles owns them.
  TargetFiles(int root_fd, int cwd_fd);
  ~TargetFiles();
  TargetFiles(const TargetFiles&) = delete;
  TargetFiles& operator=(const TargetFiles&) = delete;

  // OpenControlDir makes `path` (absolute in the target) mode 0700, or
  // takes the one there if it is a real directory of ours with no group
  // or other access. The parent directory must exist.
  absl::Status OpenControlDir(const std::string& path);

  // Lock takes flock(LOCK_EX|LOCK_NB) on <control>/lock (made if needed).
  // Aborted when another process holds it.
  absl::Status Lock();
  void Unlock();

  // RemoveStale empties and removes the s-* output directories a killed
  // jleak left (called holding the lock).
  void RemoveStale();

  // Everything below takes `rel`: "name" or "dir/name" under the control
  // directory, each component a bare name.
  absl::Status MakeDir(const std::string& rel, mode_t mode);
  // WriteFile: a new file at `rel` with `data` and `mode`, in place of
  // whatever was there (written beside, then renamed).
  absl::Status WriteFile(const std::string& rel, absl::string_view data,
                         mode_t mode);
  // CreateFile: an empty file at `rel` that did not exist (EEXIST is OK if
  // what is there is a regular file of ours).
  absl::Status CreateFile(const std::string& rel);
  absl::StatusOr<std::string> ReadFile(const std::string& rel,
                                       uint64_t max_bytes);
  // List: the names in directory `rel` ("" for the control directory),
  // at most `max_entries`.
  absl::StatusOr<std::vector<std::string>> List(const std::string& rel,
                                                size_t max_entries);
  void Remove(const std::string& rel);
  // RemoveDir removes the files of directory `rel`, then it.
  void RemoveDir(const std::string& rel);
  // RemoveControlDir removes lib/, the other files and the directory
  // itself (the lock too: for a JVM that can never answer).
  void RemoveControlDir();

  // Exists: `path` (absolute in the target) names something.
  bool Exists(const std::string& path) const;
  // BuildId: the GNU build-id of the ELF file at `path` in the target.
  absl::StatusOr<std::string> BuildId(const std::string& path) const;

  // HotspotExchange: HotSpot's attach (hotspot_attach.h) from inside:
  // make the trigger .attach_pid<ns_pid> (in the JVM's cwd, else its
  // /tmp), SIGQUIT through `pidfd` until /tmp/.java_pid<ns_pid> is a
  // socket of ours with mode 0600 (a socket of anybody else is refused:
  // squatted), connect, check the peer (SO_PEERCRED: ours, and `host_pid`
  // when it is known), send `request` and return the reply (at most
  // 64 KiB) by `timeout_s`.
  absl::StatusOr<std::string> HotspotExchange(int ns_pid, int pidfd,
                                              pid_t host_pid,
                                              const std::string& request,
                                              double timeout_s);

 private:
  // OpenDir: the directory `rel` ("" = control) as an fd, each component
  // O_NOFOLLOW and checked to be ours.
  absl::StatusOr<int> OpenDir(const std::string& rel) const;
  // Split: `rel` into its directory fd and last component.
  absl::StatusOr<std::pair<int, std::string>> Split(
      const std::string& rel) const;

  int root_fd_;
  int cwd_fd_;
  int control_fd_ = -1;
  std::string control_path_;
  int lock_fd_ = -1;
};

}  // namespace jleak

#endif  // JLEAK_HARNESS_RUN_TARGET_FILES_H_
