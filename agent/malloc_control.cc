// File: malloc_control.cc
//
// MallocControl over jemalloc's mallctl, found at run time with dlsym.

#include "agent/malloc_control.h"

#include <dlfcn.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"

namespace jleak::agent {
namespace {

using MallctlFn = int (*)(const char*, void*, size_t*, void*, size_t);

class Jemalloc : public MallocControl {
 public:
  explicit Jemalloc(MallctlFn mallctl) : mallctl_(mallctl) {}

  JemallocInfo Info() override {
    JemallocInfo info;
    const char* version = nullptr;
    size_t len = sizeof(version);
    if (mallctl_("version", &version, &len, nullptr, 0) == 0 && version) {
      info.version = version;
    }
    info.config_prof = ReadBool("config.prof");
    info.opt_prof = ReadBool("opt.prof");
    info.prof_active = ReadBool("prof.active");
    size_t lg = 0;
    len = sizeof(lg);
    if (mallctl_("prof.lg_sample", &lg, &len, nullptr, 0) == 0) {
      info.lg_prof_sample = static_cast<int>(lg);
    }
    return info;
  }

  absl::Status Dump(const std::string& path) override {
    const char* p = path.c_str();
    int err = mallctl_("prof.dump", nullptr, nullptr, &p, sizeof(p));
    if (err != 0) {
      // jemalloc returns EFAULT for any failure to write the file.
      return absl::UnavailableError(
          absl::StrCat("mallctl prof.dump ", path, ": ", std::strerror(err),
                       err == EFAULT ? " (cannot write the file?)" : ""));
    }
    return absl::OkStatus();
  }

  absl::Status SetActive(bool active) override {
    bool value = active;
    int err = mallctl_("prof.active", nullptr, nullptr, &value, sizeof(value));
    if (err != 0) {
      return absl::UnavailableError(
          absl::StrCat("mallctl prof.active: ", std::strerror(err)));
    }
    return absl::OkStatus();
  }

  absl::Status ResetProfile(int lg_sample) override {
    size_t lg = static_cast<size_t>(lg_sample);
    int err = mallctl_("prof.reset", nullptr, nullptr, &lg, sizeof(lg));
    if (err != 0) {
      return absl::UnavailableError(
          absl::StrCat("mallctl prof.reset: ", std::strerror(err)));
    }
    return absl::OkStatus();
  }

  JemallocStats Stats() override {
    // Statistics are cached until the epoch advances.
    uint64_t epoch = 1;
    size_t len = sizeof(epoch);
    mallctl_("epoch", &epoch, &len, &epoch, len);
    JemallocStats s;
    s.allocated = ReadSize("stats.allocated");
    s.active = ReadSize("stats.active");
    s.resident = ReadSize("stats.resident");
    s.mapped = ReadSize("stats.mapped");
    s.retained = ReadSize("stats.retained");
    return s;
  }

 private:
  bool ReadBool(const char* name) {
    bool v = false;
    size_t len = sizeof(v);
    return mallctl_(name, &v, &len, nullptr, 0) == 0 && v;
  }
  int64_t ReadSize(const char* name) {
    size_t v = 0;
    size_t len = sizeof(v);
    return mallctl_(name, &v, &len, nullptr, 0) == 0 ? static_cast<int64_t>(v)
                                                     : -1;
  }

  MallctlFn mallctl_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<MallocControl>> FindJemalloc(
    JemallocInfo* info) {
  auto mallctl = reinterpret_cast<MallctlFn>(dlsym(RTLD_DEFAULT, "mallctl"));
  if (mallctl == nullptr) {
    return absl::FailedPreconditionError(
        "jemalloc is not loaded in this process (no mallctl symbol); run "
        "under `jleak run` or LD_PRELOAD the profiling libjemalloc.so.2");
  }
  auto je = std::make_unique<Jemalloc>(mallctl);
  JemallocInfo found = je->Info();
  if (info != nullptr) *info = found;
  if (!found.config_prof) {
    return absl::FailedPreconditionError(absl::StrCat(
        "jemalloc ", found.version,
        " was built without --enable-prof; use jleak's libjemalloc.so.2"));
  }
  if (!found.opt_prof) {
    return absl::FailedPreconditionError(
        "jemalloc heap profiling is off; set MALLOC_CONF=prof:true");
  }
  return je;
}

}  // namespace jleak::agent
