// File: run_paths.cc
//
// Bundled files and run directories (see run_paths.h).

#include "harness/run/run_paths.h"

#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"

namespace jleak {
namespace {

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

}  // namespace

std::string FindBundled(const std::string& rel) {
  std::vector<std::string> candidates;
  if (const char* r = std::getenv("RUNFILES_DIR")) {
    candidates.push_back(absl::StrCat(r, "/jleak/", rel));
  }
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n > 0) {
    exe[n] = '\0';
    std::string self(exe);
    candidates.push_back(absl::StrCat(self, ".runfiles/jleak/", rel));
    std::string dir = self.substr(0, self.rfind('/'));  // bazel-bin/harness
    std::string top = dir.substr(0, dir.rfind('/'));    // bazel-bin
    candidates.push_back(absl::StrCat(top, "/", rel));
    // `jleak install`: PREFIX/bin/jleak, PREFIX/lib/<file>.
    candidates.push_back(
        absl::StrCat(top, "/lib/", rel.substr(rel.rfind('/') + 1)));
  }
  for (const std::string& c : candidates) {
    if (!Exists(c)) continue;
    char real[PATH_MAX];
    return realpath(c.c_str(), real) != nullptr ? std::string(real) : c;
  }
  return "";
}

std::string Absolute(const std::string& path) {
  if (path.empty() || path[0] == '/') return path;
  char cwd[PATH_MAX];
  if (getcwd(cwd, sizeof cwd) == nullptr) return path;
  return absl::StrCat(cwd, "/", path);
}

absl::Status CreateRunDir(const std::string& dir, bool may_exist) {
  if (mkdir(dir.c_str(), 0700) == 0) return absl::OkStatus();
  int err = errno;
  if (err == EEXIST) {
    std::unique_ptr<DIR, int (*)(DIR*)> d(opendir(dir.c_str()), closedir);
    if (d == nullptr) {
      return absl::FailedPreconditionError(
          absl::StrCat("output directory ", dir,
                       " exists but cannot be read: ", std::strerror(errno)));
    }
    while (dirent* e = readdir(d.get())) {
      if (!may_exist && std::strcmp(e->d_name, ".") &&
          std::strcmp(e->d_name, "..")) {
        return absl::FailedPreconditionError(absl::StrCat(
            "output directory ", dir,
            " is not empty; choose a new --out (runs must not mix)"));
      }
    }
    if (!may_exist) chmod(dir.c_str(), 0700);
    return absl::OkStatus();
  }
  return absl::FailedPreconditionError(
      absl::StrCat("cannot create output directory ", dir, ": ",
                   std::strerror(err), "; choose a writable --out"));
}

}  // namespace jleak
