// File: sampling_capture.cc
//
// The sampling capture engine over agent/sampling's engine (see
// sampling_capture.h).

#include "agent/sampling_capture.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/auxv.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "agent/control_protocol.h"
#include "agent/sampling/engine.h"
#include "agent/sampling/libunwind_backtrace.h"

namespace jleak::agent {
namespace {

using sampling::EngineOptions;
using sampling::EngineStats;
using sampling::SamplingEngine;

// WriteWhole writes `text` to `path` through `path`.tmp and a rename.
absl::Status WriteWhole(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  const int fd =
      open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot create ", tmp, ": ", std::strerror(errno)));
  }
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  const int err = errno;
  if (close(fd) != 0 || done != text.size()) {
    unlink(tmp.c_str());
    return absl::UnavailableError(absl::StrCat(
        "cannot write ", tmp, ": ", std::strerror(err), " (disk full?)"));
  }
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    const int rename_err = errno;
    unlink(tmp.c_str());
    return absl::UnavailableError(
        absl::StrCat("cannot rename ", tmp, ": ", std::strerror(rename_err)));
  }
  return absl::OkStatus();
}

nlohmann::ordered_json PatcherReport(const sampling::PatcherStats& p) {
  return {{"scans", p.scans},
          {"objects_patched", p.objects_patched},
          {"objects_excluded", p.objects_excluded},
          {"objects_malformed", p.objects_malformed},
          {"objects_unpinned", p.objects_unpinned},
          {"objects_unloaded", p.objects_unloaded},
          {"objects_dropped", p.objects_dropped},
          {"slots_patched", p.slots_patched},
          {"slots_repaired", p.slots_repaired},
          {"slots_restored", p.slots_restored},
          {"slots_foreign", p.slots_foreign},
          {"slots_dropped", p.slots_dropped},
          {"mprotect_failures", p.mprotect_failures},
          {"objects_tracked", p.objects_tracked},
          {"slots_tracked", p.slots_tracked}};
}

struct ChosenWalker {
  sampling::BacktraceFn walk = &sampling::FramePointerBacktrace;
  std::string name;
};

// ChooseWalker loads libunwind, looking next to the agent first, and keeps
// it out of the GOT patching (its own calls are the walker's, not the
// JVM's).
ChosenWalker* ChooseWalker() {
  auto* chosen = new ChosenWalker;
  std::string dir;
  Dl_info self = {};
  if (dladdr(reinterpret_cast<void*>(&PinOwnObject), &self) != 0 &&
      self.dli_fname != nullptr) {
    dir = self.dli_fname;
    const size_t slash = dir.rfind('/');
    dir = slash == std::string::npos ? "" : dir.substr(0, slash);
  }
  absl::StatusOr<sampling::LoadedUnwinder> u = sampling::LoadLibunwind(dir);
  if (!u.ok()) {
    chosen->name = absl::StrCat("frame pointers (", u.status().message(), ")");
  } else if (!SamplingEngine::ExcludeObjectContaining(u->object_address)) {
    chosen->name = absl::StrCat("frame pointers (", u->path,
                                " could not be kept out of the hooks)");
  } else {
    chosen->walk = &sampling::LibunwindBacktrace;
    chosen->name = absl::StrCat("libunwind (", u->path, ")");
  }
  if (chosen->walk != &sampling::LibunwindBacktrace) {
    std::fprintf(stderr,
                 "jleak agent: native frames by %s: callers inside libraries "
                 "built without frame pointers may be missed\n",
                 chosen->name.c_str());
  }
  return chosen;
}

const ChosenWalker& Walker() {
  static const ChosenWalker* chosen = ChooseWalker();  // never freed
  return *chosen;
}

}  // namespace

sampling::BacktraceFn SamplingCapture::NativeWalker() { return Walker().walk; }

const std::string& SamplingCapture::NativeWalkerName() { return Walker().name; }

absl::Status PinOwnObject() {
  Dl_info self;
  if (dladdr(reinterpret_cast<void*>(&PinOwnObject), &self) == 0 ||
      self.dli_fname == nullptr) {
    return absl::InternalError("dladdr cannot find the agent's own object");
  }
  // Linked into the program itself (tests): it is never unloaded.
  Dl_info program;
  if (dladdr(reinterpret_cast<void*>(getauxval(AT_ENTRY)), &program) != 0 &&
      program.dli_fbase == self.dli_fbase) {
    return absl::OkStatus();
  }
  // The reference this takes is never given back.
  if (dlopen(self.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE) ==
      nullptr) {
    const char* why = dlerror();
    return absl::InternalError(absl::StrCat("cannot pin ", self.dli_fname, ": ",
                                            why ? why : "dlopen failed"));
  }
  return absl::OkStatus();
}

