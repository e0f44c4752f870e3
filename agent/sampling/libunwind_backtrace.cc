// File: libunwind_backtrace.cc
//
// Loading libunwind at run time and the walker over it (see
// libunwind_backtrace.h).

#include "agent/sampling/libunwind_backtrace.h"

#include <dlfcn.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "agent/sampling/frame_pointer_backtrace.h"

namespace jleak::agent::sampling {
namespace {

constexpr char kSoname[] = "libunwind.so.8";
// What libunwind.so.8 needs beyond glibc (Debian's libunwind8: liblzma.so.5,
// for compressed .gnu_debugdata). A copy beside the agent comes with them
// (`jleak install`, `jleak attach` into a container); they are opened from
// there first, since a library's dependencies are searched with its own
// paths, not the agent's $ORIGIN, and an image without libunwind usually
// lacks them too. Loaded by soname, they then satisfy libunwind's needs.
constexpr const char* kBundledDeps[] = {"liblzma.so.5"};

using UnwBacktraceFn = int (*)(void** buffer, int size);

std::atomic<UnwBacktraceFn> g_unw_backtrace{nullptr};

std::mutex g_mu;
bool g_tried = false;                      // under g_mu
absl::StatusOr<LoadedUnwinder> g_result =  // under g_mu
    absl::UnavailableError("not loaded");

// Open tries one way of opening libunwind; the handle, or null with the
// loader's message appended to `tried`.
void* Open(const std::string& what, int flags,
           std::vector<std::string>* tried) {
  void* handle = dlopen(what.c_str(), flags);
  if (handle == nullptr) {
    const char* err = dlerror();
    tried->push_back(absl::StrCat(what, ": ", err != nullptr ? err : "?"));
  }
  return handle;
}

}  // namespace

absl::StatusOr<LoadedUnwinder> OpenUnwinder(absl::string_view bundled_dir,
                                            absl::string_view soname) {
  const std::string name(soname);
  std::vector<std::string> tried;
  bool already = true;
  void* handle = dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NOLOAD);
  if (handle == nullptr) {
    already = false;
    dlerror();
    if (!bundled_dir.empty()) {
      const std::string bundled = absl::StrCat(bundled_dir, "/", name);
      if (access(bundled.c_str(), R_OK) == 0) {
        for (const char* dep : kBundledDeps) {
          const std::string path = absl::StrCat(bundled_dir, "/", dep);
          if (access(path.c_str(), R_OK) == 0) {
            // Kept open for good, as libunwind is; failure is libunwind's
            // own error below.
            if (dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL) == nullptr)
              dlerror();
          }
        }
      }
      handle = Open(bundled, RTLD_NOW | RTLD_LOCAL, &tried);
    }
    if (handle == nullptr) handle = Open(name, RTLD_NOW | RTLD_LOCAL, &tried);
  }
  if (handle == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("no ", name, " (", absl::StrJoin(tried, "; "), ")"));
  }
  auto fn = reinterpret_cast<UnwBacktraceFn>(dlsym(handle, "unw_backtrace"));
  if (fn == nullptr) {
    // Never dlclose'd: a library loaded is never unloaded by the agent.
    return absl::NotFoundError(
        absl::StrCat(name, " has no unw_backtrace symbol"));
  }
  LoadedUnwinder u;
  u.already_loaded = already;
  u.object_address = reinterpret_cast<const void*>(fn);
  Dl_info info = {};
  u.path = dladdr(u.object_address, &info) != 0 && info.dli_fname != nullptr
               ? info.dli_fname
               : name;
  // The first walk initializes libunwind: here, not inside a hook.
  void* vec[64];
  if (fn(vec, 64) <= 0) {
    return absl::UnavailableError(
        absl::StrCat(u.path, ": unw_backtrace found no frames"));
  }
  return u;
}

const void* LibunwindObject() {
  return reinterpret_cast<const void*>(
      g_unw_backtrace.load(std::memory_order_acquire));
}

absl::StatusOr<LoadedUnwinder> LoadLibunwind(absl::string_view bundled_dir) {
  std::lock_guard<std::mutex> lock(g_mu);
  if (!g_tried) {
    g_tried = true;
    g_result = OpenUnwinder(bundled_dir, kSoname);
    if (g_result.ok()) {
      g_unw_backtrace.store(reinterpret_cast<UnwBacktraceFn>(
                                const_cast<void*>(g_result->object_address)),
                            std::memory_order_release);
    }
  }
  return g_result;
}

__attribute__((noinline)) void LibunwindBacktrace(void** vec, unsigned* len,
                                                  unsigned max_len) {
  const UnwBacktraceFn fn = g_unw_backtrace.load(std::memory_order_acquire);
  if (fn == nullptr) {
    FramePointerBacktrace(vec, len, max_len);
    return;
  }
  const int n = fn(vec, static_cast<int>(max_len));
  *len = n <= 0                               ? 0
         : static_cast<unsigned>(n) > max_len ? max_len
                                              : static_cast<unsigned>(n);
}

}  // namespace jleak::agent::sampling
