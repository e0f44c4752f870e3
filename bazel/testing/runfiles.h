// File: runfiles.h
//
// Runfile: where a test, benchmark or `bazel run` binary finds a file of
// this workspace that its BUILD rule lists in `data`. One helper for every
// C++ test instead of a copy per file.

#ifndef JLEAK_BAZEL_TESTING_RUNFILES_H_
#define JLEAK_BAZEL_TESTING_RUNFILES_H_

#include <cstdlib>
#include <string>

namespace jleak::testing {

// Runfile("agent/sampling/libtestlib_lazy.so"): the path of a workspace-
// relative file under $TEST_SRCDIR (bazel test) or $RUNFILES_DIR; as given
// when neither is set (bazel run starts in the runfiles tree).
inline std::string Runfile(const std::string& relative) {
  for (const char* var : {"TEST_SRCDIR", "RUNFILES_DIR"}) {
    const char* dir = std::getenv(var);
    if (dir != nullptr) return std::string(dir) + "/jleak/" + relative;
  }
  return relative;
}

}  // namespace jleak::testing

#endif  // JLEAK_BAZEL_TESTING_RUNFILES_H_
