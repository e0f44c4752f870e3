// File: file_io.h
//
// The harness's file I/O at the edges: whole-file reads with errors a user
// can act on, and atomic writes so that a report is either whole or absent
// (a full disk or a killed process never leaves half a report that looks
// complete).
//
// Reads never block and never grow without bound, whatever the file: the
// open is O_NONBLOCK (a FIFO does not wait for a writer), fstat must say a
// regular file (a FIFO, a device, a socket or a directory is an error), and
// a file larger than the caller's `max_bytes` is an error before anything
// is allocated (a sparse file of a terabyte gives one line, not bad_alloc).
// Files named by a run directory's own content (a timeline's snapshot
// names, a directory listing) are read with `follow_symlinks = false`
// (O_NOFOLLOW): a planted link to /etc/shadow or /dev/zero is an error.
//
//   absl::StatusOr<std::string> text = ReadFileToString(
//       dir + "/timeline.jsonl", ReadOptions::InRunDirectory(kMaxSmallFile));

#ifndef JLEAK_HARNESS_IO_FILE_IO_H_
#define JLEAK_HARNESS_IO_FILE_IO_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace jleak {

// Size limits of what the harness reads. A heap profile of a large service
// is tens of megabytes; a timeline of a week's run a few tens.
inline constexpr uint64_t kMaxHeapProfileBytes = uint64_t{4} << 30;  // 4 GiB
inline constexpr uint64_t kMaxSmallFileBytes = uint64_t{64} << 20;   // 64 MiB
inline constexpr uint64_t kMaxMapFileBytes = uint64_t{256} << 20;    // 256 MiB

// How ReadFileToString / ReadFileInto open and bound a file.
struct ReadOptions {
  // Larger files are an error (ResourceExhausted) naming both sizes.
  uint64_t max_bytes = kMaxHeapProfileBytes;
  // False: a symbolic link as the last path component is an error. True
  // only for paths the user gave (a .heap file on the command line).
  bool follow_symlinks = true;

  // InRunDirectory: the options for a file a run directory's content
  // names: links not followed, at most `max_bytes`.
  static ReadOptions InRunDirectory(uint64_t max_bytes) {
    ReadOptions o;
    o.max_bytes = max_bytes;
    o.follow_symlinks = false;
    return o;
  }
};

// ReadFileToString reads a whole regular file. Errors name the file and
// the reason ("no such file", "is a directory", "permission denied", "is a
// FIFO, not a regular file", "is a symbolic link", "is 1.0 TiB, over the
// 4.0 GiB limit").
absl::StatusOr<std::string> ReadFileToString(const std::string& path,
                                             const ReadOptions& options = {});

// ReadFileInto reads the whole file into `*buffer`, reusing its capacity
// (a reader of thousands of snapshots keeps one buffer per thread).
absl::Status ReadFileInto(const std::string& path, std::string* buffer,
                          const ReadOptions& options = {});

// IsBareFileName: whether `name`, taken from a file's content, may name a
// file beside it: not empty, at most 255 bytes, no '/', not "." or "..",
// no NUL or other control character.
bool IsBareFileName(absl::string_view name);

// QuoteForMessage: `text` (from a file, untrusted) fit to be echoed in a
// one-line error: single-quoted, control and non-ASCII bytes C-escaped,
// cut at `max_bytes` with "...".
std::string QuoteForMessage(absl::string_view text, size_t max_bytes = 80);

// HumanBytes: "1.0 TiB", "64.0 MiB", "812 B".
std::string HumanBytes(uint64_t bytes);

// WriteAll writes all of `data` to `fd`, retrying short writes and EINTR.
// False on any other error, with errno telling which.
bool WriteAll(int fd, const char* data, size_t size);

// WriteFileAtomically writes `contents` to `path` through a temporary file
// in the same directory, fsync, and rename. On any error the temporary is
// removed and `path` is untouched.
absl::Status WriteFileAtomically(const std::string& path,
                                 const std::string& contents);

}  // namespace jleak

#endif  // JLEAK_HARNESS_IO_FILE_IO_H_
