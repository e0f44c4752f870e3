// File: file_io.h
//
// The harness's file I/O at the edges: whole-file reads with errors a user
// can act on, and atomic writes so that a report is either whole or absent
// (a full disk or a killed process never leaves half a report that looks
// complete).

#ifndef JLEAK_HARNESS_IO_FILE_IO_H_
#define JLEAK_HARNESS_IO_FILE_IO_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace jleak {

// ReadFileToString reads a whole regular file. Errors name the file and
// the reason ("no such file", "is a directory", "permission denied").
absl::StatusOr<std::string> ReadFileToString(const std::string& path);

// ReadFileInto reads the whole file into `*buffer`, reusing its capacity
// (a reader of thousands of snapshots keeps one buffer per thread).
absl::Status ReadFileInto(const std::string& path, std::string* buffer);

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