const char* SamplingCapture::name() const { return kEngineSampling; }

absl::Status SamplingCapture::Install() {
  EngineOptions options;
  options.lg_sample = lg_sample_;
  const sampling::BacktraceFn walk = backtrace_.load();
  options.backtrace = walk != nullptr ? walk : NativeWalker();
  return SamplingEngine::Install(options);
}

void SamplingCapture::set_backtrace(sampling::BacktraceFn backtrace) {
  backtrace_.store(backtrace);
  if (SamplingEngine::Stats().installed) {
    SamplingEngine::SetBacktrace(backtrace != nullptr ? backtrace
                                                      : NativeWalker());
  }
}

absl::Status SamplingCapture::Reset(int lg_sample) {
  lg_sample_ = lg_sample;
  if (!SamplingEngine::Stats().installed) return absl::OkStatus();
  // A new install is a new generation: the old samples are swept.
  if (absl::Status st = SamplingEngine::Uninstall(); !st.ok()) return st;
  return Install();
}

absl::Status SamplingCapture::Activate() {
  if (!pinned_) {
    if (absl::Status st = PinOwnObject(); !st.ok()) return st;
    pinned_ = true;
  }
  if (absl::Status st = Install(); !st.ok()) return st;
  // The marker goes through the hook, as the JVM's own allocations do (this
  // object's imports are never patched).
  auto hook_malloc =
      reinterpret_cast<void* (*)(size_t)>(SamplingEngine::HookFor("malloc"));
  if (marker_ == nullptr && hook_malloc != nullptr) {
    marker_ = hook_malloc(size_t{1} << std::min(lg_sample_ + 4, 26));
  }
  return absl::OkStatus();
}

absl::Status SamplingCapture::Deactivate() {
  if (marker_ != nullptr) {
    auto hook_free =
        reinterpret_cast<void (*)(void*)>(SamplingEngine::HookFor("free"));
    (hook_free != nullptr ? hook_free : &std::free)(marker_);
    marker_ = nullptr;
  }
  if (!SamplingEngine::Stats().installed) return absl::OkStatus();
  return SamplingEngine::Uninstall();
}

absl::Status SamplingCapture::Dump(const std::string& path) {
  SamplingEngine::Repatch();
  absl::StatusOr<std::string> profile = SamplingEngine::HeapProfile();
  if (!profile.ok()) return profile.status();
  return WriteWhole(path, *profile);
}

JemallocStats SamplingCapture::AllocatorStats() { return {}; }

nlohmann::ordered_json SamplingCapture::Report() {
  const EngineStats st = SamplingEngine::Stats();
  nlohmann::ordered_json j;
  j["name"] = kEngineSampling;
  j["limit"] = kSamplingEngineLimit;
  j["installed"] = st.installed;
  j["sessions"] = st.generation;
  j["lg_sample"] = st.lg_sample;
  j["unwinder"] = NativeWalkerName();
  j["samples"] = st.samples;
  j["sampled_bytes"] = st.sampled_bytes;
  j["samples_no_stack"] = st.samples_no_stack;
  j["realloc_failures"] = st.realloc_failures;
  j["drops"] = {{"live_table_full", st.live.dropped_full},
                {"live_bad_address", st.live.dropped_address},
                {"live_contended", st.live.dropped_contended},
                {"stack_table_full", st.stacks.dropped_table_full},
                {"stack_arena_full", st.stacks.dropped_arena_full}};
  j["live"] = {{"inserted", st.live.inserted},
               {"removed", st.live.removed},
               {"replaced_stale", st.live.replaced_stale},
               {"swept", st.live.swept},
               {"filter_occupancy", st.live.filter_occupancy}};
  j["stacks"] = {{"stacks", st.stacks.stacks},
                 {"duplicates", st.stacks.duplicates},
                 {"arena_frames_used", st.stacks.arena_frames_used}};
  j["patcher"] = PatcherReport(st.patcher);
  return j;
}

}  // namespace jleak::agent
